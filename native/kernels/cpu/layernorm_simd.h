// The LayerNorm kernel for SIMD traits S, one row at a time in three passes over the row (which
// stays in L1): the mean from a compensated sum (two fp32 accumulators per lane, so a large
// common offset such as x = 1e4 + noise loses nothing), kept as a float pair hi + lo; then the
// variance of d = (x - hi) - lo (x - hi is exact near the mean); then out = d * rstd * gamma +
// beta. Columns past the last full vector take the same steps one at a time.
#pragma once

#include <cmath>
#include <cstdint>

#include "common/row_blocks.h"
#include "tessera/layernorm.h"

namespace tessera {
namespace layernorm_simd {

// A running sum per lane with its rounding errors collected in comp (Knuth's TwoSum).
template <class S>
struct CompensatedSum {
  typename S::V sum = S::set1(0.0f);
  typename S::V comp = S::set1(0.0f);

  void add(typename S::V x) {
    const typename S::V t = S::add(sum, x);
    const typename S::V back = S::sub(t, sum);
    comp = S::add(comp, S::add(S::sub(sum, S::sub(t, back)), S::sub(x, back)));
    sum = t;
  }

  double total() const {
    float s[S::W], c[S::W];
    S::store(s, sum);
    S::store(c, comp);
    double out = 0.0;
    for (int i = 0; i < S::W; i++) out += static_cast<double>(s[i]) + c[i];
    return out;
  }
};

template <class S>
double lane_total(typename S::V v) {
  float lanes[S::W];
  S::store(lanes, v);
  double out = 0.0;
  for (int i = 0; i < S::W; i++) out += lanes[i];
  return out;
}

// The mean of x: [C] as hi + lo.
struct SplitMean {
  float hi, lo;
};

template <class S>
SplitMean row_mean(const float* x, int64_t n) {
  CompensatedSum<S> a, b;
  int64_t c = 0;
  for (; c + 2 * S::W <= n; c += 2 * S::W) {
    a.add(S::load(x + c));
    b.add(S::load(x + c + S::W));
  }
  for (; c + S::W <= n; c += S::W) a.add(S::load(x + c));
  double tail = 0.0;
  for (; c < n; c++) tail += x[c];
  const double mean = (a.total() + b.total() + tail) / static_cast<double>(n);
  const float hi = static_cast<float>(mean);
  return {hi, static_cast<float>(mean - hi)};
}

// 1 / sqrt(var + eps), var = the mean of ((x - hi) - lo)^2 over x: [C].
template <class S>
float row_rstd(const float* x, int64_t n, SplitMean m, float eps) {
  const typename S::V hi = S::set1(m.hi), lo = S::set1(m.lo);
  typename S::V a = S::set1(0.0f), b = S::set1(0.0f);
  int64_t c = 0;
  for (; c + 2 * S::W <= n; c += 2 * S::W) {
    const typename S::V d0 = S::sub(S::sub(S::load(x + c), hi), lo);
    const typename S::V d1 = S::sub(S::sub(S::load(x + c + S::W), hi), lo);
    a = S::fmadd(d0, d0, a);
    b = S::fmadd(d1, d1, b);
  }
  for (; c + S::W <= n; c += S::W) {
    const typename S::V d = S::sub(S::sub(S::load(x + c), hi), lo);
    a = S::fmadd(d, d, a);
  }
  double squares = lane_total<S>(S::add(a, b));
  for (; c < n; c++) {
    const float d = (x[c] - m.hi) - m.lo;
    squares += static_cast<double>(d) * d;
  }
  return static_cast<float>(1.0 / std::sqrt(squares / static_cast<double>(n) + eps));
}

// out: [C] = ((x - hi) - lo) * rstd * gamma + beta; out may be x.
template <class S>
void normalize_row(const LayerNormParams& p, const float* x, float* out, SplitMean m, float rstd) {
  const typename S::V hi = S::set1(m.hi), lo = S::set1(m.lo), scale = S::set1(rstd);
  const int64_t n = p.cols;
  int64_t c = 0;
  for (; c + S::W <= n; c += S::W) {
    const typename S::V d = S::sub(S::sub(S::load(x + c), hi), lo);
    const typename S::V g = p.gamma ? S::mul(S::load(p.gamma + c), scale) : scale;
    const typename S::V b = p.beta ? S::load(p.beta + c) : S::set1(0.0f);
    S::store(out + c, S::fmadd(d, g, b));
  }
  for (; c < n; c++) {
    const float d = (x[c] - m.hi) - m.lo;
    const float g = p.gamma ? p.gamma[c] * rstd : rstd;
    out[c] = d * g + (p.beta ? p.beta[c] : 0.0f);
  }
}

// x: [M, C], gamma/beta: [C], out: [M, C]; parallel over blocks of rows.
template <class S>
void run_layer_norm(const LayerNormParams& p, int max_threads) {
  for_each_row_block(p.rows, p.cols, max_threads, [&](int64_t first, int64_t end) {
    for (int64_t r = first; r < end; r++) {
      const float* x = p.x + r * p.x_row_stride;
      const SplitMean m = row_mean<S>(x, p.cols);
      normalize_row<S>(p, x, p.out + r * p.out_row_stride, m, row_rstd<S>(x, p.cols, m, p.eps));
    }
  });
}

}  // namespace layernorm_simd
}  // namespace tessera
