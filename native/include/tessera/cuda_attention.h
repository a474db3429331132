// The CUDA attention kernels: the same contract as tessera/attention.h, on device memory.
// Every pointer (q, k, v, out, lse, key_lengths) is a device pointer; the kernels run on the
// caller's stream and never synchronize it. Failures (bad arguments, CUDA errors) come back as
// a Status carrying the CUDA error string; nothing here aborts or throws.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "tessera/attention.h"
#include "tessera/status.h"

namespace tessera {

// Element type of q, k, v and out. lse is always fp32. Softmax and accumulation are fp32.
enum class DType { kFloat32, kFloat16, kBFloat16 };

const char* dtype_name(DType dtype);

// Fused attention forward on the GPU: out = softmax(scale * q k^T + mask) v, per batch and head.
//   q:   [B, Nq, H, D]   k, v: [B, Nk, H, D]   out: [B, Nq, H, D]   (element strides, any layout)
//   lse: [B, H, Nq] contiguous fp32, natural log of the softmax denominator (optional, may be null)
//   key_lengths: [B] int32 in [0, Nk] (optional, may be null)
// Key j is allowed for query i when (!causal || j <= i) and (!key_lengths || j < key_lengths[b]).
// A row with no allowed key gets zeros in out and -inf in lse.
struct CudaAttentionParams {
  DType dtype = DType::kFloat32;
  const void* q = nullptr;
  const void* k = nullptr;
  const void* v = nullptr;
  void* out = nullptr;
  float* lse = nullptr;
  Strides4 q_strides, k_strides, v_strides, out_strides;
  int64_t batch = 0, seq_q = 0, seq_k = 0, heads = 0, head_dim = 0;
  float scale = 0.0f;  // already resolved (default 1/sqrt(D) is set by the caller)
  bool causal = false;
  const int32_t* key_lengths = nullptr;
};

// Whether the kernels handle these parameters (sizes, dtype, grid limits); names the reason
// when not. Uses the same chooser as cuda_flash_attention, so support and launch agree.
// Key lengths live on the device and are not read here; the kernel clamps them to [0, Nk].
Status cuda_attention_supported(const CudaAttentionParams& p);

// Checks the parameters, launches the chosen kernel on `stream` and reports launch errors.
Status cuda_flash_attention(const CudaAttentionParams& p, cudaStream_t stream);

}  // namespace tessera
