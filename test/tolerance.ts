/**
 * The one tolerance table of the tests (docs: ARCHITECTURE.md, "Tolerance policy").
 * Every numeric comparison in test/ goes through these entries; do not inline other bounds.
 *
 *   kernel   fp32 kernel vs the fp64 reference:  max |out - ref| <= 1e-5 + 1e-4 * max |ref|
 *   model    fp32 model vs PyTorch/onnxruntime:  max |logit diff| <= 2e-4 * max(1, max |ref logit|)
 *            and the same top-1 class
 *   elementwise  an fp32 elementwise function (GELU's erf and tanh forms in a linear epilogue) vs
 *            fp64, per element:  |out - ref| <= 1e-9 + 2e-6 * |ref|
 *            The kernel rule scales with max |ref| over a whole tensor, which over x in [-10, 10]
 *            (GELU up to 10) would allow 1e-3 everywhere; this one checks each value against its
 *            own size. 2e-6 is ~16 fp32 ulp: the approximations' ~2 ulp plus the conditioning of
 *            GELU's negative side, where rounding x / sqrt 2 and x^2 in fp32 costs up to ~x^2 / 2
 *            ulp of Phi(x); 1e-9 is a floor for the far tail (x < -6, |GELU| < 6e-9), where only
 *            absolute error is meaningful.
 *   reduced  a reduced-precision result vs the fp64 reference: error <= 2 x the error of the
 *            same reference computed in that dtype (the flash-attention rule), plus the kernel
 *            bound as a floor. Also used for fp32 kernels on cases that are ill-conditioned in
 *            fp32 itself (logits ~1e4: a single fp32 rounding of each logit already costs more
 *            than the kernel bound), with the plain fp32 reference as the dtype reference.
 *
 *   preprocess  image preprocessing vs PIL + numpy (PREPROCESS_BOUNDS below)
 *
 * Non-finite reference values (e.g. lse = -Infinity for rows without keys) must be matched
 * exactly; any NaN in either array fails.
 */

export interface KernelTolerance {
  readonly kind: 'kernel';
  readonly atol: number;
  readonly rtol: number;
}

/** Per element: |out - ref| <= atol + rtol * |ref|. */
export interface ElementwiseTolerance {
  readonly kind: 'elementwise';
  readonly atol: number;
  readonly rtol: number;
}

export interface ModelTolerance {
  readonly kind: 'model';
  readonly rtol: number;
  /** The bound is rtol * max(floor, max |ref|). */
  readonly floor: number;
}

export interface ReducedTolerance {
  readonly kind: 'reduced';
  /** Allowed multiple of the dtype reference's own error. */
  readonly factor: number;
}

export type Tolerance = KernelTolerance | ModelTolerance | ElementwiseTolerance;

export const TOLERANCE = {
  kernel: { kind: 'kernel', atol: 1e-5, rtol: 1e-4 },
  model: { kind: 'model', rtol: 2e-4, floor: 1 },
  elementwise: { kind: 'elementwise', atol: 1e-9, rtol: 2e-6 },
  reduced: { kind: 'reduced', factor: 2 },
} as const satisfies Record<string, Tolerance | ReducedTolerance>;

/** A test case's configuration, printed when a comparison fails. */
export type Label = string | Readonly<Record<string, unknown>>;

