// Entry points of the per-ISA GELU kernels (built only on x86-64).
#pragma once

#include "tessera/gelu.h"

namespace tessera {

// x: [M, C], out: [M, C]
void gelu_avx512(const GeluParams& p, int max_threads);
void gelu_avx2(const GeluParams& p, int max_threads);

}  // namespace tessera
