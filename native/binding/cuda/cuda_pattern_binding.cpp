// Pattern plans on a CUDA device, synchronous calls on the main thread:
//   uploadPattern({ pattern, seqQ, seqK, causal, device }) -> handle
//     pattern: lib/patterns' normalized PatternSpec; the tile plan is compiled here
//     (compile_tile_plan, which the CPU addon also builds for every pattern but strided) for Nq =
//     seqQ queries, Nk = seqK keys and causal, then copied to `device` (upload_pattern).
//     attention's `pattern` takes the handle.
//   releasePattern(handle)    (frees once no call uses it; a no-op when repeated)
#include <cuda_runtime_api.h>
#include <napi.h>

#include <memory>
#include <string>

#include "args.h"
#include "cuda_bindings.h"
#include "device_memory.h"
#include "op_registry.h"
#include "pattern_plan_handle.h"
#include "pattern_spec.h"

namespace tessera_binding {
namespace {

using tessera::Status;

const napi_type_tag kDevicePatternTag = {0x51d3a7c2e86b40f9ULL, 0xb7e0c4a91f2d6e35ULL};

// What a handle owns: empty once released.
struct DevicePatternSlot {
  DevicePatternPtr pattern;
};

// spec for Nq x Nk (and causal) -> its plan on the host.
tessera::CompiledPattern compile_on_host(Napi::Env env, const tessera::PatternSpec& spec,
                                         int64_t seq_q, int64_t seq_k, bool causal) {
  tessera::CompiledPattern plan;
  throw_if_failed(env, run_guarded([&] {
                    return tessera::compile_tile_plan(spec, seq_q, seq_k, causal, &plan);
                  }));
  return plan;
}

Napi::Value wrap_device_pattern(Napi::Env env, DevicePatternPtr pattern) {
  auto* slot = new DevicePatternSlot{std::move(pattern)};
  auto handle = Napi::External<DevicePatternSlot>::New(
      env, slot, [](Napi::Env, DevicePatternSlot* s) { delete s; });
  handle.TypeTag(&kDevicePatternTag);
  return handle;
}

DevicePatternSlot* require_slot(const Napi::Value& value, const char* name) {
  if (value.IsExternal()) {
    auto external = value.As<Napi::External<DevicePatternSlot>>();
    if (external.CheckTypeTag(&kDevicePatternTag)) return external.Data();
  }
  throw status_error(
      value.Env(), Status::Invalid(std::string(name) + ": expected a device pattern plan handle"));
}

Napi::Value upload_plan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object args = require_object(info[0], "args");
  const std::shared_ptr<tessera::PatternSpec> spec =
      parse_pattern_spec(require_object(args.Get("pattern"), "pattern"));
  const tessera::CompiledPattern host_plan =
      compile_on_host(env, *spec, require_int(args, "seqQ", 1), require_int(args, "seqK", 1),
                      optional_bool(args, "causal"));
  auto pattern = std::make_shared<DevicePattern>();
  pattern->device = require_device(args);
  throw_if_failed(env, use_device(pattern->device));
  throw_if_failed(env, tessera::upload_pattern(host_plan, &pattern->plan));
  return wrap_device_pattern(env, std::move(pattern));
}

Napi::Value release_plan(const Napi::CallbackInfo& info) {
  require_slot(info[0], "handle")->pattern.reset();
  return info.Env().Undefined();
}

}  // namespace

DevicePattern::~DevicePattern() {
  // Errors cannot be reported from here; at process exit the runtime may already be gone.
  if (cudaSetDevice(device) == cudaSuccess) tessera::free_pattern(&plan);
}

DevicePatternPtr unwrap_device_pattern(const Napi::Value& value, const char* name) {
  DevicePatternSlot* slot = require_slot(value, name);
  if (!slot->pattern) {
    throw status_error(
        value.Env(), Status::Invalid(std::string(name) + ": the device pattern plan was released"));
  }
  return slot->pattern;
}

void register_cuda_patterns(Napi::Env env, Napi::Object exports) {
  exports.Set("uploadPattern", Napi::Function::New(env, upload_plan, "uploadPattern"));
  exports.Set("releasePattern", Napi::Function::New(env, release_plan, "releasePattern"));
}

}  // namespace tessera_binding
