// Pattern attention forward for fp16 / bf16 inputs on tensor cores (sm_80+). One block of 4 warps
// per (query tile, h, b): the tile's <= 64 rows are gathered by position into shared memory (warp
// w owns rows 16w .. 16w + 15), then the block walks only the tile's key tiles, 32 gathered keys at
// a time, with the dense kernel's mma pieces (attention_mma.cuh) and its load overlap (V of a chunk
// loads during Q K^T, K of the next chunk during P V). Per chunk each lane holds the rows that see
// its key: a warp none of whose rows sees any key of the chunk skips its math, a chunk where every
// row of the warp sees every key (full key tile, inside the key length) is only scaled, and the
// other chunks apply the mask words. Empty key tiles are not in the plan, so they cost nothing.
#include <cstdint>
#include <string>

#include "cuda/attention_mma.cuh"
#include "cuda/kernel_launch.cuh"
#include "cuda/pattern_attention_launch.h"
#include "cuda/pattern_device.cuh"

namespace tessera {
namespace cuda_detail {
namespace {

static_assert(kPatternTileRows <= kMmaBlockRows, "one mma block holds one query tile");

// Shared memory for compiled head dim kD: Q [64][kD + 8], K and V [32][kD + 8] (16-bit values).
template <int kD>
struct PatternMmaTile {
  static constexpr int kRowStride = kMmaRowStride<kD>;
  static constexpr size_t kSmemBytes =
      sizeof(uint16_t) * kRowStride * (kMmaBlockRows + 2 * kPatternChunkKeys);
};

// Starts loading the chunk's keys (rows of a [Nk, D] slice with element strides s, gathered by
// position) into dst: [32][kD + 8]; keys past the tile or at or past `limit` are zero rows.
template <int kD>
__device__ __forceinline__ void load_key_chunk(uint16_t* dst, const PatternView& plan,
                                               const KeyChunk& chunk, const uint16_t* slice,
                                               const Strides4& s, int64_t limit, int head_dim,
                                               bool vector_loads) {
  const KeyTile tile = plan.key_tiles[chunk.tile];
  const auto row_source = [&](int r) { return key_row(plan, tile, chunk, r, slice, s.seq, limit); };
  load_tile<kD>(dst, kPatternChunkKeys, row_source, slice, s.dim, head_dim, vector_loads);
}

// Scales scores to log2 units; when `masked`, pairs that are not seen become -inf. Lane c's
// `bits` has bit r when row r of the warp's slab sees key c of the chunk; s[nt][e] is (row
// g + 8 * (e / 2), key nt * 8 + 2 * t + e % 2). Every lane must call this (warp shuffles).
template <int kKeyTiles>
__device__ __forceinline__ void scale_and_mask_chunk(float (&s)[kKeyTiles][4], float scale_log2,
                                                     bool masked, uint32_t bits, int lane) {
  const int g = lane / 4;
  const int t = lane % 4;
#pragma unroll
  for (int nt = 0; nt < kKeyTiles; nt++) {
#pragma unroll
    for (int col = 0; col < 2; col++) {
      const uint32_t key_bits = masked ? __shfl_sync(0xffffffffu, bits, nt * 8 + 2 * t + col) : 0;
#pragma unroll
      for (int half = 0; half < 2; half++) {
        const int e = 2 * half + col;
        const bool seen = !masked || ((key_bits >> (g + 8 * half)) & 1u);
        s[nt][e] = seen ? s[nt][e] * scale_log2 : neg_inf();
      }
    }
  }
}

// q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]; plan: uploaded plan
// grid: (query tiles, H, B), block: 128 threads, dynamic shared memory:
// PatternMmaTile<kD>::kSmemBytes
template <typename T, int kD>
__global__ void __launch_bounds__(kMmaThreads)
    pattern_attention_mma_kernel(const CudaAttentionParams p, const PatternView plan,
                                 bool vector_loads) {
  using Tile = PatternMmaTile<kD>;
  constexpr int kKeys = kPatternChunkKeys;
  extern __shared__ __align__(16) uint16_t smem[];
  uint16_t* q_tile = smem;
  uint16_t* k_tile = q_tile + kMmaBlockRows * Tile::kRowStride;
  uint16_t* v_tile = k_tile + kKeys * Tile::kRowStride;
  const QueryTile tile = plan.query_tiles[blockIdx.x];
  const int64_t b = blockIdx.z;
  const int64_t h = blockIdx.y;
  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const int64_t limit = key_limit(p, b);
  const float scale_log2 = p.scale * kLog2e;
  const QkvSlices<uint16_t> in = qkv_slices<uint16_t>(p, b, h);
  const int head_dim = static_cast<int>(p.head_dim);
  const auto q_source = [&](int r) { return query_row(plan, tile, r, in.q, p.q_strides.seq); };
  load_tile<kD>(q_tile, kMmaBlockRows, q_source, in.q, p.q_strides.dim, head_dim, vector_loads);
  const int64_t end_tile = tile.first_key_tile + tile.key_tile_count;
  if (tile.key_tile_count > 0) {
    load_key_chunk<kD>(k_tile, plan, KeyChunk{tile.first_key_tile, 0}, in.k, p.k_strides, limit,
                       head_dim, vector_loads);
  }

  const uint64_t rows_word = tile_rows_word(tile.rows.count);
  const uint32_t warp_rows = static_cast<uint32_t>(rows_word >> (warp * kMmaWarpRows)) & 0xffffu;
  float o[kD / 8][4] = {};
  float m[2] = {neg_inf(), neg_inf()};
  float l[2] = {0.0f, 0.0f};
  for (KeyChunk chunk{tile.first_key_tile, 0}; chunk.tile < end_tile;) {
    cp_async_wait_all();
    __syncthreads();  // K (and Q) of this chunk are in; every warp is done with the previous V
    load_key_chunk<kD>(v_tile, plan, chunk, in.v, p.v_strides, limit, head_dim, vector_loads);
    const KeyTile key_tile = plan.key_tiles[chunk.tile];
    const uint64_t seen = lane_key_rows(plan, key_tile, chunk, lane, limit, rows_word);
    const uint32_t bits = static_cast<uint32_t>(seen >> (warp * kMmaWarpRows)) & 0xffffu;
    const bool active = __any_sync(0xffffffffu, bits != 0);
    float s[kKeys / 8][4];
    if (active) {
      compute_scores<T, kD, kKeys>(q_tile, k_tile, warp, lane, s);
      const bool masked = __any_sync(0xffffffffu, bits != warp_rows);
      scale_and_mask_chunk(s, scale_log2, masked, bits, lane);
      online_softmax(s, m, l, o);
    }
    cp_async_wait_all();
    __syncthreads();  // V of this chunk is in; every warp is done with K
    chunk = next_chunk(plan, chunk);
    if (chunk.tile < end_tile) {
      load_key_chunk<kD>(k_tile, plan, chunk, in.k, p.k_strides, limit, head_dim, vector_loads);
    }
    if (active) accumulate_pv<T, kD, kKeys>(s, v_tile, lane, o);
  }
  cp_async_wait_all();  // no copy may still be in flight when the block exits (no key tiles)
  const int slab_row = warp * kMmaWarpRows + lane / 4;
  const int64_t rows[2] = {query_position(plan, tile, slab_row),
                           query_position(plan, tile, slab_row + 8)};
  store_rows<T, kD>(p, b, h, rows, lane, o, m, l);
}

template <typename T, int kD>
Status launch_pattern_mma(const CudaAttentionParams& p, const PatternView& plan, bool vector_loads,
                          cudaStream_t stream) {
  const auto kernel = pattern_attention_mma_kernel<T, kD>;
  const size_t smem = PatternMmaTile<kD>::kSmemBytes;
  const dim3 grid(static_cast<unsigned>(plan.query_tile_count), static_cast<unsigned>(p.heads),
                  static_cast<unsigned>(p.batch));
  return launch_kernel("pattern_attention_mma", kernel, grid, kMmaThreads, smem, stream, p, plan,
                       vector_loads);
}

template <typename T>
Status launch_for_head_dim(const CudaAttentionParams& p, const PatternView& plan,
                           const FlashKernelChoice& choice, cudaStream_t stream) {
  switch (choice.head_dim_bucket) {
    case 32:
      return launch_pattern_mma<T, 32>(p, plan, choice.vector_loads, stream);
    case 64:
      return launch_pattern_mma<T, 64>(p, plan, choice.vector_loads, stream);
    case 128:
      return launch_pattern_mma<T, 128>(p, plan, choice.vector_loads, stream);
    case 256:
      return launch_pattern_mma<T, 256>(p, plan, choice.vector_loads, stream);
    default:
      return Status(StatusCode::kInternal, "pattern_attention_mma: no kernel for head dim bucket " +
                                               std::to_string(choice.head_dim_bucket));
  }
}

}  // namespace

Status launch_pattern_attention_mma(const CudaAttentionParams& p, const PatternView& plan,
                                    const FlashKernelChoice& choice, cudaStream_t stream) {
  if (p.dtype == DType::kFloat16) return launch_for_head_dim<__half>(p, plan, choice, stream);
  if (p.dtype == DType::kBFloat16) {
    return launch_for_head_dim<__nv_bfloat16>(p, plan, choice, stream);
  }
  return Status(StatusCode::kInternal, std::string("pattern_attention_mma: dtype ") +
                                           dtype_name(p.dtype) + " is not 16-bit");
}

}  // namespace cuda_detail
}  // namespace tessera
