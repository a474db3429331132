// Pattern attention forward for fp32 inputs on CUDA cores (the accurate path; see
// attention_fp32.cuh). One block of 8 warps per (query tile, h, b): the tile's <= 64 rows are
// gathered by position into shared memory (warp w owns rows 8w .. 8w + 7, one at a time), then
// the block walks only the tile's key tiles, 32 gathered keys at a time (one per lane). Lane j
// holds the rows that see key j of the chunk; a row that sees none of the chunk skips it, and
// every other row takes its per-lane bit (all set on full key tiles inside the key length).
#include <cstdint>
#include <string>

#include "cuda/attention_fp32.cuh"
#include "cuda/kernel_launch.cuh"
#include "cuda/pattern_attention_launch.h"
#include "cuda/pattern_device.cuh"

namespace tessera {
namespace cuda_detail {
namespace {

constexpr int kWarps = 8;
constexpr int kThreads = kWarps * 32;
constexpr int kWarpRows = 8;
constexpr int kBlockRows = kWarps * kWarpRows;
static_assert(kPatternTileRows <= kBlockRows, "one block holds one query tile");

// Copies the chunk's keys (rows of a [Nk, D] slice with element strides s, gathered by position)
// into dst: [32][row_stride]; keys past the tile or at or past `limit` are zero rows.
template <int kD>
__device__ __forceinline__ void load_key_chunk(float* dst, int row_stride, const PatternView& plan,
                                               const KeyTile& tile, const KeyChunk& chunk,
                                               const float* slice, const Strides4& s, int64_t limit,
                                               int64_t head_dim) {
  const auto row_source = [&](int r) { return key_row(plan, tile, chunk, r, slice, s.seq, limit); };
  load_rows<kD, kThreads>(dst, kFp32TileKeys, row_stride, row_source, s.dim, head_dim);
}

// q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]; plan: uploaded plan
// grid: (query tiles, H, B), block: 256 threads,
// dynamic shared memory: Fp32Tile<kD>::smem_bytes(64)
template <int kD>
__global__ void __launch_bounds__(kThreads)
    pattern_attention_fp32_kernel(const CudaAttentionParams p, const PatternView plan) {
  using Tile = Fp32Tile<kD>;
  extern __shared__ float fp32_smem[];
  float* q_tile = fp32_smem;
  float* k_tile = q_tile + kBlockRows * kD;
  float* v_tile = k_tile + kFp32TileKeys * Tile::kKeyStride;
  const QueryTile tile = plan.query_tiles[blockIdx.x];
  const int64_t b = blockIdx.z;
  const int64_t h = blockIdx.y;
  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const int64_t limit = key_limit(p, b);
  const float score_scale = p.scale * kLog2e;
  const QkvSlices<float> in = qkv_slices<float>(p, b, h);
  const auto q_source = [&](int r) { return query_row(plan, tile, r, in.q, p.q_strides.seq); };
  load_rows<kD, kThreads>(q_tile, kBlockRows, kD, q_source, p.q_strides.dim, p.head_dim);

  const uint64_t rows_word = tile_rows_word(tile.rows.count);
  const int64_t end_tile = tile.first_key_tile + tile.key_tile_count;
  float acc[kWarpRows][kD / 32] = {};
  float m[kWarpRows], l[kWarpRows];
  for (int r = 0; r < kWarpRows; r++) m[r] = neg_inf(), l[r] = 0.0f;
  for (KeyChunk chunk{tile.first_key_tile, 0}; chunk.tile < end_tile;
       chunk = next_chunk(plan, chunk)) {
    const KeyTile key_tile = plan.key_tiles[chunk.tile];
    __syncthreads();  // the previous chunk is consumed
    load_key_chunk<kD>(k_tile, Tile::kKeyStride, plan, key_tile, chunk, in.k, p.k_strides, limit,
                       p.head_dim);
    load_key_chunk<kD>(v_tile, kD, plan, key_tile, chunk, in.v, p.v_strides, limit, p.head_dim);
    __syncthreads();
    const uint64_t seen = lane_key_rows(plan, key_tile, chunk, lane, limit, rows_word);
#pragma unroll
    for (int r = 0; r < kWarpRows; r++) {
      const int row = warp * kWarpRows + r;
      const bool allowed = (seen >> row) & 1u;
      if (!__any_sync(0xffffffffu, allowed)) continue;  // the row sees no key of the chunk
      attend_tile<kD>(q_tile + row * kD, k_tile, v_tile, score_scale, allowed, lane, m[r], l[r],
                      acc[r]);
    }
  }

  for (int r = 0; r < kWarpRows; r++) {
    const int64_t i = query_position(plan, tile, warp * kWarpRows + r);
    if (i < 0) break;
    store_row<kD>(p, b, h, i, lane, acc[r], m[r], l[r]);
  }
}

template <int kD>
Status launch_pattern_fp32(const CudaAttentionParams& p, const PatternView& plan,
                           cudaStream_t stream) {
  const auto kernel = pattern_attention_fp32_kernel<kD>;
  const size_t smem = Fp32Tile<kD>::smem_bytes(kBlockRows);
  const dim3 grid(static_cast<unsigned>(plan.query_tile_count), static_cast<unsigned>(p.heads),
                  static_cast<unsigned>(p.batch));
  return launch_kernel("pattern_attention_fp32", kernel, grid, kThreads, smem, stream, p, plan);
}

}  // namespace

Status launch_pattern_attention_fp32(const CudaAttentionParams& p, const PatternView& plan,
                                     const FlashKernelChoice& choice, cudaStream_t stream) {
  switch (choice.head_dim_bucket) {
    case 32:
      return launch_pattern_fp32<32>(p, plan, stream);
    case 64:
      return launch_pattern_fp32<64>(p, plan, stream);
    case 128:
      return launch_pattern_fp32<128>(p, plan, stream);
    case 256:
      return launch_pattern_fp32<256>(p, plan, stream);
    default:
      return Status(StatusCode::kInternal,
                    "pattern_attention_fp32: no kernel for head dim bucket " +
                        std::to_string(choice.head_dim_bucket));
  }
}

}  // namespace cuda_detail
}  // namespace tessera
