// Entry points of the per-ISA LayerNorm kernels (built only on x86-64).
#pragma once

#include "tessera/layernorm.h"

namespace tessera {

// x: [M, C], gamma/beta: [C], out: [M, C]
void layer_norm_avx512(const LayerNormParams& p, int max_threads);
void layer_norm_avx2(const LayerNormParams& p, int max_threads);

}  // namespace tessera
