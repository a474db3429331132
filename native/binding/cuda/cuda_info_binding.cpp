// cudaInfo() -> { runtimeVersion: 'x.y', driverVersion: 'x.y' | null,
//                 devices: [{ index, name, computeCapability: 'x.y', memoryBytes }],
//                 reason: string | null }
// devices lists the GPUs the kernels can run on (compute capability 8.0 or later); when there is
// none, reason says why: no driver, a driver too old for this runtime, no device, no supported
// device, or the runtime's own error.
#include <cuda_runtime_api.h>
#include <napi.h>

#include <string>
#include <vector>

#include "cuda_bindings.h"

namespace tessera_binding {
namespace {

constexpr int kMinComputeMajor = 8;  // mma.sync bf16/fp16 kernels: sm_80 and later
constexpr const char* kNoDevice = "no CUDA device (the driver found no GPU)";

struct Device {
  int index = 0;
  std::string name;
  int major = 0, minor = 0;
  size_t memory_bytes = 0;
};

// 12040 -> "12.4"
std::string version_text(int version) {
  return std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10);
}

std::string error_text(cudaError_t err) {
  return std::string(cudaGetErrorName(err)) + " (" + cudaGetErrorString(err) + ")";
}

// Why cudaGetDeviceCount failed, in words.
std::string count_failure_reason(cudaError_t err, int driver_version, int runtime_version) {
  if (driver_version == 0) {
    return "no CUDA driver (libcuda.so.1 could not be loaded: install the NVIDIA driver)";
  }
  switch (err) {
    case cudaErrorInsufficientDriver:
      return "CUDA driver too old: it supports CUDA " + version_text(driver_version) +
             ", this binary was built with CUDA " + version_text(runtime_version);
    case cudaErrorNoDevice:
      return kNoDevice;
    default:
      return "CUDA initialisation failed: " + error_text(err);
  }
}

std::string device_label(const Device& d) {
  return d.name + " (compute capability " + std::to_string(d.major) + "." +
         std::to_string(d.minor) + ")";
}

Napi::Object device_object(Napi::Env env, const Device& d) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("index", d.index);
  out.Set("name", d.name);
  out.Set("computeCapability", std::to_string(d.major) + "." + std::to_string(d.minor));
  out.Set("memoryBytes", static_cast<double>(d.memory_bytes));
  return out;
}

Napi::Value cuda_info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int driver_version = 0, runtime_version = 0, count = 0;
  cudaDriverGetVersion(&driver_version);  // 0 when no driver is installed
  cudaRuntimeGetVersion(&runtime_version);
  const cudaError_t count_err = cudaGetDeviceCount(&count);
  std::string reason;
  std::vector<Device> supported, unsupported;
  if (count_err != cudaSuccess) {
    cudaGetLastError();
    reason = count_failure_reason(count_err, driver_version, runtime_version);
  }
  for (int i = 0; i < count && reason.empty(); i++) {
    cudaDeviceProp prop;
    const cudaError_t err = cudaGetDeviceProperties(&prop, i);
    if (err != cudaSuccess) {
      cudaGetLastError();
      reason = "CUDA device " + std::to_string(i) + " could not be queried: " + error_text(err);
      break;
    }
    Device d{i, prop.name, prop.major, prop.minor, prop.totalGlobalMem};
    (d.major >= kMinComputeMajor ? supported : unsupported).push_back(d);
  }
  if (reason.empty() && count == 0) reason = kNoDevice;
  if (reason.empty() && supported.empty()) {
    reason = "no supported CUDA device: tessera's kernels need compute capability " +
             std::to_string(kMinComputeMajor) + ".0 or later, found";
    for (const Device& d : unsupported) reason += " " + device_label(d);
  }

  Napi::Object out = Napi::Object::New(env);
  out.Set("runtimeVersion", version_text(runtime_version));
  out.Set("driverVersion", driver_version
                               ? Napi::Value(Napi::String::New(env, version_text(driver_version)))
                               : env.Null());
  Napi::Array devices = Napi::Array::New(env, reason.empty() ? supported.size() : 0);
  for (size_t i = 0; i < devices.Length(); i++) {
    devices.Set(static_cast<uint32_t>(i), device_object(env, supported[i]));
  }
  out.Set("devices", devices);
  out.Set("reason", reason.empty() ? env.Null() : Napi::Value(Napi::String::New(env, reason)));
  return out;
}

}  // namespace

void register_cuda_info(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaInfo", Napi::Function::New(env, cuda_info, "cudaInfo"));
}

}  // namespace tessera_binding
