// Entry points of the per-ISA linear kernels (built only on x86-64) and the scratch memory
// they share.
#pragma once

#include <cstddef>

#include "tessera/gemm.h"

namespace tessera {

// a: [M, K], b: [K, N] packed, bias: [N], residual/out: [M, N] (parameters already checked)
Status linear_avx512(const LinearParams& p, int max_threads);
Status linear_avx2(const LinearParams& p, int max_threads);

// The calling thread's scratch buffer number `slot` (0 or 1) with room for `floats` floats:
// 64-byte aligned, grown on demand, kept for the thread's lifetime. Null when it cannot be
// allocated. Defined in gemm.cpp, which is compiled without ISA flags.
enum class GemmScratch { kPackedA = 0, kPartialSums = 1 };
float* gemm_scratch(GemmScratch slot, size_t floats);

}  // namespace tessera
