// The GELU kernel for SIMD traits S: whole vectors with S, the rest of each row with the one-lane
// Scalar traits, both through the same math (common/gelu_math.h).
#pragma once

#include <cstdint>

#include "common/gelu_math.h"
#include "common/row_blocks.h"
#include "cpu/simd_scalar.h"
#include "tessera/gelu.h"

namespace tessera {
namespace gelu_simd {

struct ErfForm {
  template <class T>
  static typename T::V apply(typename T::V x) {
    return gelu_math::gelu_erf<T>(x);
  }
};

struct TanhForm {
  template <class T>
  static typename T::V apply(typename T::V x) {
    return gelu_math::gelu_tanh<T>(x);
  }
};

// out: [C] = GELU(x: [C]) in the given form; out may be x.
template <class S, class Form>
void gelu_row(const float* x, float* out, int64_t n) {
  int64_t c = 0;
  for (; c + S::W <= n; c += S::W) S::store(out + c, Form::template apply<S>(S::load(x + c)));
  for (; c < n; c++) out[c] = Form::template apply<Scalar>(x[c]);
}

template <class S, class Form>
void run_rows(const GeluParams& p, int max_threads) {
  for_each_row_block(p.rows, p.cols, max_threads, [&](int64_t first, int64_t end) {
    for (int64_t r = first; r < end; r++) {
      gelu_row<S, Form>(p.x + r * p.x_row_stride, p.out + r * p.out_row_stride, p.cols);
    }
  });
}

// x: [M, C], out: [M, C]; parallel over blocks of rows.
template <class S>
void run_gelu(const GeluParams& p, int max_threads) {
  if (p.approximate == GeluApproximation::kTanh) {
    run_rows<S, TanhForm>(p, max_threads);
  } else {
    run_rows<S, ErfForm>(p, max_threads);
  }
}

}  // namespace gelu_simd
}  // namespace tessera
