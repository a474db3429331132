// patchifySync(args) and patchifyAsync(args) -> Promise<void> (see op_registry.h).
// args: { pixels, out: Float32Array, batch, channels, size: [R], patch: [R], pixelStrides: [2 + R],
//         outStrides: [3], threads }, R = 1 to 3 spatial axes (out is [B, N, K]).
// The TypeScript layer validates first with friendlier messages; these checks keep a direct
// caller from reading or writing out of bounds.
#include <napi.h>

#include <algorithm>
#include <string>
#include <vector>

#include "args.h"
#include "bindings.h"
#include "op_registry.h"
#include "tessera/patchify.h"

namespace tessera_binding {
namespace {

// R, the length of args.patch.
int spatial_rank(const Napi::Object& args) {
  Napi::Value patch = args.Get("patch");
  const uint32_t rank = patch.IsArray() ? patch.As<Napi::Array>().Length() : 0;
  if (rank < 1 || rank > tessera::kMaxPatchRank) {
    throw status_error(
        args.Env(), tessera::Status::Invalid("patch: expected an array of 1 to " +
                                             std::to_string(tessera::kMaxPatchRank) + " integers"));
  }
  return static_cast<int>(rank);
}

OpCall unpack_op(const Napi::Object& args) {
  tessera::PatchifyParams p;
  p.rank = spatial_rank(args);
  const size_t rank = static_cast<size_t>(p.rank);
  p.batch = require_int(args, "batch", 1);
  p.channels = require_int(args, "channels", 1);
  const std::vector<int64_t> size = require_int_array(args, "size", rank);
  const std::vector<int64_t> patch = require_int_array(args, "patch", rank);
  std::copy(size.begin(), size.end(), p.size);
  std::copy(patch.begin(), patch.end(), p.patch);
  const std::vector<int64_t> pixel_strides = require_int_array(args, "pixelStrides", 2 + rank);
  const std::vector<int64_t> out_strides = require_int_array(args, "outStrides", 3);
  std::copy(pixel_strides.begin(), pixel_strides.end(), p.pixel_strides);
  std::copy(out_strides.begin(), out_strides.end(), p.out_strides);

  const TypedView<float> pixels = require_float32(args, "pixels");
  const TypedView<float> out = require_float32(args, "out");
  std::vector<int64_t> pixel_sizes{p.batch, p.channels};
  pixel_sizes.insert(pixel_sizes.end(), size.begin(), size.end());
  check_extent(args.Env(), "pixels", pixel_sizes, pixel_strides, pixels.length);
  p.pixels = pixels.data;
  p.out = out.data;
  // Sizes first: N and K below are computed from them.
  const tessera::Status status = tessera::check_patchify_params(p);
  if (!status.ok()) throw status_error(args.Env(), status);
  check_extent(args.Env(), "out", {p.batch, tessera::patch_count(p), tessera::patch_features(p)},
               out_strides, out.length);
  const int threads = static_cast<int>(require_int(args, "threads", 0));
  return [p, threads]() { return tessera::patchify(p, threads); };
}

}  // namespace

void register_patchify(Napi::Env env, Napi::Object exports) {
  register_op(env, exports, "patchify", unpack_op);
}

}  // namespace tessera_binding
