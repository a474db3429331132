/**
 * erf, erfc and the two GELUs in float64 (Math has no erf), independent of the kernels' fp32
 * approximations. Relative error (against mpmath at 30 digits on a grid over [-10, 10]): erf
 * below 1e-15; erfc below 1e-14 (the rounding of x^2 in e^{-x^2} at x ~ 8).
 *   |x| < 1:  erf by the all-positive series erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (1*3*...*(2n+1))
 *             (no cancellation), erfc = 1 - erf (>= 0.157, so no cancellation either)
 *   |x| >= 1: erfc by its continued fraction e^{-x^2}/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
 *             evaluated backwards from a fixed depth; erf = 1 - erfc
 * Negative arguments: erf(-x) = -erf(x), erfc(-x) = 2 - erfc(x).
 */
const SERIES_LIMIT = 1;
const FRACTION_DEPTH = 200;

function erfSeries(a: number): number {
  let term = a;
  let sum = a;
  for (let n = 1; term > 1e-17 * sum; n++) {
    term *= (2 * a * a) / (2 * n + 1);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-a * a) * sum;
}

function erfcFraction(a: number): number {
  let tail = a;
  for (let n = FRACTION_DEPTH; n >= 1; n--) tail = a + n / 2 / tail;
  return Math.exp(-a * a) / Math.sqrt(Math.PI) / tail;
}

/** erfc(a) for a >= 0. */
function erfcNonNegative(a: number): number {
  return a < SERIES_LIMIT ? 1 - erfSeries(a) : erfcFraction(a);
}

export function erf(x: number): number {
  const a = Math.abs(x);
  const e = a < SERIES_LIMIT ? erfSeries(a) : 1 - erfcFraction(a);
  return x < 0 ? -e : e;
}

export function erfc(x: number): number {
  return x < 0 ? 2 - erfcNonNegative(-x) : erfcNonNegative(x);
}

/** GELU, exact form: 0.5 x (1 + erf(x / sqrt 2)) = 0.5 x erfc(-x / sqrt 2) (no cancellation for x < 0). */
export function geluErf(x: number): number {
  return 0.5 * x * erfc(-x / Math.SQRT2);
}

/** GELU, tanh form: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))). */
export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}
