// The variants of the CUDA pattern attention kernel (host side). cuda_pattern_attention checks
// the plan, picks the variant with the dense kernels' chooser and calls one of these.
#pragma once

#include <cstdint>

#include "cuda/flash_attention_launch.h"
#include "tessera/cuda_pattern.h"

namespace tessera {
namespace cuda_detail {

// The plan as the kernels see it (device pointers; passed by value as a kernel argument).
struct PatternView {
  const QueryTile* query_tiles = nullptr;
  const KeyTile* key_tiles = nullptr;
  const int32_t* positions = nullptr;
  const uint64_t* masks = nullptr;
  int64_t query_tile_count = 0;
};

//   q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]
Status launch_pattern_attention_mma(const CudaAttentionParams& p, const PatternView& plan,
                                    const FlashKernelChoice& choice, cudaStream_t stream);
Status launch_pattern_attention_fp32(const CudaAttentionParams& p, const PatternView& plan,
                                     const FlashKernelChoice& choice, cudaStream_t stream);

}  // namespace cuda_detail
}  // namespace tessera
