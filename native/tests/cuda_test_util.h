// Host helpers shared by the CUDA test and benchmark binaries: device buffers, dtype encoding.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime_api.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "tessera/cuda_attention.h"

namespace tessera {
namespace cuda_test {

// Prints the failed CUDA call and returns false (the binaries report and exit non-zero).
inline bool cuda_ok(cudaError_t err, const char* what) {
  if (err == cudaSuccess) return true;
  std::fprintf(stderr, "CUDA error in %s: %s (%s)\n", what, cudaGetErrorName(err),
               cudaGetErrorString(err));
  return false;
}

// An owning device allocation.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() {
    if (ptr_) cudaFree(ptr_);
  }
  bool allocate(size_t bytes) {
    if (ptr_) cudaFree(ptr_);
    ptr_ = nullptr;
    return cuda_ok(cudaMalloc(&ptr_, bytes > 0 ? bytes : 1), "cudaMalloc");
  }
  void* get() const { return ptr_; }

 private:
  void* ptr_ = nullptr;
};

inline size_t dtype_bytes(DType dtype) { return dtype == DType::kFloat32 ? 4 : 2; }

// fp32 values as the bytes of `dtype` (round to nearest even).
inline std::vector<uint8_t> encode(const std::vector<float>& values, DType dtype) {
  std::vector<uint8_t> bytes(values.size() * dtype_bytes(dtype));
  for (size_t i = 0; i < values.size(); i++) {
    if (dtype == DType::kFloat32) {
      std::memcpy(&bytes[i * 4], &values[i], 4);
    } else if (dtype == DType::kFloat16) {
      const __half h = __float2half_rn(values[i]);
      std::memcpy(&bytes[i * 2], &h, 2);
    } else {
      const __nv_bfloat16 h = __float2bfloat16_rn(values[i]);
      std::memcpy(&bytes[i * 2], &h, 2);
    }
  }
  return bytes;
}

inline std::vector<float> decode(const std::vector<uint8_t>& bytes, DType dtype) {
  std::vector<float> values(bytes.size() / dtype_bytes(dtype));
  for (size_t i = 0; i < values.size(); i++) {
    if (dtype == DType::kFloat32) {
      std::memcpy(&values[i], &bytes[i * 4], 4);
    } else if (dtype == DType::kFloat16) {
      __half h;
      std::memcpy(&h, &bytes[i * 2], 2);
      values[i] = __half2float(h);
    } else {
      __nv_bfloat16 h;
      std::memcpy(&h, &bytes[i * 2], 2);
      values[i] = __bfloat162float(h);
    }
  }
  return values;
}

// The values `dtype` can hold nearest to `values`.
inline std::vector<float> round_to(const std::vector<float>& values, DType dtype) {
  return decode(encode(values, dtype), dtype);
}

}  // namespace cuda_test
}  // namespace tessera
