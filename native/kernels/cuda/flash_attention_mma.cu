// Flash attention forward for fp16 / bf16 inputs on tensor cores (sm_80+: mma.sync.m16n8k16).
// A block of 4 warps owns 64 query rows of one (b, h); each warp owns 16 of them. Q, K and V
// tiles sit in shared memory as raw 16-bit values, zero padded to the compiled head dim (copied
// with cp.async when rows are contiguous and 16-byte aligned). The scores S = Q K^T and the output
// accumulator O stay in fp32 mma registers, the online softmax (exp2 with scale * log2(e) folded
// in) runs on those registers, and P is rounded to the input type only as the A operand of P V.
// The score matrix never reaches global memory.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <cstring>

#include "cuda/attention_device.cuh"
#include "cuda/cuda_status.h"
#include "cuda/flash_attention_launch.h"

namespace tessera {
namespace cuda_detail {
namespace {

constexpr int kWarps = 4;
constexpr int kThreads = kWarps * 32;
constexpr int kWarpRows = 16;
constexpr int kBlockRows = kWarps * kWarpRows;

// Shared-memory geometry for compiled head dim kD. Rows are padded by 8 values (16 bytes):
// rows stay 16-byte aligned for vector stores and ldmatrix, and the 8 rows a fragment load
// touches fall in different banks.
template <int kD>
struct MmaTile {
  static constexpr int kBlockKeys = kD <= 128 ? 64 : 32;
  static constexpr int kRowStride = kD + 8;
  static constexpr size_t kSmemBytes =
      sizeof(uint16_t) * kRowStride * (kBlockRows + 2 * kBlockKeys);
};

// The input types: packing fp32 pairs into an mma operand, the mma itself, the output store.
template <typename T>
struct MmaType;

template <>
struct MmaType<__half> {
  static __device__ __forceinline__ uint32_t pack(float lo, float hi) {
    const __half2 pair = __floats2half2_rn(lo, hi);
    uint32_t bits;
    memcpy(&bits, &pair, sizeof(bits));
    return bits;
  }
  // c: [16 x 8] fp32 += a: [16 x 16] (row) * b: [16 x 8] (col)
  static __device__ __forceinline__ void mma(float (&c)[4], const uint32_t (&a)[4], uint32_t b0,
                                             uint32_t b1) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
        "{%8, %9}, {%0, %1, %2, %3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
  static __device__ __forceinline__ __half from_float(float x) { return __float2half_rn(x); }
};

template <>
struct MmaType<__nv_bfloat16> {
  static __device__ __forceinline__ uint32_t pack(float lo, float hi) {
    const __nv_bfloat162 pair = __floats2bfloat162_rn(lo, hi);
    uint32_t bits;
    memcpy(&bits, &pair, sizeof(bits));
    return bits;
  }
  // c: [16 x 8] fp32 += a: [16 x 16] (row) * b: [16 x 8] (col)
  static __device__ __forceinline__ void mma(float (&c)[4], const uint32_t (&a)[4], uint32_t b0,
                                             uint32_t b1) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
        "{%8, %9}, {%0, %1, %2, %3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
  static __device__ __forceinline__ __nv_bfloat16 from_float(float x) {
    return __float2bfloat16_rn(x);
  }
};

__device__ __forceinline__ uint32_t load_pair(const uint16_t* ptr) {
  return *reinterpret_cast<const uint32_t*>(ptr);
}

// Four transposed 8x8 matrices of 16-bit values; lane i gives the row address of matrix i / 8,
// row i % 8, and receives (row 2 * (i % 4) + {0, 1}, column i / 4) of each matrix.
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], const uint16_t* ptr) {
  const uint32_t address = static_cast<uint32_t>(__cvta_generic_to_shared(ptr));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(address)
               : "memory");
}

// 16-byte asynchronous copy global -> shared (sm_80+); src_bytes 0 zero-fills the destination
// without reading the source.
__device__ __forceinline__ void cp_async_16(uint16_t* dst, const uint16_t* src, bool valid) {
  const uint32_t address = static_cast<uint32_t>(__cvta_generic_to_shared(dst));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(address), "l"(src),
               "r"(valid ? 16 : 0)
               : "memory");
}

__device__ __forceinline__ void cp_async_commit() {
  asm volatile("cp.async.commit_group;\n" ::: "memory");
}

