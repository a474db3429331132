// Device-side pieces shared by the CUDA attention kernels: key ranges, warp reductions.
#pragma once

#include <cstdint>

#include "tessera/cuda_attention.h"

namespace tessera {
namespace cuda_detail {

constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;

__device__ __forceinline__ float neg_inf() { return -__int_as_float(0x7f800000); }

// Keys j < key_limit(p, b) pass the key-length mask of batch b (lengths clamped to [0, Nk]).
__device__ __forceinline__ int64_t key_limit(const CudaAttentionParams& p, int64_t b) {
  if (!p.key_lengths) return p.seq_k;
  const int64_t length = p.key_lengths[b];
  return length < 0 ? 0 : (length > p.seq_k ? p.seq_k : length);
}

// Keys j < block_key_end(...) may be allowed for some row in [row0, row0 + rows).
__device__ __forceinline__ int64_t block_key_end(const CudaAttentionParams& p, int64_t limit,
                                                 int64_t row0, int64_t rows) {
  if (!p.causal) return limit;
  return row0 + rows < limit ? row0 + rows : limit;
}

// Whether key j is allowed for query row i (given the batch's key limit).
__device__ __forceinline__ bool key_allowed(const CudaAttentionParams& p, int64_t limit, int64_t i,
                                            int64_t j) {
  return j < limit && (!p.causal || j <= i);
}

// The base of the (b, h) slice of a [B, N, H, D] tensor: element (n, d) is at
// base[n * s.seq + d * s.dim].
template <typename T>
__device__ __forceinline__ T* slice_ptr(T* base, const Strides4& s, int64_t b, int64_t h) {
  return base + b * s.batch + h * s.head;
}

// The (b, h) slices of q, k and v (element type T), as slice_ptr gives them.
template <typename T>
struct QkvSlices {
  const T* q;
  const T* k;
  const T* v;
};

template <typename T>
__device__ __forceinline__ QkvSlices<T> qkv_slices(const CudaAttentionParams& p, int64_t b,
                                                   int64_t h) {
  return {slice_ptr(static_cast<const T*>(p.q), p.q_strides, b, h),
          slice_ptr(static_cast<const T*>(p.k), p.k_strides, b, h),
          slice_ptr(static_cast<const T*>(p.v), p.v_strides, b, h)};
}

__device__ __forceinline__ float warp_max(float x) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2)
    x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, offset));
  return x;
}

__device__ __forceinline__ float warp_sum(float x) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) x += __shfl_xor_sync(0xffffffffu, x, offset);
  return x;
}

// Reductions over the 4 lanes of a quad (the lanes that share a row of an mma accumulator).
__device__ __forceinline__ float quad_max(float x) {
  x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}

__device__ __forceinline__ float quad_sum(float x) {
  x += __shfl_xor_sync(0xffffffffu, x, 1);
  return x + __shfl_xor_sync(0xffffffffu, x, 2);
}

// Natural-log log-sum-exp from the running max m (log2 units) and the denominator l.
__device__ __forceinline__ float lse_from(float m_log2, float l) {
  return l > 0.0f ? m_log2 * kLn2 + logf(l) : neg_inf();
}

}  // namespace cuda_detail
}  // namespace tessera
