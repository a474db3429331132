// CUDA-core pieces shared by the fp32 attention kernels (dense flash attention and pattern
// attention). fp32 inputs are computed with plain fp32 FMAs, not on tensor cores: TF32 would round
// q and k to 10 mantissa bits and miss the fp32 kernel tolerance. K and V tiles of 32 keys sit in
// shared memory; for one query row, lane j scores key j of the tile, the warp runs the online
// softmax (exp2 with scale * log2(e) folded in) and lane c accumulates output dims c, c + 32, ...
#pragma once

#include <cstdint>

#include "cuda/attention_device.cuh"

namespace tessera {
namespace cuda_detail {

constexpr int kFp32TileKeys = 32;  // one key per lane

// Shared-memory row strides for compiled head dim kD: q and v rows kD, k rows kD + 1 (the pad
// puts the 32 keys that the lanes read at one dim in 32 different banks).
template <int kD>
struct Fp32Tile {
  static constexpr int kKeyStride = kD + 1;
  // q [rows][kD], k [32][kD + 1], v [32][kD]
  static constexpr size_t smem_bytes(int query_rows) {
    return sizeof(float) * (query_rows * kD + kFp32TileKeys * kKeyStride + kFp32TileKeys * kD);
  }
};

// Copies `rows` rows into dst: [rows][row_stride] with the block's kThreads threads.
// row_source(r) is the first element of row r (dims dim_stride apart) or null for a row of
// zeros; dims at or past head_dim are zero too.
template <int kD, int kThreads, typename RowSource>
__device__ __forceinline__ void load_rows(float* dst, int rows, int row_stride,
                                          RowSource row_source, int64_t dim_stride,
                                          int64_t head_dim) {
  for (int idx = threadIdx.x; idx < rows * kD; idx += kThreads) {
    const int r = idx / kD;
    const int d = idx % kD;
    const float* src = d < head_dim ? row_source(r) : nullptr;
    dst[r * row_stride + d] = src != nullptr ? src[d * dim_stride] : 0.0f;
  }
}

// One query row against one key tile; `allowed` is this lane's key. q_row: [kD] (shared),
// k_tile: [32][kD + 1], v_tile: [32][kD]; acc[c] holds output dim lane + 32 * c; m (log2 units)
// and l are the row's state. Every lane must call this (warp shuffles).
template <int kD>
__device__ __forceinline__ void attend_tile(const float* q_row, const float* k_tile,
                                            const float* v_tile, float score_scale, bool allowed,
                                            int lane, float& m, float& l, float (&acc)[kD / 32]) {
  float dot = 0.0f;
  const float* k_row = k_tile + lane * Fp32Tile<kD>::kKeyStride;
#pragma unroll 16
  for (int d = 0; d < kD; d++) dot = fmaf(q_row[d], k_row[d], dot);
  const float s = allowed ? dot * score_scale : neg_inf();
  const float row_max = warp_max(fmaxf(m, s));
  // While every key so far is masked the max is -inf: subtract 0 so no inf - inf appears.
  const float base = row_max == neg_inf() ? 0.0f : row_max;
  const float alpha = exp2f(m - base);
  const float weight = exp2f(s - base);
  m = row_max;
  l = l * alpha + warp_sum(weight);
#pragma unroll
  for (int c = 0; c < kD / 32; c++) acc[c] *= alpha;
  for (int j = 0; j < kFp32TileKeys; j++) {
    const float w = __shfl_sync(0xffffffffu, weight, j);
#pragma unroll
    for (int c = 0; c < kD / 32; c++) acc[c] = fmaf(w, v_tile[j * kD + lane + 32 * c], acc[c]);
  }
}

// Normalizes and stores output row i (query position) of the warp; lane 0 writes its lse.
//   out: [B, Nq, H, D] strided, lse: [B, H, Nq]
template <int kD>
__device__ __forceinline__ void store_row(const CudaAttentionParams& p, int64_t b, int64_t h,
                                          int64_t i, int lane, const float (&acc)[kD / 32], float m,
                                          float l) {
  float* out = slice_ptr(static_cast<float*>(p.out), p.out_strides, b, h);
  const float inv = l > 0.0f ? 1.0f / l : 0.0f;
#pragma unroll
  for (int c = 0; c < kD / 32; c++) {
    const int d = lane + 32 * c;
    if (d < p.head_dim) out[i * p.out_strides.seq + d * p.out_strides.dim] = acc[c] * inv;
  }
  if (p.lse && lane == 0) p.lse[(b * p.heads + h) * p.seq_q + i] = lse_from(m, l);
}

}  // namespace cuda_detail
}  // namespace tessera