// Waits for this thread's copies; a __syncthreads() after it makes every thread's visible.
__device__ __forceinline__ void cp_async_wait_all() {
  asm volatile("cp.async.wait_all;\n" ::: "memory");
}

// Starts copying `rows` rows of a [N, D] slice (element strides seq, dim) into
// dst: [rows][kRowStride]. Rows at or past valid_rows and dims at or past head_dim are zero (so
// they add nothing). vector_loads (dim stride 1, head_dim % 8 == 0, rows 16-byte aligned): 16-byte
// cp.async copies that complete at the next cp_async_wait_all(); otherwise plain loads and stores.
// Either way the tile is ready for every thread after cp_async_wait_all() and __syncthreads().
template <int kD>
__device__ __forceinline__ void load_tile(uint16_t* dst, int rows, const uint16_t* src,
                                          int64_t seq_stride, int64_t dim_stride,
                                          int64_t valid_rows, int head_dim, bool vector_loads) {
  constexpr int kStride = MmaTile<kD>::kRowStride;
  if (vector_loads) {
    constexpr int kChunks = kD / 8;
    for (int idx = threadIdx.x; idx < rows * kChunks; idx += kThreads) {
      const int r = idx / kChunks;
      const int d = (idx % kChunks) * 8;
      const bool valid = r < valid_rows && d < head_dim;
      cp_async_16(dst + r * kStride + d, valid ? src + r * seq_stride + d : src, valid);
    }
    cp_async_commit();
    return;
  }
  for (int idx = threadIdx.x; idx < rows * kD; idx += kThreads) {
    const int r = idx / kD;
    const int d = idx % kD;
    const bool valid = r < valid_rows && d < head_dim;
    dst[r * kStride + d] = valid ? src[r * seq_stride + d * dim_stride] : uint16_t{0};
  }
}

