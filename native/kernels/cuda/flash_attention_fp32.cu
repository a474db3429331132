// Flash attention forward for fp32 inputs on CUDA cores (the accurate path, not the fast one;
// see attention_fp32.cuh). A block of 4 warps owns 16 query rows of one (b, h) (4 per warp, one at
// a time); K and V tiles of 32 keys sit in shared memory. The score matrix never reaches global
// memory.
#include <cstdint>
#include <string>

#include "cuda/attention_fp32.cuh"
#include "cuda/flash_attention_launch.h"
#include "cuda/kernel_launch.cuh"

namespace tessera {
namespace cuda_detail {
namespace {

constexpr int kWarps = 4;
constexpr int kThreads = kWarps * 32;
constexpr int kWarpRows = 4;
constexpr int kBlockRows = kWarps * kWarpRows;

// Copies rows row0 .. row0 + rows - 1 of a [N, D] slice with element strides s into
// dst: [rows][row_stride]; rows at or past valid_end are zero.
template <int kD>
__device__ __forceinline__ void load_run(float* dst, int rows, int row_stride, const float* slice,
                                         const Strides4& s, int64_t row0, int64_t valid_end,
                                         int64_t head_dim) {
  const float* first = slice + row0 * s.seq;
  const int64_t valid_rows = valid_end - row0;
  const auto row_source = [&](int r) { return r < valid_rows ? first + r * s.seq : nullptr; };
  load_rows<kD, kThreads>(dst, rows, row_stride, row_source, s.dim, head_dim);
}

// q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]
// grid: (ceil(Nq / 16), H, B), block: 128 threads,
// dynamic shared memory: Fp32Tile<kD>::smem_bytes(kBlockRows)
template <int kD>
__global__ void __launch_bounds__(kThreads)
    flash_attention_fp32_kernel(const CudaAttentionParams p) {
  using Tile = Fp32Tile<kD>;
  extern __shared__ float fp32_smem[];
  float* q_tile = fp32_smem;
  float* k_tile = q_tile + kBlockRows * kD;
  float* v_tile = k_tile + kFp32TileKeys * Tile::kKeyStride;
  const int64_t b = blockIdx.z;
  const int64_t h = blockIdx.y;
  const int64_t row0 = static_cast<int64_t>(blockIdx.x) * kBlockRows;
  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const int64_t limit = key_limit(p, b);
  const int64_t key_end = block_key_end(p, limit, row0, kBlockRows);
  const float score_scale = p.scale * kLog2e;
  const QkvSlices<float> in = qkv_slices<float>(p, b, h);
  load_run<kD>(q_tile, kBlockRows, kD, in.q, p.q_strides, row0, p.seq_q, p.head_dim);

  float acc[kWarpRows][kD / 32] = {};
  float m[kWarpRows], l[kWarpRows];
  for (int r = 0; r < kWarpRows; r++) m[r] = neg_inf(), l[r] = 0.0f;
  for (int64_t key0 = 0; key0 < key_end; key0 += kFp32TileKeys) {
    __syncthreads();  // the previous tile is consumed
    load_run<kD>(k_tile, kFp32TileKeys, Tile::kKeyStride, in.k, p.k_strides, key0, limit,
                 p.head_dim);
    load_run<kD>(v_tile, kFp32TileKeys, kD, in.v, p.v_strides, key0, limit, p.head_dim);
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

  for (int r = 0; r < kWarpRows; r++) {
    const int64_t i = row0 + warp * kWarpRows + r;
    if (i >= p.seq_q) break;
    store_row<kD>(p, b, h, i, lane, acc[r], m[r], l[r]);
  }
}

template <int kD>
Status launch_fp32(const CudaAttentionParams& p, cudaStream_t stream) {
  const auto kernel = flash_attention_fp32_kernel<kD>;
  const size_t smem = Fp32Tile<kD>::smem_bytes(kBlockRows);
  const dim3 grid(static_cast<unsigned>((p.seq_q + kBlockRows - 1) / kBlockRows),
                  static_cast<unsigned>(p.heads), static_cast<unsigned>(p.batch));
  return launch_kernel("flash_attention_fp32", kernel, grid, kThreads, smem, stream, p);
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
