// resampleAxisSync(args) and resampleAxisAsync(args) -> Promise<void> (see op_registry.h).
// args: { src, out: Uint8Array, outer, inSize, outSize, inner,
//         first, taps, weights: Int32Array, stride, threads }
// src: [outer, inSize, inner] -> out: [outer, outSize, inner]; first, taps: [outSize];
// weights: [outSize, stride] (tessera/resample.h). The TypeScript layer computes the weights;
// these checks keep a direct caller from reading or writing out of bounds.
#include <napi.h>

#include <string>

#include "args.h"
#include "bindings.h"
#include "op_registry.h"
#include "tessera/resample.h"

namespace tessera_binding {
namespace {

// Throws unless `view` holds exactly the product of `dims` elements, which `shape` names.
template <class T>
void require_length(Napi::Env env, const char* name, const TypedView<T>& view, const char* shape,
                    std::initializer_list<int64_t> dims) {
  uint64_t count = 1;
  bool overflow = false;
  for (const int64_t d : dims) overflow |= __builtin_mul_overflow(count, d, &count);
  if (overflow || count != view.length) {
    const std::string expected = overflow ? "more than 2^64" : std::to_string(count);
    throw status_error(
        env, tessera::Status::Invalid(std::string(name) + ": expected " + shape + " = " + expected +
                                      " elements, received " + std::to_string(view.length)));
  }
}

OpCall unpack_op(const Napi::Object& args) {
  const Napi::Env env = args.Env();
  tessera::ResampleParams p;
  p.outer = require_int(args, "outer", 1);
  p.in_size = require_int(args, "inSize", 1);
  p.out_size = require_int(args, "outSize", 1);
  p.inner = require_int(args, "inner", 1);
  p.stride = require_int(args, "stride", 1);
  const TypedView<uint8_t> src = require_uint8(args, "src");
  const TypedView<uint8_t> out = require_uint8(args, "out");
  const TypedView<int32_t> first = require_int32(args, "first");
  const TypedView<int32_t> taps = require_int32(args, "taps");
  const TypedView<int32_t> weights = require_int32(args, "weights");
  require_length(env, "src", src, "outer x inSize x inner", {p.outer, p.in_size, p.inner});
  require_length(env, "out", out, "outer x outSize x inner", {p.outer, p.out_size, p.inner});
  require_length(env, "first", first, "outSize", {p.out_size});
  require_length(env, "taps", taps, "outSize", {p.out_size});
  require_length(env, "weights", weights, "outSize x stride", {p.out_size, p.stride});
  p.src = src.data;
  p.out = out.data;
  p.first = first.data;
  p.taps = taps.data;
  p.weights = weights.data;
  tessera::RunOptions options;
  options.max_threads = static_cast<int>(require_int(args, "threads", 0));
  return [p, options]() { return tessera::resample_axis(p, options); };
}

}  // namespace

void register_resample(Napi::Env env, Napi::Object exports) {
  register_op(env, exports, "resampleAxis", unpack_op);
}

}  // namespace tessera_binding
