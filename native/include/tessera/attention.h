// The contract between the binding and the attention kernels: raw pointers, sizes and
// element strides. Nothing here knows about Node.
#pragma once

#include <cstdint>

#include "tessera/run_options.h"
#include "tessera/status.h"

namespace tessera {

// Element strides of a rank-4 tensor [B, N, H, D].
struct Strides4 {
  int64_t batch = 0;
  int64_t seq = 0;
  int64_t head = 0;
  int64_t dim = 1;
};

// Fused attention forward: out = softmax(scale * q k^T + mask) v, per batch and head.
//   q:   [B, Nq, H, D]   k, v: [B, Nk, H, D]   out: [B, Nq, H, D]
//   lse: [B, H, Nq] contiguous, natural log of the softmax denominator (optional, may be null)
// Key j is allowed for query i when (!causal || j <= i) and (!key_lengths || j < key_lengths[b]).
// A row with no allowed key gets zeros in out and -inf in lse.
struct AttentionParams {
  const float* q = nullptr;
  const float* k = nullptr;
  const float* v = nullptr;
  float* out = nullptr;
  float* lse = nullptr;
  Strides4 q_strides, k_strides, v_strides, out_strides;
  int64_t batch = 0, seq_q = 0, seq_k = 0, heads = 0, head_dim = 0;
  float scale = 0.0f;  // already resolved (default 1/sqrt(D) is set by the caller)
  bool causal = false;
  const int32_t* key_lengths = nullptr;  // [B] or null
};

constexpr int64_t kMaxHeadDim = 256;

// Checks the sizes and the scale (shared by the CPU and CUDA entry points).
Status check_attention_shape(int64_t batch, int64_t seq_q, int64_t seq_k, int64_t heads,
                             int64_t head_dim, float scale);

// Checks pointers, sizes, scale and key lengths (every CPU attention entry point).
Status check_attention_params(const AttentionParams& p);

// Checks sizes and options; on success runs the kernel chosen for opts.isa.
Status flash_attention(const AttentionParams& p, const RunOptions& opts);

// The portable scalar kernel (also the reference the SIMD kernels are tested against).
void flash_attention_reference(const AttentionParams& p, int max_threads);

}  // namespace tessera
