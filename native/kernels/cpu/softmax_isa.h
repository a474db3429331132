// Entry points of the per-ISA softmax kernels (built only on x86-64).
#pragma once

#include "tessera/softmax.h"

namespace tessera {

// x: [M, C], out: [M, C]
void softmax_avx512(const SoftmaxParams& p, int max_threads);
void softmax_avx2(const SoftmaxParams& p, int max_threads);

}  // namespace tessera
