// Entry points of the per-ISA pattern attention kernels (built only on x86-64).
#pragma once

#include "tessera/pattern.h"

namespace tessera {

// q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]
Status pattern_attention_avx512(const AttentionParams& p, const CompiledPattern& plan,
                                int max_threads);
Status pattern_attention_avx2(const AttentionParams& p, const CompiledPattern& plan,
                              int max_threads);

// The direct neighborhood kernel (plan.neighborhood set), same shapes.
Status neighborhood_attention_avx512(const AttentionParams& p, const CompiledPattern& plan,
                                     int max_threads);
Status neighborhood_attention_avx2(const AttentionParams& p, const CompiledPattern& plan,
                                   int max_threads);

}  // namespace tessera
