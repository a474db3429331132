// Flash attention forward for fp32 inputs on CUDA cores. fp32 inputs are computed with plain
// fp32 FMAs, not on tensor cores: TF32 would round q and k to 10 mantissa bits and miss the
// fp32 kernel tolerance. This is the accurate path, not the fast one.
// A block of 4 warps owns 16 query rows of one (b, h) (4 per warp, one at a time); K and V tiles
// of 32 keys sit in shared memory. For each row, lane j scores key j of the tile, the warp runs
// the online softmax (exp2 with scale * log2(e) folded in), and lane c accumulates output dims
// c, c + 32, ... The score matrix never reaches global memory.
#include <cstdint>

#include "cuda/attention_device.cuh"
#include "cuda/cuda_status.h"
#include "cuda/flash_attention_launch.h"

namespace tessera {
namespace cuda_detail {
namespace {

constexpr int kWarps = 4;
constexpr int kThreads = kWarps * 32;
constexpr int kWarpRows = 4;
constexpr int kBlockRows = kWarps * kWarpRows;
constexpr int kBlockKeys = 32;

// Shared memory for compiled head dim kD: q [kBlockRows][kD], k [kBlockKeys][kD + 1] (the pad
// puts the 32 keys that the lanes read at one dim in 32 different banks), v [kBlockKeys][kD].
template <int kD>
struct Fp32Tile {
  static constexpr int kKeyStride = kD + 1;
  static constexpr size_t kSmemBytes =
      sizeof(float) * (kBlockRows * kD + kBlockKeys * kKeyStride + kBlockKeys * kD);
};

// Copies `rows` rows of a [N, D] slice (element strides seq, dim) into dst: [rows][row_stride],
// zero past valid_rows and past head_dim.
template <int kD>
__device__ __forceinline__ void load_rows(float* dst, int rows, int row_stride, const float* src,
                                          int64_t seq_stride, int64_t dim_stride,
                                          int64_t valid_rows, int64_t head_dim) {
  for (int idx = threadIdx.x; idx < rows * kD; idx += kThreads) {
    const int r = idx / kD;
    const int d = idx % kD;
    const bool valid = r < valid_rows && d < head_dim;
    dst[r * row_stride + d] = valid ? src[r * seq_stride + d * dim_stride] : 0.0f;
  }
}

// One query row against one key tile. q_row: [kD] (shared), k_tile: [32][kD + 1], v_tile:
// [32][kD]; acc[c] holds output dim lane + 32 * c; m (log2 units) and l are the row's state.
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
  for (int j = 0; j < kBlockKeys; j++) {
    const float w = __shfl_sync(0xffffffffu, weight, j);
#pragma unroll
    for (int c = 0; c < kD / 32; c++) acc[c] = fmaf(w, v_tile[j * kD + lane + 32 * c], acc[c]);
  }
}

// q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]
// grid: (ceil(Nq / 16), H, B), block: 128 threads, dynamic shared memory: Fp32Tile<kD>::kSmemBytes
template <int kD>
__global__ void __launch_bounds__(kThreads)
    flash_attention_fp32_kernel(const CudaAttentionParams p) {
  using Tile = Fp32Tile<kD>;
  extern __shared__ float fp32_smem[];
  float* q_tile = fp32_smem;
  float* k_tile = q_tile + kBlockRows * kD;
  float* v_tile = k_tile + kBlockKeys * Tile::kKeyStride;
  const int64_t b = blockIdx.z;
  const int64_t h = blockIdx.y;
  const int64_t row0 = static_cast<int64_t>(blockIdx.x) * kBlockRows;
  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const int64_t limit = key_limit(p, b);
  const int64_t key_end = block_key_end(p, limit, row0, kBlockRows);
  const float score_scale = p.scale * kLog2e;
  const float* q = slice_ptr(static_cast<const float*>(p.q), p.q_strides, b, h);
  const float* k = slice_ptr(static_cast<const float*>(p.k), p.k_strides, b, h);
  const float* v = slice_ptr(static_cast<const float*>(p.v), p.v_strides, b, h);
  load_rows<kD>(q_tile, kBlockRows, kD, q + row0 * p.q_strides.seq, p.q_strides.seq,
                p.q_strides.dim, p.seq_q - row0, p.head_dim);

  float acc[kWarpRows][kD / 32] = {};
  float m[kWarpRows], l[kWarpRows];
  for (int r = 0; r < kWarpRows; r++) m[r] = neg_inf(), l[r] = 0.0f;
  for (int64_t key0 = 0; key0 < key_end; key0 += kBlockKeys) {
    __syncthreads();  // the previous tile is consumed
    load_rows<kD>(k_tile, kBlockKeys, Tile::kKeyStride, k + key0 * p.k_strides.seq, p.k_strides.seq,
                  p.k_strides.dim, limit - key0, p.head_dim);
    load_rows<kD>(v_tile, kBlockKeys, kD, v + key0 * p.v_strides.seq, p.v_strides.seq,
                  p.v_strides.dim, limit - key0, p.head_dim);
    __syncthreads();
#pragma unroll
    for (int r = 0; r < kWarpRows; r++) {
      const int64_t i = row0 + warp * kWarpRows + r;
      if (p.causal && key0 > i) continue;  // every key of the tile is masked for this row
      const bool allowed = key_allowed(p, limit, i, key0 + lane);
      attend_tile<kD>(q_tile + (warp * kWarpRows + r) * kD, k_tile, v_tile, score_scale, allowed,
                      lane, m[r], l[r], acc[r]);
    }
  }

  float* out = slice_ptr(static_cast<float*>(p.out), p.out_strides, b, h);
  for (int r = 0; r < kWarpRows; r++) {
    const int64_t i = row0 + warp * kWarpRows + r;
    if (i >= p.seq_q) break;
    const float inv = l[r] > 0.0f ? 1.0f / l[r] : 0.0f;
#pragma unroll
    for (int c = 0; c < kD / 32; c++) {
      const int d = lane + 32 * c;
      if (d < p.head_dim) out[i * p.out_strides.seq + d * p.out_strides.dim] = acc[r][c] * inv;
    }
    if (p.lse && lane == 0) p.lse[(b * p.heads + h) * p.seq_q + i] = lse_from(m[r], l[r]);
  }
}

template <int kD>
Status launch_fp32(const CudaAttentionParams& p, cudaStream_t stream) {
  const auto kernel = flash_attention_fp32_kernel<kD>;
  const size_t smem = Fp32Tile<kD>::kSmemBytes;
  Status status =
      check_cuda("cudaFuncSetAttribute(flash_attention_fp32)",
                 cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                      static_cast<int>(smem)));
  if (!status.ok()) return status;
  const dim3 grid(static_cast<unsigned>((p.seq_q + kBlockRows - 1) / kBlockRows),
                  static_cast<unsigned>(p.heads), static_cast<unsigned>(p.batch));
  kernel<<<grid, kThreads, smem, stream>>>(p);
  return check_launch("launch of flash_attention_fp32");
}

}  // namespace

Status launch_flash_attention_fp32(const CudaAttentionParams& p, const FlashKernelChoice& choice,
                                   cudaStream_t stream) {
  switch (choice.head_dim_bucket) {
    case 32:
      return launch_fp32<32>(p, stream);
    case 64:
      return launch_fp32<64>(p, stream);
    case 128:
      return launch_fp32<128>(p, stream);
    case 256:
      return launch_fp32<256>(p, stream);
    default:
      return Status(StatusCode::kInternal, "flash_attention_fp32: no kernel for head dim bucket " +
                                               std::to_string(choice.head_dim_bucket));
  }
}

}  // namespace cuda_detail
}  // namespace tessera
