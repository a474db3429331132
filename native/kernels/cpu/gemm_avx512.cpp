// The linear kernel for AVX-512 (this file is compiled with -mavx512f ...).
#include "cpu/gemm_isa.h"
#include "cpu/gemm_simd.h"
#include "cpu/simd_avx512.h"

namespace tessera {
namespace {

// 14 rows x 2 zmm (32 columns): 28 accumulators, 2 B vectors and a broadcast in 31 of the 32
// zmm registers; per k 16 loads for 28 FMAs (14 cycles), 128 bytes of B from L2. K blocks of
// 384 keep the A micro-panel (14 x 400 floats, 22 KB) in L1 beside the B stream; tasks of at
// most 384 columns keep the B block (384 x 384, 590 KB) in L2. 12x32, 8x48, 6x64 and K blocks
// of 256-768 measured within the noise of this one (single thread, 92-100% of the FMA peak):
// bench/results/cpu-gemm-2026-11-28.md.
using Avx512Blocking = gemm_simd::Blocking<Avx512, 14, 2, 384, 384, 256>;

}  // namespace

Status linear_avx512(const LinearParams& p, int max_threads) {
  return gemm_simd::run_linear<Avx512, Avx512Blocking>(p, max_threads);
}

}  // namespace tessera
