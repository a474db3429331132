// The linear kernel for AVX2 + FMA (this file is compiled with -mavx2 -mfma).
#include "cpu/gemm_isa.h"
#include "cpu/gemm_simd.h"
#include "cpu/simd_avx2.h"

namespace tessera {
namespace {

// 6 rows x 2 ymm (16 columns, one packed panel): 12 accumulators, 2 B vectors and a broadcast
// in 15 of the 16 ymm registers (about 90% of the AVX2 FMA peak on one core here).
using Avx2Blocking = gemm_simd::Blocking<Avx2, 6, 2, 384, 384, 256>;

}  // namespace

Status linear_avx2(const LinearParams& p, int max_threads) {
  return gemm_simd::run_linear<Avx2, Avx2Blocking>(p, max_threads);
}

}  // namespace tessera
