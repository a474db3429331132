// GELU in fp32 for any SIMD traits S (Avx512 in cpu/simd_avx512.h, Avx2 in cpu/simd_avx2.h,
// Scalar in cpu/simd_scalar.h): branch-free, so one definition serves a vector body and its
// scalar tail, here and in a GEMM epilogue.
//   gelu_erf(x)   x * Phi(x), PyTorch gelu(approximate='none'), with Phi(x) = erfc(-x / sqrt 2) / 2
//                 taken from erfc directly, so the negative tail keeps its relative accuracy
//                 instead of cancelling in 1 + erf(x / sqrt 2)
//   gelu_tanh(x)  PyTorch gelu(approximate='tanh'), 0.5 x (1 + tanh u), u = sqrt(2/pi) (x +
//                 0.044715 x^3), computed as x / (1 + e^(-2u)) (the same value, no cancellation)
// Against the fp64 functions (116M sampled floats): max absolute error 5.1e-7 (~1 ulp, at |x| ~ 5);
// in the negative tail the relative error grows as erfc's slope amplifies the rounding of the
// argument (~2e-6 at x = -5, 1e-5 at x = -11.7 where GELU is ~1e-30), where PyTorch's fp32
// 1 + erf form has already cancelled to 0.
// S provides V, set1, add, sub, mul, div, fmadd, abs, min, max, round, pow2i and the lane masks
// M, less and select.
//
// The erf pieces, for a >= 0:
//   erf_near_zero, a < 1:  erf(a) = a P(a^2), P of degree 5
//   erfc_tail, a >= 1:     erfc(a) = e^(-a^2) R(t), t = 2 / (2 + a), R of degree 8 (erfc(a) e^(a^2)
//                          is smooth and bounded in t on [1, inf), unlike a polynomial in a)
// P and R are weighted least-squares fits of the relative error on Chebyshev nodes (iteratively
// reweighted toward minimax; a in [0, 1] and [1, 9.5]), rounded to float: fit errors 4.0e-8 and
// 5.0e-9, below fp32 rounding. e^(-a^2) folds the rounding of a^2 into its argument reduction
// with one FMA. Measured on every 61st float: erf(x) = sign(x) (a < 1 ? erf_near_zero(a) :
// 1 - erfc_tail(a)) has max relative error 1.7e-7; erfc_nonnegative 5.9e-7 just below a = 1
// (1 - erf there), about 2e-7 elsewhere.
#pragma once

#include "common/exp2_poly.h"

namespace tessera {
namespace gelu_math {

constexpr float kLog2e = 1.4426950408889634f;
// ln 2 split so that n * kLn2Hi is exact for |n| <= 255 (kLn2Hi has 16 significant bits).
constexpr float kLn2Hi = 0.693145751953125f;
constexpr float kLn2Lo = 1.4286068203094172e-6f;
constexpr float kSqrtHalf = 0.7071067811865476f;     // 1 / sqrt(2)
constexpr float kTanhScale = -1.5957691216057308f;   // -2 sqrt(2 / pi)
constexpr float kTanhCubic = -0.07135481627159049f;  // -2 sqrt(2 / pi) * 0.044715

constexpr int kDegreeP = 5;
constexpr float kP[kDegreeP + 1] = {1.128379107e+00f,  -3.761232495e-01f, 1.128017977e-01f,
                                    -2.671131119e-02f, 4.917550366e-03f,  -5.631417735e-04f};
constexpr int kDegreeR = 8;
constexpr float kR[kDegreeR + 1] = {-5.062380751e-06f, 2.822216451e-01f,  2.807723880e-01f,
                                    2.541558146e-01f,  1.541187316e-01f,  1.133945882e-01f,
                                    1.500681043e-02f,  -1.780482680e-01f, 7.881353796e-02f};

// c[0] + c[1] x + ... + c[degree] x^degree (Horner).
template <class S, int kDegree>
typename S::V polynomial(typename S::V x, const float (&c)[kDegree + 1]) {
  typename S::V p = S::set1(c[kDegree]);
  for (int i = kDegree - 1; i >= 0; i--) p = S::fmadd(p, x, S::set1(c[i]));
  return p;
}

// 2^n e^r for integral n in [-127, 127] and |r| <= ln(2) / 2 (n = -127 gives 0).
template <class S>
typename S::V scaled_exp(typename S::V n, typename S::V r) {
  const typename S::V p =
      polynomial<S, exp2_poly::kDegree>(S::mul(r, S::set1(kLog2e)), exp2_poly::kC);
  return S::mul(p, S::pow2i(n));
}

// e^y for y in [-88, 88] (clamped); 0 below about -87.7, relative error ~2e-7 elsewhere.
template <class S>
typename S::V exp(typename S::V y) {
  y = S::min(S::max(y, S::set1(-88.0f)), S::set1(88.0f));
  const typename S::V n = S::round(S::mul(y, S::set1(kLog2e)));
  const typename S::V r = S::fmadd(n, S::set1(-kLn2Hi), y);
  return scaled_exp<S>(n, S::fmadd(n, S::set1(-kLn2Lo), r));
}

// e^(-a^2) for a >= 0; 0 for a > 9.37.
template <class S>
typename S::V exp_neg_square(typename S::V a) {
  a = S::min(a, S::set1(9.5f));
  const typename S::V n =
      S::max(S::round(S::mul(S::mul(a, a), S::set1(-kLog2e))), S::set1(-127.0f));
  // -a^2 - n ln2_hi in one rounding: exact product, and a small result after the cancellation.
  const typename S::V r = S::fmadd(S::sub(S::set1(0.0f), a), a, S::mul(n, S::set1(-kLn2Hi)));
  return scaled_exp<S>(n, S::fmadd(n, S::set1(-kLn2Lo), r));
}

// erf(a) for a in [0, 1].
template <class S>
typename S::V erf_near_zero(typename S::V a) {
  return S::mul(a, polynomial<S, kDegreeP>(S::mul(a, a), kP));
}

// erfc(a) for a >= 1.
template <class S>
typename S::V erfc_tail(typename S::V a) {
  const typename S::V t = S::div(S::set1(2.0f), S::add(S::set1(2.0f), a));
  return S::mul(exp_neg_square<S>(a), polynomial<S, kDegreeR>(t, kR));
}

// erfc(a) for a >= 0, with relative accuracy in the tail.
template <class S>
typename S::V erfc_nonnegative(typename S::V a) {
  const typename S::V one = S::set1(1.0f);
  return S::select(S::less(a, one), S::sub(one, erf_near_zero<S>(a)), erfc_tail<S>(a));
}

// GELU, exact form: x Phi(x), Phi(x) = erfc(|x| / sqrt 2) / 2 for x < 0, 1 minus that for x >= 0.
template <class S>
typename S::V gelu_erf(typename S::V x) {
  const typename S::V lower =
      S::mul(S::set1(0.5f), erfc_nonnegative<S>(S::mul(S::abs(x), S::set1(kSqrtHalf))));
  const typename S::V phi =
      S::select(S::less(x, S::set1(0.0f)), lower, S::sub(S::set1(1.0f), lower));
  return S::mul(x, phi);
}

// GELU, tanh approximation: x / (1 + e^(-2u)), -2u = x (kTanhScale + kTanhCubic x^2).
template <class S>
typename S::V gelu_tanh(typename S::V x) {
  const typename S::V minus_2u =
      S::mul(x, S::fmadd(S::set1(kTanhCubic), S::mul(x, x), S::set1(kTanhScale)));
  return S::div(x, S::add(S::set1(1.0f), exp<S>(minus_2u)));
}

}  // namespace gelu_math
}  // namespace tessera
