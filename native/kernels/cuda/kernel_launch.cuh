// Launching a kernel that needs more dynamic shared memory than the 48 KB default: the one
// sequence every attention kernel of this folder uses (raise the limit, launch, report errors).
#pragma once

#include <cuda_runtime_api.h>

#include <string>

#include "cuda/cuda_status.h"
#include "tessera/status.h"

namespace tessera {
namespace cuda_detail {

// kernel<<<grid, threads, smem, stream>>>(args...) after setting the kernel's dynamic
// shared-memory limit to smem; `name` (e.g. "flash_attention_fp32") names it in errors.
template <typename... Params, typename... Args>
Status launch_kernel(const char* name, void (*kernel)(Params...), dim3 grid, int threads,
                     size_t smem, cudaStream_t stream, Args... args) {
  const Status status =
      check_cuda(("cudaFuncSetAttribute(" + std::string(name) + ")").c_str(),
                 cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                      static_cast<int>(smem)));
  if (!status.ok()) return status;
  kernel<<<grid, threads, smem, stream>>>(args...);
  return check_launch(("launch of " + std::string(name)).c_str());
}

}  // namespace cuda_detail
}  // namespace tessera
