// The softmax kernel for AVX2 + FMA (this file is compiled with -mavx2 -mfma).
#include "cpu/simd_avx2.h"
#include "cpu/softmax_isa.h"
#include "cpu/softmax_simd.h"

namespace tessera {

void softmax_avx2(const SoftmaxParams& p, int max_threads) {
  softmax_simd::run_softmax<Avx2>(p, max_threads);
}

}  // namespace tessera
