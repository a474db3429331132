// layerNormSync(args) and layerNormAsync(args) -> Promise<void> (see op_registry.h).
// args: { x, out: Float32Array, gamma?, beta?: Float32Array (C elements) | null,
//         rows, cols, xRowStride, outRowStride, eps, isa?: 'auto' | 'scalar' | 'avx2' |
//         'avx512', threads }
// The TypeScript layer validates first with friendlier messages; these checks keep a direct
// caller from reading or writing out of bounds.
#include <napi.h>

#include <string>

#include "args.h"
#include "bindings.h"
#include "op_registry.h"
#include "row_args.h"
#include "tessera/layernorm.h"

namespace tessera_binding {
namespace {

// gamma or beta: null or at least C elements.
const float* per_channel(const Napi::Object& args, const char* key, int64_t cols) {
  const TypedView<float> v = optional_float32(args, key);
  if (v.data && v.length < static_cast<size_t>(cols)) {
    throw status_error(args.Env(),
                       tessera::Status::Invalid(std::string(key) + ": expected C elements"));
  }
  return v.data;
}

OpCall unpack_op(const Napi::Object& args) {
  tessera::LayerNormParams p;
  unpack_rows(args, &p);
  p.gamma = per_channel(args, "gamma", p.cols);
  p.beta = per_channel(args, "beta", p.cols);
  p.eps = static_cast<float>(require_number(args, "eps"));
  const tessera::RunOptions options = unpack_run_options(args);
  return [p, options]() { return tessera::layer_norm(p, options); };
}

}  // namespace

void register_layer_norm(Napi::Env env, Napi::Object exports) {
  register_op(env, exports, "layerNorm", unpack_op);
}

}  // namespace tessera_binding
