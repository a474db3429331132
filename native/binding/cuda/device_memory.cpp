#include "device_memory.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstring>
#include <string>

#include "cuda/cuda_status.h"

namespace tessera_binding {

using tessera::DType;
using tessera::Status;
using tessera::cuda_detail::check_cuda;

size_t dtype_bytes(DType dtype) { return dtype == DType::kFloat32 ? 4 : 2; }

Status use_device(int device) { return check_cuda("cudaSetDevice", cudaSetDevice(device)); }

Status DeviceBuffer::allocate(int device, DType dtype, int64_t count, BufferPtr* out) {
  BufferPtr buffer(new DeviceBuffer(device, dtype, count));
  if (buffer->bytes() > 0) {
    const cudaError_t err = cudaMalloc(&buffer->data_, buffer->bytes());
    if (err != cudaSuccess) cudaGetLastError();  // clear it: kernel launches check the last error
    if (err == cudaErrorMemoryAllocation) {
      return Status(tessera::StatusCode::kOutOfMemory,
                    "cuda: out of device memory allocating " + std::to_string(buffer->bytes()) +
                        " bytes on device " + std::to_string(device));
    }
    if (err != cudaSuccess) return check_cuda("cudaMalloc", err);
  }
  *out = std::move(buffer);
  return Status::Ok();
}

DeviceBuffer::~DeviceBuffer() {
  if (!data_) return;
  // Errors cannot be reported from here; at process exit the runtime may already be gone.
  if (cudaSetDevice(device_) == cudaSuccess) cudaFree(data_);
}

Stream::~Stream() {
  if (stream_) cudaStreamDestroy(stream_);
}

Status Stream::create() {
  return check_cuda("cudaStreamCreate", cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
}

Status Stream::synchronize() {
  return check_cuda("cudaStreamSynchronize", cudaStreamSynchronize(stream_));
}

Status copy_to_device(void* device_dst, const void* host_src, size_t bytes, const Stream& stream) {
  if (bytes == 0) return Status::Ok();
  return check_cuda("copy to device", cudaMemcpyAsync(device_dst, host_src, bytes,
                                                      cudaMemcpyHostToDevice, stream.get()));
}

Status copy_to_host(void* host_dst, const void* device_src, size_t bytes, const Stream& stream) {
  if (bytes == 0) return Status::Ok();
  return check_cuda("copy to host", cudaMemcpyAsync(host_dst, device_src, bytes,
                                                    cudaMemcpyDeviceToHost, stream.get()));
}

void encode_values(const float* values, int64_t count, DType dtype, void* bytes) {
  switch (dtype) {
    case DType::kFloat32:
      std::memcpy(bytes, values, static_cast<size_t>(count) * sizeof(float));
      return;
    case DType::kFloat16: {
      auto* out = static_cast<__half*>(bytes);
      for (int64_t i = 0; i < count; i++) out[i] = __float2half_rn(values[i]);
      return;
    }
    case DType::kBFloat16: {
      auto* out = static_cast<__nv_bfloat16*>(bytes);
      for (int64_t i = 0; i < count; i++) out[i] = __float2bfloat16_rn(values[i]);
      return;
    }
  }
}

void decode_values(const void* bytes, int64_t count, DType dtype, float* values) {
  switch (dtype) {
    case DType::kFloat32:
      std::memcpy(values, bytes, static_cast<size_t>(count) * sizeof(float));
      return;
    case DType::kFloat16: {
      const auto* in = static_cast<const __half*>(bytes);
      for (int64_t i = 0; i < count; i++) values[i] = __half2float(in[i]);
      return;
    }
    case DType::kBFloat16: {
      const auto* in = static_cast<const __nv_bfloat16*>(bytes);
      for (int64_t i = 0; i < count; i++) values[i] = __bfloat162float(in[i]);
      return;
    }
  }
}

}  // namespace tessera_binding
