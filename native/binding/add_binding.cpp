// addSync(args) and addAsync(args) -> Promise<void> (see op_registry.h).
// args: { x, y, out: Float32Array, sizes: [4], xStrides, yStrides, outStrides: [4], threads }
// (y broadcasts where its stride is 0). The TypeScript layer validates first with friendlier
// messages; these checks keep a direct caller from reading or writing out of bounds.
#include <napi.h>

#include <algorithm>
#include <vector>

#include "args.h"
#include "bindings.h"
#include "op_registry.h"
#include "tessera/add.h"

namespace tessera_binding {
namespace {

// One operand: its buffer checked against sizes and its strides copied into `strides`.
float* operand(const Napi::Object& args, const char* name, const char* strides_key,
               const std::vector<int64_t>& sizes, int64_t* strides) {
  const TypedView<float> data = require_float32(args, name);
  const std::vector<int64_t> s = require_int_array(args, strides_key, tessera::kMaxAddRank);
  check_extent(args.Env(), name, sizes, s, data.length);
  std::copy(s.begin(), s.end(), strides);
  return data.data;
}

OpCall unpack_op(const Napi::Object& args) {
  tessera::AddParams p;
  const std::vector<int64_t> sizes = require_int_array(args, "sizes", tessera::kMaxAddRank);
  std::copy(sizes.begin(), sizes.end(), p.sizes);
  p.x = operand(args, "x", "xStrides", sizes, p.x_strides);
  p.y = operand(args, "y", "yStrides", sizes, p.y_strides);
  p.out = operand(args, "out", "outStrides", sizes, p.out_strides);
  const int threads = static_cast<int>(require_int(args, "threads", 0));
  return [p, threads]() { return tessera::add(p, threads); };
}

}  // namespace

void register_add(Napi::Env env, Napi::Object exports) {
  register_op(env, exports, "add", unpack_op);
}

}  // namespace tessera_binding