export function formatLabel(label: Label): string {
  if (typeof label === 'string') return label;
  return Object.entries(label)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${Array.isArray(value) || ArrayBuffer.isView(value) ? `[${Array.from(value as ArrayLike<number>).join(',')}]` : String(value)}`)
    .join(' ');
}

export function maxAbsFinite(values: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const x = Math.abs(values[i]);
    if (Number.isFinite(x) && x > max) max = x;
  }
  return max;
}

/**
 * The allowed abs error: for the kernel and model rules, of every element of a reference whose
 * largest finite magnitude is `magnitude`; for the elementwise rule, of an element of that size.
 */
export function bound(tol: Tolerance, magnitude: number): number {
  return tol.kind === 'model' ? tol.rtol * Math.max(tol.floor, magnitude) : tol.atol + tol.rtol * magnitude;
}

function describeBound(tol: Tolerance, magnitude: number): string {
  const value = bound(tol, magnitude).toExponential(3);
  switch (tol.kind) {
    case 'kernel':
      return `${value} = ${tol.atol} + ${tol.rtol} * max|ref| (max|ref| = ${magnitude.toExponential(3)})`;
    case 'elementwise':
      return `${value} = ${tol.atol} + ${tol.rtol} * |ref| (|ref| = ${magnitude.toExponential(3)})`;
    case 'model':
      return `${value} = ${tol.rtol} * max(${tol.floor}, max|ref|) (max|ref| = ${magnitude.toExponential(3)})`;
  }
}

export interface Comparison {
  ok: boolean;
  maxError: number;
  /** Where the largest error (or the first non-finite mismatch) is. */
  index: number;
  maxRef: number;
  /** The bound at `index` (the same for every element except under the elementwise rule). */
  bound: number;
  /** Set when the arrays disagree on something other than size of error. */
  problem?: string;
}

export function compare(actual: ArrayLike<number>, ref: ArrayLike<number>, tol: Tolerance): Comparison {
  const maxRef = maxAbsFinite(ref);
  const limitAt = (r: number): number => bound(tol, tol.kind === 'elementwise' ? Math.abs(r) : maxRef);
  const result: Comparison = { ok: true, maxError: 0, index: -1, maxRef, bound: bound(tol, maxRef) };
  let worst = 0; // the largest error / bound
  if (actual.length !== ref.length) {
    return { ...result, ok: false, problem: `length ${actual.length}, expected ${ref.length}` };
  }
  for (let i = 0; i < ref.length; i++) {
    const a = actual[i];
    const r = ref[i];
    if (Number.isNaN(a) || Number.isNaN(r)) {
      return { ...result, ok: false, index: i, maxError: NaN, problem: `NaN at index ${i} (actual ${a}, ref ${r})` };
    }
    if (!Number.isFinite(r) || !Number.isFinite(a)) {
      if (a !== r) {
        return { ...result, ok: false, index: i, maxError: Infinity, problem: `non-finite mismatch at index ${i} (actual ${a}, ref ${r})` };
      }
      continue;
    }
    const error = Math.abs(a - r);
    const limit = limitAt(r);
    if (error / limit > worst) {
      worst = error / limit;
      result.maxError = error;
      result.index = i;
      result.bound = limit;
    }
  }
  result.ok = worst <= 1;
  return result;
}

/**
 * Fails (with the case config, the max error, where it is, and the bound) unless `actual`
 * is within `tol` of `ref`.
 */
export function expectClose(actual: ArrayLike<number>, ref: ArrayLike<number>, tol: Tolerance, label: Label): void {
  const c = compare(actual, ref, tol);
  if (!c.ok) {
    const where = c.index >= 0 ? ` at index ${c.index} (actual ${actual[c.index]}, ref ${ref[c.index]})` : '';
    const magnitude = tol.kind === 'elementwise' ? Math.abs(ref[c.index]) : c.maxRef;
    const detail = c.problem ?? `max |actual - ref| = ${c.maxError.toExponential(3)}${where} > bound ${describeBound(tol, magnitude)}`;
    throw new Error(`${formatLabel(label)}: ${tol.kind} tolerance failed: ${detail}`);
  }
  expect(c.ok).toBe(true); // counts as an assertion
}

function argmax(values: ArrayLike<number>, start: number, count: number): number {
  let best = start;
  for (let i = start + 1; i < start + count; i++) if (values[i] > values[best]) best = i;
  return best - start;
}

/** The model rule: logits [rows, classes] within TOLERANCE.model and the same top-1 per row. */
export function expectLogitsClose(actual: ArrayLike<number>, ref: ArrayLike<number>, classes: number, label: Label): void {
  expectClose(actual, ref, TOLERANCE.model, label);
  for (let row = 0; row * classes < ref.length; row++) {
    const a = argmax(actual, row * classes, classes);
    const r = argmax(ref, row * classes, classes);
    if (a !== r) throw new Error(`${formatLabel(label)}: row ${row}: top-1 class ${a}, reference top-1 ${r}`);
  }
}

/**
 * The reduced-precision rule: the error of `actual` against the fp64 `ref` is at most
 * TOLERANCE.reduced.factor times the error of `dtypeRef` (the reference computed in that dtype)
 * plus the kernel bound.
 */
export function expectReducedPrecisionClose(
  actual: ArrayLike<number>,
  dtypeRef: ArrayLike<number>,
  ref: ArrayLike<number>,
  label: Label,
): void {
  const own = compare(actual, ref, TOLERANCE.kernel);
  const baseline = compare(dtypeRef, ref, TOLERANCE.kernel);
  const limit = TOLERANCE.reduced.factor * baseline.maxError + own.bound;
  if (own.problem || baseline.problem || own.maxError > limit) {
    const where = own.index >= 0 ? ` at index ${own.index} (actual ${actual[own.index]}, ref ${ref[own.index]})` : '';
    throw new Error(
      `${formatLabel(label)}: reduced tolerance failed: ${
        own.problem ??
        baseline.problem ??
        `max |actual - ref| = ${own.maxError.toExponential(3)}${where} > bound ${limit.toExponential(3)} = ` +
          `${TOLERANCE.reduced.factor} x dtype reference error ${baseline.maxError.toExponential(3)} + kernel bound ${describeBound(TOLERANCE.kernel, own.maxRef)}`
      }`,
    );
  }
  expect(own.maxError).toBeLessThanOrEqual(limit);
}

/**
 * Image preprocessing vs PIL + numpy (scripts/fixtures/make_image_fixtures.py), as bounds on
 * max |pixel value - reference|:
 *   exact  lossless inputs: the bytes equal PIL's and every float32 step rounds as HF's numpy
 *          code does, so the values are bit-identical: bound 0 (well inside the required 1e-6;
 *          an fp64 normalize rounded once to float32 would already miss by ~1e-7).
 *   jpeg   end to end on a JPEG: decoders built on different libjpeg versions may differ by a
 *          few levels; up to 3 levels (+1 from resize rounding) is 4 / 255 / min(std) in
 *          normalized units, 4 / 255 / 0.224 = 0.0701 for the ImageNet std of the JPEG case.
 *          (sharp 0.35 and Pillow 9.4 decode the fixture identically: measured difference 0.)
 */
export const PREPROCESS_BOUNDS = {
  exact: 0,
  jpegLevels: 3,
  jpeg: (minStd: number): number => (PREPROCESS_BOUNDS.jpegLevels + 1) / 255 / minStd,
} as const;
