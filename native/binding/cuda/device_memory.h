// Device memory and streams for the CUDA addon, as small RAII types whose every CUDA failure
// comes back as a tessera::Status (nothing here throws or aborts).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "tessera/cuda_attention.h"
#include "tessera/status.h"

namespace tessera_binding {

size_t dtype_bytes(tessera::DType dtype);

// Makes `device` current on the calling thread (the current device is per-thread state).
tessera::Status use_device(int device);

// `count` elements of `dtype` in memory of CUDA device `device` (row-major, uninitialised when
// allocated). Freed by the destructor, on whatever thread drops the last reference.
class DeviceBuffer {
 public:
  // Allocates on the current device, which must be `device`.
  static tessera::Status allocate(int device, tessera::DType dtype, int64_t count,
                                  std::shared_ptr<DeviceBuffer>* out);
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer();

  void* data() const { return data_; }
  int device() const { return device_; }
  tessera::DType dtype() const { return dtype_; }
  int64_t count() const { return count_; }
  size_t bytes() const { return static_cast<size_t>(count_) * dtype_bytes(dtype_); }

 private:
  DeviceBuffer(int device, tessera::DType dtype, int64_t count)
      : device_(device), dtype_(dtype), count_(count) {}

  int device_;
  tessera::DType dtype_;
  int64_t count_;
  void* data_ = nullptr;
};

using BufferPtr = std::shared_ptr<DeviceBuffer>;

// A non-blocking stream of the current device, destroyed with this object. Every operation of
// the addon runs on its own stream and synchronizes it before returning, so no device work is
// ever left running behind JavaScript's back.
class Stream {
 public:
  Stream() = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream();

  tessera::Status create();
  cudaStream_t get() const { return stream_; }
  tessera::Status synchronize();

 private:
  cudaStream_t stream_ = nullptr;
};

// Stream-ordered copies of `bytes` bytes between host and device memory.
tessera::Status copy_to_device(void* device_dst, const void* host_src, size_t bytes,
                               const Stream& stream);
tessera::Status copy_to_host(void* host_dst, const void* device_src, size_t bytes,
                             const Stream& stream);

// fp32 values -> their nearest `dtype` values (round to nearest even) in `bytes`, and back.
//   values: [count] fp32, bytes: [count * dtype_bytes(dtype)]
void encode_values(const float* values, int64_t count, tessera::DType dtype, void* bytes);
void decode_values(const void* bytes, int64_t count, tessera::DType dtype, float* values);

}  // namespace tessera_binding
