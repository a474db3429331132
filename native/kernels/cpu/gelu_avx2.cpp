// The GELU kernel for AVX2 + FMA (this file is compiled with -mavx2 -mfma).
#include "cpu/gelu_isa.h"
#include "cpu/gelu_simd.h"
#include "cpu/simd_avx2.h"

namespace tessera {

void gelu_avx2(const GeluParams& p, int max_threads) { gelu_simd::run_gelu<Avx2>(p, max_threads); }

}  // namespace tessera
