// The addon's entry point. Node-API addons are context-aware: this runs once per
// environment (main thread and each worker thread); the kernels and their thread pool are
// process-wide and hold no JS state.
#include <napi.h>

#include "bindings.h"
#include "op_registry.h"

namespace {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  tessera_binding::register_runtime(env, exports);
  tessera_binding::register_attention(env, exports);
  tessera_binding::register_pattern(env, exports);
  tessera_binding::register_linear(env, exports);
  tessera_binding::register_layer_norm(env, exports);
  tessera_binding::register_gelu(env, exports);
  tessera_binding::register_softmax(env, exports);
  tessera_binding::register_patchify(env, exports);
  tessera_binding::register_add(env, exports);
  tessera_binding::register_resample(env, exports);
  tessera_binding::register_sequence(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(tessera, init)
