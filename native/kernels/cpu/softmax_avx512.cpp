// The softmax kernel for AVX-512 (this file is compiled with -mavx512f ...).
#include "cpu/simd_avx512.h"
#include "cpu/softmax_isa.h"
#include "cpu/softmax_simd.h"

namespace tessera {

void softmax_avx512(const SoftmaxParams& p, int max_threads) {
  softmax_simd::run_softmax<Avx512>(p, max_threads);
}

}  // namespace tessera
