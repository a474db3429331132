// Entry points of the per-ISA flash-attention kernels (built only on x86-64).
#pragma once

#include "tessera/attention.h"

namespace tessera {

// q: [B, Nq, H, D], k/v: [B, Nk, H, D], out: [B, Nq, H, D], lse: [B, H, Nq]
Status flash_attention_avx512(const AttentionParams& p, int max_threads);
Status flash_attention_avx2(const AttentionParams& p, int max_threads);

}  // namespace tessera
