// The softmax kernel for SIMD traits S, one row at a time in three passes over the row: the
// max, then e = 2^((x - max) log2 e) written to out while summing, then out *= 1 / sum.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "common/row_blocks.h"
#include "tessera/softmax.h"

namespace tessera {
namespace softmax_simd {

constexpr float kLog2e = 1.4426950408889634f;

// max over x: [C].
template <class S>
float row_max(const float* x, int64_t n) {
  const typename S::V neg_inf = S::set1(-std::numeric_limits<float>::infinity());
  typename S::V a = neg_inf, b = neg_inf;
  int64_t c = 0;
  for (; c + 2 * S::W <= n; c += 2 * S::W) {
    a = S::max(a, S::load(x + c));
    b = S::max(b, S::load(x + c + S::W));
  }
  for (; c + S::W <= n; c += S::W) a = S::max(a, S::load(x + c));
  float lanes[S::W];
  S::store(lanes, S::max(a, b));
  float max = *std::max_element(lanes, lanes + S::W);
  for (; c < n; c++) max = std::max(max, x[c]);
  return max;
}

// out: [C] = exp(x - max) for x: [C]; returns their sum. out may be x.
template <class S>
double exp_row(const float* x, float* out, int64_t n, float max) {
  const typename S::V log2e = S::set1(kLog2e);
  const typename S::V shift = S::set1(-max * kLog2e);
  typename S::V sum = S::set1(0.0f);
  int64_t c = 0;
  for (; c + S::W <= n; c += S::W) {
    const typename S::V e = S::exp2(S::fmadd(S::load(x + c), log2e, shift));
    S::store(out + c, e);
    sum = S::add(sum, e);
  }
  float lanes[S::W];
  S::store(lanes, sum);
  double total = 0.0;
  for (int i = 0; i < S::W; i++) total += lanes[i];
  for (; c < n; c++) {
    out[c] = std::exp2(x[c] * kLog2e - max * kLog2e);
    total += out[c];
  }
  return total;
}

// out: [C] *= scale.
template <class S>
void scale_row(float* out, int64_t n, float scale) {
  const typename S::V s = S::set1(scale);
  int64_t c = 0;
  for (; c + S::W <= n; c += S::W) S::store(out + c, S::mul(S::load(out + c), s));
  for (; c < n; c++) out[c] *= scale;
}

// x: [M, C], out: [M, C]; parallel over blocks of rows.
template <class S>
void run_softmax(const SoftmaxParams& p, int max_threads) {
  for_each_row_block(p.rows, p.cols, max_threads, [&](int64_t first, int64_t end) {
    for (int64_t r = first; r < end; r++) {
      const float* x = p.x + r * p.x_row_stride;
      float* out = p.out + r * p.out_row_stride;
      const float max = row_max<S>(x, p.cols);
      if (max == -std::numeric_limits<float>::infinity()) {
        std::fill(out, out + p.cols, 0.0f);
        continue;
      }
      scale_row<S>(out, p.cols, static_cast<float>(1.0 / exp_row<S>(x, out, p.cols, max)));
    }
  });
}

}  // namespace softmax_simd
}  // namespace tessera
