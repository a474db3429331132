// softmaxSync(args) and softmaxAsync(args) -> Promise<void> (see op_registry.h).
// args: { x, out: Float32Array, rows, cols, xRowStride, outRowStride,
//         isa?: 'auto' | 'scalar' | 'avx2' | 'avx512', threads }
// The TypeScript layer validates first with friendlier messages; these checks keep a direct
// caller from reading or writing out of bounds.
#include <napi.h>

#include "args.h"
#include "bindings.h"
#include "op_registry.h"
#include "row_args.h"
#include "tessera/softmax.h"

namespace tessera_binding {
namespace {

OpCall unpack_op(const Napi::Object& args) {
  tessera::SoftmaxParams p;
  unpack_rows(args, &p);
  const tessera::RunOptions options = unpack_run_options(args);
  return [p, options]() { return tessera::softmax(p, options); };
}

}  // namespace

void register_softmax(Napi::Env env, Napi::Object exports) {
  register_op(env, exports, "softmax", unpack_op);
}

}  // namespace tessera_binding
