// The LayerNorm kernel for AVX2 + FMA (this file is compiled with -mavx2 -mfma).
#include "cpu/layernorm_isa.h"
#include "cpu/layernorm_simd.h"
#include "cpu/simd_avx2.h"

namespace tessera {

void layer_norm_avx2(const LayerNormParams& p, int max_threads) {
  layernorm_simd::run_layer_norm<Avx2>(p, max_threads);
}

}  // namespace tessera
