// The JS handle of a pattern plan in device memory: a type-tagged External holding a reference
// to a DevicePattern (uploadPattern makes it; cuda_pattern_binding.cpp). Like device buffers,
// releasePattern drops the handle's reference at once and the GC finalizer does the same; the
// device memory is freed when the last holder lets go, so a running call keeps its plan alive.
#pragma once

#include <napi.h>

#include <memory>

#include "tessera/cuda_pattern.h"

namespace tessera_binding {

// A CompiledPattern uploaded to CUDA device `device`; frees it there on destruction.
struct DevicePattern {
  int device = 0;
  tessera::CudaCompiledPattern plan;

  DevicePattern() = default;
  DevicePattern(const DevicePattern&) = delete;
  DevicePattern& operator=(const DevicePattern&) = delete;
  ~DevicePattern();
};

using DevicePatternPtr = std::shared_ptr<const DevicePattern>;

// The plan behind a handle made by uploadPattern; throws naming `name` when the value is not
// such a handle or was released.
DevicePatternPtr unwrap_device_pattern(const Napi::Value& value, const char* name);

}  // namespace tessera_binding
