// Flash attention forward for fp16 / bf16 inputs on tensor cores (sm_80+: mma.sync.m16n8k16).
// A block of 4 warps owns 64 query rows of one (b, h); each warp owns 16 of them. Q, K and V
// tiles sit in shared memory as raw 16-bit values, zero padded to the compiled head dim (copied
// with cp.async when rows are contiguous and 16-byte aligned). The scores S = Q K^T and the output
// accumulator O stay in fp32 mma registers, the online softmax (exp2 with scale * log2(e) folded
// in) runs on those registers, and P is rounded to the input type only as the A operand of P V.
// The score matrix never reaches global memory. The mma pieces live in attention_mma.cuh.
#include <cstdint>
#include <string>

#include "cuda/attention_mma.cuh"
#include "cuda/flash_attention_launch.h"
#include "cuda/kernel_launch.cuh"

namespace tessera {
namespace cuda_detail {
namespace {

// Shared-memory geometry for compiled head dim kD: Q [64][kD + 8], K and V [kBlockKeys][kD + 8].
template <int kD>
struct MmaTile {
  static constexpr int kBlockKeys = kD <= 128 ? 64 : 32;
  static constexpr int kRowStride = kMmaRowStride<kD>;
  static constexpr size_t kSmemBytes =
      sizeof(uint16_t) * kRowStride * (kMmaBlockRows + 2 * kBlockKeys);
};

// Starts loading rows row0 .. row0 + rows - 1 of a [N, D] slice with element strides s into
// dst: [rows][kD + 8]; rows at or past valid_end are zero (see load_tile).
template <int kD>
__device__ __forceinline__ void load_run(uint16_t* dst, int rows, const uint16_t* slice,
                                         const Strides4& s, int64_t row0, int64_t valid_end,
                                         int head_dim, bool vector_loads) {
  const uint16_t* first = slice + row0 * s.seq;
  const int64_t valid_rows = valid_end - row0;
  const auto row_source = [&](int r) { return r < valid_rows ? first + r * s.seq : nullptr; };
  load_tile<kD>(dst, rows, row_source, slice, s.dim, head_dim, vector_loads);
}

// Scales scores to log2 units; when `masked`, disallowed pairs become -inf.
// s[nt][e] is (row warp_row0 + g + 8 * (e / 2), key key0 + nt * 8 + 2 * t + e % 2).
template <int kKeyTiles>
__device__ __forceinline__ void scale_and_mask(float (&s)[kKeyTiles][4],
                                               const CudaAttentionParams& p, float scale_log2,
                                               bool masked, int64_t limit, int64_t warp_row0,
                                               int64_t key0, int lane) {
  const int g = lane / 4;
  const int t = lane % 4;
#pragma unroll
  for (int nt = 0; nt < kKeyTiles; nt++) {
#pragma unroll
    for (int e = 0; e < 4; e++) {
      const int64_t i = warp_row0 + g + 8 * (e / 2);
      const int64_t j = key0 + nt * 8 + 2 * t + e % 2;
      s[nt][e] = masked && !key_allowed(p, limit, i, j) ? neg_inf() : s[nt][e] * scale_log2;
    }
  }
}

// q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]
// grid: (ceil(Nq / 64), H, B), block: 128 threads, dynamic shared memory: MmaTile<kD>::kSmemBytes
template <typename T, int kD>
__global__ void __launch_bounds__(kMmaThreads)
    flash_attention_mma_kernel(const CudaAttentionParams p, bool vector_loads) {
  using Tile = MmaTile<kD>;
  constexpr int kKeys = Tile::kBlockKeys;
  extern __shared__ __align__(16) uint16_t smem[];
  uint16_t* q_tile = smem;
  uint16_t* k_tile = q_tile + kMmaBlockRows * Tile::kRowStride;
  uint16_t* v_tile = k_tile + kKeys * Tile::kRowStride;
  const int64_t b = blockIdx.z;
  const int64_t h = blockIdx.y;
  const int64_t row0 = static_cast<int64_t>(blockIdx.x) * kMmaBlockRows;
  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const int64_t warp_row0 = row0 + warp * kMmaWarpRows;
  const int64_t limit = key_limit(p, b);
  const int64_t key_end = block_key_end(p, limit, row0, kMmaBlockRows);
  const float scale_log2 = p.scale * kLog2e;
  const QkvSlices<uint16_t> in = qkv_slices<uint16_t>(p, b, h);
  const int head_dim = static_cast<int>(p.head_dim);
  load_run<kD>(q_tile, kMmaBlockRows, in.q, p.q_strides, row0, p.seq_q, head_dim, vector_loads);
  if (key_end > 0) load_run<kD>(k_tile, kKeys, in.k, p.k_strides, 0, limit, head_dim, vector_loads);

  // FlashAttention-2's overlap: V of this tile loads during S = Q K^T, K of the next tile during
  // O += P V. One K and one V buffer; the barriers order the reuse.
  float o[kD / 8][4] = {};
  float m[2] = {neg_inf(), neg_inf()};
  float l[2] = {0.0f, 0.0f};
  for (int64_t key0 = 0; key0 < key_end; key0 += kKeys) {
    cp_async_wait_all();
    __syncthreads();  // K (and Q) of this tile are in; every warp is done with the previous V
    load_run<kD>(v_tile, kKeys, in.v, p.v_strides, key0, limit, head_dim, vector_loads);
    // Causal: a warp whose rows all precede the tile has every pair masked and skips the math.
    const bool active = !p.causal || key0 <= warp_row0 + kMmaWarpRows - 1;
    float s[kKeys / 8][4];
    if (active) {
      compute_scores<T, kD, kKeys>(q_tile, k_tile, warp, lane, s);
      const bool masked = key0 + kKeys > limit || (p.causal && key0 + kKeys - 1 > warp_row0);
      scale_and_mask(s, p, scale_log2, masked, limit, warp_row0, key0, lane);
      online_softmax(s, m, l, o);
    }
    cp_async_wait_all();
    __syncthreads();  // V of this tile is in; every warp is done with K
    const int64_t next = key0 + kKeys;
    if (next < key_end) {
      load_run<kD>(k_tile, kKeys, in.k, p.k_strides, next, limit, head_dim, vector_loads);
    }
    if (active) accumulate_pv<T, kD, kKeys>(s, v_tile, lane, o);
  }
  cp_async_wait_all();  // no copy may still be in flight when the block exits (empty loop)
  const int64_t first_row = warp_row0 + lane / 4;
  const int64_t rows[2] = {first_row < p.seq_q ? first_row : -1,
                           first_row + 8 < p.seq_q ? first_row + 8 : -1};
  store_rows<T, kD>(p, b, h, rows, lane, o, m, l);
}

template <typename T, int kD>
Status launch_mma(const CudaAttentionParams& p, bool vector_loads, cudaStream_t stream) {
  const auto kernel = flash_attention_mma_kernel<T, kD>;
  const size_t smem = MmaTile<kD>::kSmemBytes;
  const dim3 grid(static_cast<unsigned>((p.seq_q + kMmaBlockRows - 1) / kMmaBlockRows),
                  static_cast<unsigned>(p.heads), static_cast<unsigned>(p.batch));
  return launch_kernel("flash_attention_mma", kernel, grid, kMmaThreads, smem, stream, p,
                       vector_loads);
}

template <typename T>
Status launch_for_head_dim(const CudaAttentionParams& p, const FlashKernelChoice& choice,
                           cudaStream_t stream) {
  switch (choice.head_dim_bucket) {
    case 32:
      return launch_mma<T, 32>(p, choice.vector_loads, stream);
    case 64:
      return launch_mma<T, 64>(p, choice.vector_loads, stream);
    case 128:
      return launch_mma<T, 128>(p, choice.vector_loads, stream);
    case 256:
      return launch_mma<T, 256>(p, choice.vector_loads, stream);
    default:
      return Status(StatusCode::kInternal, "flash_attention_mma: no kernel for head dim bucket " +
                                               std::to_string(choice.head_dim_bucket));
  }
}

}  // namespace

Status launch_flash_attention_mma(const CudaAttentionParams& p, const FlashKernelChoice& choice,
                                  cudaStream_t stream) {
  if (p.dtype == DType::kFloat16) return launch_for_head_dim<__half>(p, choice, stream);
  if (p.dtype == DType::kBFloat16) return launch_for_head_dim<__nv_bfloat16>(p, choice, stream);
  return Status(StatusCode::kInternal, std::string("flash_attention_mma: dtype ") +
                                           dtype_name(p.dtype) + " is not 16-bit");
}

}  // namespace cuda_detail
}  // namespace tessera
