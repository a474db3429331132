// The GELU kernel for AVX-512 (this file is compiled with -mavx512f ...).
#include "cpu/gelu_isa.h"
#include "cpu/gelu_simd.h"
#include "cpu/simd_avx512.h"

namespace tessera {

void gelu_avx512(const GeluParams& p, int max_threads) {
  gelu_simd::run_gelu<Avx512>(p, max_threads);
}

}  // namespace tessera
