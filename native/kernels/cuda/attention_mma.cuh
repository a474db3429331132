// Tensor-core pieces shared by the fp16 / bf16 attention kernels (dense flash attention and
// pattern attention; sm_80+: mma.sync.m16n8k16, ldmatrix, cp.async). A block of 4 warps owns 64
// query rows; each warp owns 16 of them. Tiles sit in shared memory as raw 16-bit values, rows
// padded by 8 values (16 bytes): rows stay 16-byte aligned for vector stores and ldmatrix, and the
// 8 rows a fragment load touches fall in different banks. Scores and the output accumulator stay
// in fp32 mma registers (C layout: s[nt][e] is row g + 8 * (e / 2), column nt * 8 + 2 * t + e % 2
// of the warp's 16-row slab, with g = lane / 4 and t = lane % 4).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <cstring>

#include "cuda/attention_device.cuh"

namespace tessera {
namespace cuda_detail {

constexpr int kMmaWarps = 4;
constexpr int kMmaThreads = kMmaWarps * 32;
constexpr int kMmaWarpRows = 16;
constexpr int kMmaBlockRows = kMmaWarps * kMmaWarpRows;

// Shared-memory row stride (in 16-bit values) of a tile compiled for head dim kD.
template <int kD>
constexpr int kMmaRowStride = kD + 8;

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

// Starts copying `rows` rows into dst: [rows][kMmaRowStride<kD>]. row_source(r) is the first
// element of row r (dims dim_stride apart) or null for a row of zeros; dims at or past head_dim
// are zero too (so they add nothing). `any_row` is some valid global address (never read; a
// zero-filling cp.async still names a source). vector_loads (dim stride 1, head_dim % 8 == 0,
// rows 16-byte aligned): 16-byte cp.async copies that complete at the next cp_async_wait_all();
// otherwise plain loads and stores. Either way the tile is ready for every thread after
// cp_async_wait_all() and __syncthreads().
template <int kD, typename RowSource>
__device__ __forceinline__ void load_tile(uint16_t* dst, int rows, RowSource row_source,
                                          const uint16_t* any_row, int64_t dim_stride, int head_dim,
                                          bool vector_loads) {
  constexpr int kStride = kMmaRowStride<kD>;
  if (vector_loads) {
    constexpr int kChunks = kD / 8;
    for (int idx = threadIdx.x; idx < rows * kChunks; idx += kMmaThreads) {
      const int r = idx / kChunks;
      const int d = (idx % kChunks) * 8;
      const uint16_t* src = row_source(r);
      const bool valid = src != nullptr && d < head_dim;
      cp_async_16(dst + r * kStride + d, valid ? src + d : any_row, valid);
    }
    cp_async_commit();
    return;
  }
  for (int idx = threadIdx.x; idx < rows * kD; idx += kMmaThreads) {
    const int r = idx / kD;
    const int d = idx % kD;
    const uint16_t* src = d < head_dim ? row_source(r) : nullptr;
    dst[r * kStride + d] = src != nullptr ? src[d * dim_stride] : uint16_t{0};
  }
}

// s[nt]: scores of the warp's 16 rows against keys nt*8 .. nt*8+7 of the tile (mma C layout).
//   q_tile: [kMmaBlockRows][kD + 8], k_tile: [kKeys][kD + 8]
template <typename T, int kD, int kKeys>
__device__ __forceinline__ void compute_scores(const uint16_t* q_tile, const uint16_t* k_tile,
                                               int warp, int lane, float (&s)[kKeys / 8][4]) {
  constexpr int kStride = kMmaRowStride<kD>;
  const int g = lane / 4;
  const int t = lane % 4;
#pragma unroll
  for (int nt = 0; nt < kKeys / 8; nt++) s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.0f;
  const uint16_t* q_row = q_tile + (warp * kMmaWarpRows + g) * kStride + 2 * t;
#pragma unroll
  for (int kk = 0; kk < kD / 16; kk++) {
    const uint32_t a[4] = {load_pair(q_row + kk * 16), load_pair(q_row + 8 * kStride + kk * 16),
                           load_pair(q_row + kk * 16 + 8),
                           load_pair(q_row + 8 * kStride + kk * 16 + 8)};
#pragma unroll
    for (int nt = 0; nt < kKeys / 8; nt++) {
      const uint16_t* k_row = k_tile + (nt * 8 + g) * kStride + kk * 16 + 2 * t;
      MmaType<T>::mma(s[nt], a, load_pair(k_row), load_pair(k_row + 8));
    }
  }
}

// Online softmax over one key tile for the thread's two rows (half 0: row g, half 1: row g + 8):
// s (log2 units, -inf where masked) becomes the weights exp2(s - m), the partial row sums l and
// the accumulators o are rescaled.
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
//   v_tile: [kKeys][kD + 8], o: [kD / 8] n-tiles of the warp's 16 x kD output
template <typename T, int kD, int kKeys>
__device__ __forceinline__ void accumulate_pv(const float (&s)[kKeys / 8][4],
                                              const uint16_t* v_tile, int lane,
                                              float (&o)[kD / 8][4]) {
  constexpr int kStride = kMmaRowStride<kD>;
  const int matrix = lane / 8;
  const int matrix_row = lane % 8;
#pragma unroll
  for (int kk = 0; kk < kKeys / 16; kk++) {
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

// Normalizes and stores the thread's two rows: rows[half] is the query position of row
// g + 8 * half of the warp's slab, or -1 when that slab row holds no query. Lane t == 0 of each
// quad writes the rows' lse. Every lane must call this (quad shuffles).
//   out: [B, Nq, H, D] strided, lse: [B, H, Nq]
template <typename T, int kD>
__device__ __forceinline__ void store_rows(const CudaAttentionParams& p, int64_t b, int64_t h,
                                           const int64_t (&rows)[2], int lane,
                                           const float (&o)[kD / 8][4], const float (&m)[2],
                                           const float (&l)[2]) {
  const int t = lane % 4;
  T* out = slice_ptr(static_cast<T*>(p.out), p.out_strides, b, h);
#pragma unroll
  for (int half = 0; half < 2; half++) {
    const int64_t i = rows[half];
    const float row_sum = quad_sum(l[half]);
    if (i < 0) continue;
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

}  // namespace cuda_detail
}  // namespace tessera
