// The variants of the CUDA flash attention kernel and the chooser that picks one. Support checks
// and launches both go through choose_flash_kernel, so they cannot drift apart.
#pragma once

#include "tessera/cuda_attention.h"

namespace tessera {
namespace cuda_detail {

enum class KernelFamily {
  kTensorCore,  // fp16 / bf16 inputs: mma.sync m16n8k16, fp32 accumulators and softmax
  kCudaCore,    // fp32 inputs: plain fp32 FMAs (keeps fp32 accuracy; no TF32 rounding)
};

struct FlashKernelChoice {
  KernelFamily family = KernelFamily::kCudaCore;
  int head_dim_bucket = 0;    // 32, 64, 128 or 256: the compiled D, >= head_dim (zero padded)
  bool vector_loads = false;  // q, k, v rows contiguous and 16-byte aligned (16-byte loads)
};

// Checks the parameters and picks the variant, or says why none applies.
Status choose_flash_kernel(const CudaAttentionParams& p, FlashKernelChoice* choice);

//   q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]
Status launch_flash_attention_mma(const CudaAttentionParams& p, const FlashKernelChoice& choice,
                                  cudaStream_t stream);
Status launch_flash_attention_fp32(const CudaAttentionParams& p, const FlashKernelChoice& choice,
                                   cudaStream_t stream);

}  // namespace cuda_detail
}  // namespace tessera
