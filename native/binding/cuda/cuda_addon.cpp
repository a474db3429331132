// Entry point of tessera_cuda.node, the optional CUDA half of tessera (lib/native.ts loads it
// beside the CPU addon when it exists). Context-aware like the CPU addon: nothing here holds
// per-environment state, and loading it makes no CUDA call (the driver is first touched by
// cudaInfo() or an operation).
#include <napi.h>

#include "cuda_bindings.h"

namespace {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  tessera_binding::register_cuda_info(env, exports);
  tessera_binding::register_buffers(env, exports);
  tessera_binding::register_cuda_attention(env, exports);
  tessera_binding::register_cuda_patterns(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(tessera_cuda, init)
