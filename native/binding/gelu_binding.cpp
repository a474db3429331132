// geluSync(args) and geluAsync(args) -> Promise<void> (see op_registry.h).
// args: { x, out: Float32Array, rows, cols, xRowStride, outRowStride,
//         approximate?: 'none' | 'tanh', isa?: 'auto' | 'scalar' | 'avx2' | 'avx512', threads }
// The TypeScript layer validates first with friendlier messages; these checks keep a direct
// caller from reading or writing out of bounds.
#include <napi.h>

#include <string>

#include "args.h"
#include "bindings.h"
#include "op_registry.h"
#include "row_args.h"
#include "tessera/gelu.h"

namespace tessera_binding {
namespace {

tessera::GeluApproximation parse_approximation(const Napi::Object& args) {
  const std::string name = optional_string(args, "approximate", "none");
  if (name == "none") return tessera::GeluApproximation::kNone;
  if (name == "tanh") return tessera::GeluApproximation::kTanh;
  throw status_error(
      args.Env(),
      tessera::Status::Invalid("approximate: expected 'none' or 'tanh', received '" + name + "'"));
}

OpCall unpack_op(const Napi::Object& args) {
  tessera::GeluParams p;
  unpack_rows(args, &p);
  p.approximate = parse_approximation(args);
  const tessera::RunOptions options = unpack_run_options(args);
  return [p, options]() { return tessera::gelu(p, options); };
}

}  // namespace

void register_gelu(Napi::Env env, Napi::Object exports) {
  register_op(env, exports, "gelu", unpack_op);
}

}  // namespace tessera_binding
