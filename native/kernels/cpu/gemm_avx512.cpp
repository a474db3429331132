// The linear kernel for AVX-512 (this file is compiled with -mavx512f ...).
#include "cpu/gemm_isa.h"
#include "cpu/gemm_simd.h"
#include "cpu/simd_avx512.h"

namespace tessera {
namespace {

// 14 rows x 2 zmm (32 columns): 28 accumulators, 2 B vectors and a broadcast in 31 of the 32
// zmm registers. See bench/results/cpu-gemm-2026-11-28.md for the measurements behind it.
using Avx512Blocking = gemm_simd::Blocking<Avx512, 14, 2, 384, 384, 256>;

}  // namespace

Status linear_avx512(const LinearParams& p, int max_threads) {
  return gemm_simd::run_linear<Avx512, Avx512Blocking>(p, max_threads);
}

}  // namespace tessera
