// Turning CUDA runtime errors into tessera::Status (the kernels never abort on a CUDA error).
#pragma once

#include <cuda_runtime_api.h>

#include <string>

#include "tessera/status.h"

namespace tessera {
namespace cuda_detail {

// "CUDA <what>: <error name> (<error string>)", e.g. for a failed launch or attribute call.
inline Status cuda_error(const char* what, cudaError_t err) {
  return Status(StatusCode::kInternal, std::string("CUDA ") + what + ": " + cudaGetErrorName(err) +
                                           " (" + cudaGetErrorString(err) + ")");
}

inline Status check_cuda(const char* what, cudaError_t err) {
  return err == cudaSuccess ? Status::Ok() : cuda_error(what, err);
}

// Reports an error of the launch just made (bad configuration, no kernel image for the GPU).
inline Status check_launch(const char* kernel) { return check_cuda(kernel, cudaGetLastError()); }

}  // namespace cuda_detail
}  // namespace tessera
