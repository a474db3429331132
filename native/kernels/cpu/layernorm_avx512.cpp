// The LayerNorm kernel for AVX-512 (this file is compiled with -mavx512f ...).
#include "cpu/layernorm_isa.h"
#include "cpu/layernorm_simd.h"
#include "cpu/simd_avx512.h"

namespace tessera {

void layer_norm_avx512(const LayerNormParams& p, int max_threads) {
  layernorm_simd::run_layer_norm<Avx512>(p, max_threads);
}

}  // namespace tessera