// s[nt]: scores of the warp's 16 rows against keys nt*8 .. nt*8+7 of the tile (mma C layout).
//   q_tile: [kBlockRows][kRowStride], k_tile: [kBlockKeys][kRowStride]
template <typename T, int kD>
__device__ __forceinline__ void compute_scores(const uint16_t* q_tile, const uint16_t* k_tile,
                                               int warp, int lane,
                                               float (&s)[MmaTile<kD>::kBlockKeys / 8][4]) {
  constexpr int kStride = MmaTile<kD>::kRowStride;
  constexpr int kKeyTiles = MmaTile<kD>::kBlockKeys / 8;
  const int g = lane / 4;
  const int t = lane % 4;
#pragma unroll
  for (int nt = 0; nt < kKeyTiles; nt++) s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.0f;
  const uint16_t* q_row = q_tile + (warp * kWarpRows + g) * kStride + 2 * t;
#pragma unroll
  for (int kk = 0; kk < kD / 16; kk++) {
    const uint32_t a[4] = {load_pair(q_row + kk * 16), load_pair(q_row + 8 * kStride + kk * 16),
                           load_pair(q_row + kk * 16 + 8),
                           load_pair(q_row + 8 * kStride + kk * 16 + 8)};
#pragma unroll
    for (int nt = 0; nt < kKeyTiles; nt++) {
      const uint16_t* k_row = k_tile + (nt * 8 + g) * kStride + kk * 16 + 2 * t;
      MmaType<T>::mma(s[nt], a, load_pair(k_row), load_pair(k_row + 8));
    }
  }
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

// Online softmax over one key tile for the thread's two rows (half 0: row g, half 1: row g + 8):
// s becomes the weights exp2(s - m), the partial row sums l and the accumulators o are rescaled.
template <int kKeyTiles, int kDimTiles>
__device__ __forceinline__ void online_softmax(float (&s)[kKeyTiles][4], float (&m)[2],
                                               float (&l)[2], float (&o)[kDimTiles][4]) {
#pragma unroll
  for (int half = 0; half < 2; half++) {
    float row_max = m[half];
#pragma unroll
    for (int nt = 0; nt < kKeyTiles; nt++) {
      row_max = fmaxf(row_max, fmaxf(s[nt][2 * half], s[nt][2 * half + 1]));
    }
    row_max = quad_max(row_max);
    // While every key so far is masked the max is -inf: subtract 0 so no inf - inf appears.
    const float base = row_max == neg_inf() ? 0.0f : row_max;
    const float alpha = exp2f(m[half] - base);
    m[half] = row_max;
    float sum = 0.0f;
#pragma unroll
    for (int nt = 0; nt < kKeyTiles; nt++) {
#pragma unroll
      for (int e = 2 * half; e < 2 * half + 2; e++) {
        s[nt][e] = exp2f(s[nt][e] - base);
        sum += s[nt][e];
      }
    }
    l[half] = l[half] * alpha + sum;  // this lane's columns only; the quad is summed at the end
#pragma unroll
    for (int dt = 0; dt < kDimTiles; dt++) {
      o[dt][2 * half] *= alpha;
      o[dt][2 * half + 1] *= alpha;
    }
  }
}

// o += P V for the tile: P (the weights in s, C layout) becomes the A operand directly.
//   v_tile: [kBlockKeys][kRowStride], o: [kD / 8] n-tiles of the warp's 16 x kD output
template <typename T, int kD>
__device__ __forceinline__ void accumulate_pv(const float (&s)[MmaTile<kD>::kBlockKeys / 8][4],
                                              const uint16_t* v_tile, int lane,
                                              float (&o)[kD / 8][4]) {
  constexpr int kStride = MmaTile<kD>::kRowStride;
  const int matrix = lane / 8;
  const int matrix_row = lane % 8;
#pragma unroll
  for (int kk = 0; kk < MmaTile<kD>::kBlockKeys / 16; kk++) {
    const uint32_t a[4] = {MmaType<T>::pack(s[2 * kk][0], s[2 * kk][1]),
                           MmaType<T>::pack(s[2 * kk][2], s[2 * kk][3]),
                           MmaType<T>::pack(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                           MmaType<T>::pack(s[2 * kk + 1][2], s[2 * kk + 1][3])};
    // Matrices: (keys 0-7, dims 0-7), (keys 8-15, dims 0-7), (keys 0-7, dims 8-15), (8-15, 8-15).
    const uint16_t* v_row =
        v_tile + (kk * 16 + matrix_row + (matrix % 2) * 8) * kStride + (matrix / 2) * 8;
#pragma unroll
    for (int dt = 0; dt < kD / 16; dt++) {
      uint32_t b[4];
      ldmatrix_x4_trans(b, v_row + dt * 16);
      MmaType<T>::mma(o[2 * dt], a, b[0], b[1]);
      MmaType<T>::mma(o[2 * dt + 1], a, b[2], b[3]);
    }
  }
}

// Normalizes and stores the warp's rows; lane t == 0 of each quad writes the rows' lse.
//   out: [B, Nq, H, D] strided, lse: [B, H, Nq]
template <typename T, int kD>
__device__ __forceinline__ void store_rows(const CudaAttentionParams& p, int64_t b, int64_t h,
                                           int64_t warp_row0, int lane, const float (&o)[kD / 8][4],
                                           const float (&m)[2], const float (&l)[2]) {
  const int g = lane / 4;
  const int t = lane % 4;
  T* out = slice_ptr(static_cast<T*>(p.out), p.out_strides, b, h);
#pragma unroll
  for (int half = 0; half < 2; half++) {
    const int64_t i = warp_row0 + g + 8 * half;
    const float row_sum = quad_sum(l[half]);
    if (i >= p.seq_q) continue;
    const float inv = row_sum > 0.0f ? 1.0f / row_sum : 0.0f;
#pragma unroll
    for (int dt = 0; dt < kD / 8; dt++) {
#pragma unroll
      for (int e = 0; e < 2; e++) {
        const int d = dt * 8 + 2 * t + e;
        if (d < p.head_dim) {
          out[i * p.out_strides.seq + d * p.out_strides.dim] =
              MmaType<T>::from_float(o[dt][2 * half + e] * inv);
        }
      }
    }
    if (p.lse && t == 0) p.lse[(b * p.heads + h) * p.seq_q + i] = lse_from(m[half], row_sum);
  }
}

// q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]
// grid: (ceil(Nq / 64), H, B), block: 128 threads, dynamic shared memory: MmaTile<kD>::kSmemBytes
template <typename T, int kD>
__global__ void __launch_bounds__(kThreads)
    flash_attention_mma_kernel(const CudaAttentionParams p, bool vector_loads) {
  using Tile = MmaTile<kD>;
  extern __shared__ __align__(16) uint16_t smem[];
  uint16_t* q_tile = smem;
  uint16_t* k_tile = q_tile + kBlockRows * Tile::kRowStride;
  uint16_t* v_tile = k_tile + Tile::kBlockKeys * Tile::kRowStride;
  const int64_t b = blockIdx.z;
  const int64_t h = blockIdx.y;
  const int64_t row0 = static_cast<int64_t>(blockIdx.x) * kBlockRows;
  const int warp = threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const int64_t warp_row0 = row0 + warp * kWarpRows;
  const int64_t limit = key_limit(p, b);
  const int64_t key_end = block_key_end(p, limit, row0, kBlockRows);
  const float scale_log2 = p.scale * kLog2e;
  const uint16_t* q = slice_ptr(static_cast<const uint16_t*>(p.q), p.q_strides, b, h);
  const uint16_t* k = slice_ptr(static_cast<const uint16_t*>(p.k), p.k_strides, b, h);
  const uint16_t* v = slice_ptr(static_cast<const uint16_t*>(p.v), p.v_strides, b, h);
  const int head_dim = static_cast<int>(p.head_dim);
  load_tile<kD>(q_tile, kBlockRows, q + row0 * p.q_strides.seq, p.q_strides.seq, p.q_strides.dim,
                p.seq_q - row0, head_dim, vector_loads);

  if (key_end > 0) {
    load_tile<kD>(k_tile, Tile::kBlockKeys, k, p.k_strides.seq, p.k_strides.dim, limit, head_dim,
                  vector_loads);
  }

  // FlashAttention-2's overlap: V of this tile loads during S = Q K^T, K of the next tile during
  // O += P V. One K and one V buffer; the barriers order the reuse.
  float o[kD / 8][4] = {};
  float m[2] = {neg_inf(), neg_inf()};
  float l[2] = {0.0f, 0.0f};
  for (int64_t key0 = 0; key0 < key_end; key0 += Tile::kBlockKeys) {
    cp_async_wait_all();
    __syncthreads();  // K (and Q) of this tile are in; every warp is done with the previous V
    load_tile<kD>(v_tile, Tile::kBlockKeys, v + key0 * p.v_strides.seq, p.v_strides.seq,
                  p.v_strides.dim, limit - key0, head_dim, vector_loads);
    // Causal: a warp whose rows all precede the tile has every pair masked and skips the math.
    const bool active = !p.causal || key0 <= warp_row0 + kWarpRows - 1;
    float s[Tile::kBlockKeys / 8][4];
    if (active) {
      compute_scores<T, kD>(q_tile, k_tile, warp, lane, s);
      const bool masked =
          key0 + Tile::kBlockKeys > limit || (p.causal && key0 + Tile::kBlockKeys - 1 > warp_row0);
      scale_and_mask(s, p, scale_log2, masked, limit, warp_row0, key0, lane);
      online_softmax(s, m, l, o);
    }
    cp_async_wait_all();
    __syncthreads();  // V of this tile is in; every warp is done with K
    const int64_t next = key0 + Tile::kBlockKeys;
    if (next < key_end) {
      load_tile<kD>(k_tile, Tile::kBlockKeys, k + next * p.k_strides.seq, p.k_strides.seq,
                    p.k_strides.dim, limit - next, head_dim, vector_loads);
    }
    if (active) accumulate_pv<T, kD>(s, v_tile, lane, o);
  }
  cp_async_wait_all();  // no copy may still be in flight when the block exits (empty loop)
  store_rows<T, kD>(p, b, h, warp_row0, lane, o, m, l);
}

template <typename T, int kD>
Status launch_mma(const CudaAttentionParams& p, bool vector_loads, cudaStream_t stream) {
  const auto kernel = flash_attention_mma_kernel<T, kD>;
  const size_t smem = MmaTile<kD>::kSmemBytes;
  Status status =
      check_cuda("cudaFuncSetAttribute(flash_attention_mma)",
                 cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                      static_cast<int>(smem)));
  if (!status.ok()) return status;
  const dim3 grid(static_cast<unsigned>((p.seq_q + kBlockRows - 1) / kBlockRows),
                  static_cast<unsigned>(p.heads), static_cast<unsigned>(p.batch));
  kernel<<<grid, kThreads, smem, stream>>>(p, vector_loads);
  return check_launch("launch of flash_attention_mma");
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
