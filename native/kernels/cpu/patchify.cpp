// patchify(): a gather, one patch (output row) per step. The spatial axes are padded to three
// with leading axes of size 1, so one loop nest serves 1D, 2D and 3D patches; the innermost run
// of P_{R-1} pixels is a plain copy when both sides are contiguous.
#include "tessera/patchify.h"

#include <algorithm>
#include <string>

#include "common/layout.h"
#include "common/row_blocks.h"

namespace tessera {
namespace {

// The spatial axes padded to kMaxPatchRank: axis a of the padded view is axis
// a - (kMaxPatchRank - R) of the input.
struct Geometry {
  int64_t patch[kMaxPatchRank];
  int64_t grid[kMaxPatchRank];    // patches along the axis
  int64_t stride[kMaxPatchRank];  // pixel stride along the axis
};

Geometry padded_geometry(const PatchifyParams& p) {
  Geometry g;
  const int pad = kMaxPatchRank - p.rank;
  for (int a = 0; a < kMaxPatchRank; a++) {
    const int axis = a - pad;
    g.patch[a] = axis < 0 ? 1 : p.patch[axis];
    g.grid[a] = axis < 0 ? 1 : p.size[axis] / p.patch[axis];
    g.stride[a] = axis < 0 ? 0 : p.pixel_strides[2 + axis];
  }
  return g;
}

// dst[i * dst_stride] = src[i * src_stride] for i < n.
void copy_run(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t n) {
  if (src_stride == 1 && dst_stride == 1) {
    std::copy(src, src + n, dst);
    return;
  }
  for (int64_t i = 0; i < n; i++) dst[i * dst_stride] = src[i * src_stride];
}

// Patch n of batch item b: pixels [C, P_0, P_1, P_2] at the patch's corner -> out row [K].
void patch_row(const PatchifyParams& p, const Geometry& g, int64_t b, int64_t n) {
  const int64_t g2 = n % g.grid[2];
  const int64_t g1 = (n / g.grid[2]) % g.grid[1];
  const int64_t g0 = n / (g.grid[2] * g.grid[1]);
  const float* corner = p.pixels + b * p.pixel_strides[0] + g0 * g.patch[0] * g.stride[0] +
                        g1 * g.patch[1] * g.stride[1] + g2 * g.patch[2] * g.stride[2];
  const int64_t k_stride = p.out_strides[2];
  float* out = p.out + b * p.out_strides[0] + n * p.out_strides[1];
  for (int64_t c = 0; c < p.channels; c++) {
    for (int64_t k0 = 0; k0 < g.patch[0]; k0++) {
      for (int64_t k1 = 0; k1 < g.patch[1]; k1++) {
        const float* src = corner + c * p.pixel_strides[1] + k0 * g.stride[0] + k1 * g.stride[1];
        copy_run(src, g.stride[2], out, k_stride, g.patch[2]);
        out += g.patch[2] * k_stride;
      }
    }
  }
}

Status check_sizes(const PatchifyParams& p) {
  if (p.rank < 1 || p.rank > kMaxPatchRank) {
    return Status::Invalid("patch: expected 1 to " + std::to_string(kMaxPatchRank) +
                           " spatial axes, received " + std::to_string(p.rank));
  }
  if (p.batch < 1 || p.channels < 1) return Status::Invalid("args: B and C must be >= 1");
  for (int a = 0; a < p.rank; a++) {
    if (p.patch[a] < 1 || p.size[a] < p.patch[a]) {
      return Status::Invalid("patch[" + std::to_string(a) + "]: expected a size in [1, " +
                             std::to_string(p.size[a]) + "] (the pixels' spatial size), received " +
                             std::to_string(p.patch[a]));
    }
  }
  return Status::Ok();
}

}  // namespace

int64_t patch_count(const PatchifyParams& p) {
  int64_t n = 1;
  for (int a = 0; a < p.rank; a++) n *= p.size[a] / p.patch[a];
  return n;
}

int64_t patch_features(const PatchifyParams& p) {
  int64_t k = p.channels;
  for (int a = 0; a < p.rank; a++) k *= p.patch[a];
  return k;
}

Status check_patchify_params(const PatchifyParams& p) {
  if (!p.pixels || !p.out) return Status::Invalid("args: missing pixels or out");
  Status status = check_sizes(p);
  if (!status.ok()) return status;
  const int64_t out_sizes[3] = {p.batch, patch_count(p), patch_features(p)};
  if (!distinct_elements(out_sizes, p.out_strides, 3)) {
    return Status::Invalid("out: expected strides that give every element its own address");
  }
  int64_t pixel_sizes[2 + kMaxPatchRank] = {p.batch, p.channels};
  std::copy(p.size, p.size + p.rank, pixel_sizes + 2);
  if (overlaps(p.pixels, span(pixel_sizes, p.pixel_strides, 2 + p.rank), p.out,
               span(out_sizes, p.out_strides, 3))) {
    return Status::Invalid("out: expected memory that does not overlap pixels");
  }
  return Status::Ok();
}

// pixels: [B, C, S_0, ..., S_{R-1}] -> out: [B, N, K]
Status patchify(const PatchifyParams& p, int max_threads) {
  Status status = check_patchify_params(p);
  if (!status.ok()) return status;
  const Geometry g = padded_geometry(p);
  const int64_t patches = patch_count(p);
  for_each_row_block(p.batch * patches, patch_features(p), max_threads,
                     [&](int64_t first, int64_t end) {
                       for (int64_t r = first; r < end; r++)
                         patch_row(p, g, r / patches, r % patches);
                     });
  return Status::Ok();
}

}  // namespace tessera
