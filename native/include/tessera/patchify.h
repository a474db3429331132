// patchify: im2col for a convolution whose stride equals its kernel, so that a ViT patch embedding
// (Conv2d) or a video tubelet embedding (Conv3d) becomes one GEMM with the flattened conv weight.
// One rank-generic kernel for 1, 2 or 3 spatial axes.
#pragma once

#include <cstdint>

#include "tessera/status.h"

namespace tessera {

constexpr int kMaxPatchRank = 3;

// pixels: [B, C, S_0, ..., S_{R-1}] with element strides for every dim (so channels-last
//         [B, H, W, C] or one frame of [B, T, C, H, W] can be read as a view)
// out:    [B, N, K] with element strides, N = prod floor(S_i / P_i) patches in row-major grid
//         order, K = C * prod P_i features in (c, k_0, ..., k_{R-1}) order: the order of a
//         PyTorch Conv{R}d weight [hidden, C, P_0, ..., P_{R-1}] flattened to [hidden, K].
// Pixels past the last whole patch of an axis are dropped, as the convolution drops them.
struct PatchifyParams {
  const float* pixels = nullptr;
  float* out = nullptr;
  int rank = 2;  // R, the number of spatial axes: 1 to kMaxPatchRank
  int64_t batch = 0, channels = 0;
  int64_t size[kMaxPatchRank] = {};               // S_i
  int64_t patch[kMaxPatchRank] = {};              // P_i
  int64_t pixel_strides[2 + kMaxPatchRank] = {};  // B, C, S_0, ..., S_{R-1}
  int64_t out_strides[3] = {};                    // B, N, K
};

// N: the number of patches.
int64_t patch_count(const PatchifyParams& p);

// K: the features of one patch.
int64_t patch_features(const PatchifyParams& p);

// Checks pointers, sizes (every axis holds at least one patch), that out gives every element its
// own address and does not overlap pixels.
Status check_patchify_params(const PatchifyParams& p);

// Checks the parameters; on success copies the patches (parallel over patches).
Status patchify(const PatchifyParams& p, int max_threads);

}  // namespace tessera
