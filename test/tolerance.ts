/**
 * The one tolerance table of the tests (docs: ARCHITECTURE.md, "Tolerance policy").
 * Every numeric comparison in test/ goes through these entries; do not inline other bounds.
 *
 *   kernel   fp32 kernel vs the fp64 reference:  max |out - ref| <= 1e-5 + 1e-4 * max |ref|
 *   model    fp32 model vs PyTorch/onnxruntime:  max |logit diff| <= 2e-4 * max(1, max |ref logit|)
 *            and the same top-1 class
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

export type Tolerance = KernelTolerance | ModelTolerance;

export const TOLERANCE = {
  kernel: { kind: 'kernel', atol: 1e-5, rtol: 1e-4 },
  model: { kind: 'model', rtol: 2e-4, floor: 1 },
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

/** The allowed max abs error for a reference whose largest finite magnitude is maxRef. */
export function bound(tol: Tolerance, maxRef: number): number {
  return tol.kind === 'kernel' ? tol.atol + tol.rtol * maxRef : tol.rtol * Math.max(tol.floor, maxRef);
}

function describeBound(tol: Tolerance, maxRef: number): string {
  const value = bound(tol, maxRef).toExponential(3);
  return tol.kind === 'kernel'
    ? `${value} = ${tol.atol} + ${tol.rtol} * max|ref| (max|ref| = ${maxRef.toExponential(3)})`
    : `${value} = ${tol.rtol} * max(${tol.floor}, max|ref|) (max|ref| = ${maxRef.toExponential(3)})`;
}

export interface Comparison {
  ok: boolean;
  maxError: number;
  /** Where the largest error (or the first non-finite mismatch) is. */
  index: number;
  maxRef: number;
  bound: number;
  /** Set when the arrays disagree on something other than size of error. */
  problem?: string;
}

export function compare(actual: ArrayLike<number>, ref: ArrayLike<number>, tol: Tolerance): Comparison {
  const maxRef = maxAbsFinite(ref);
  const limit = bound(tol, maxRef);
  const result: Comparison = { ok: true, maxError: 0, index: -1, maxRef, bound: limit };
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
    if (error > result.maxError) {
      result.maxError = error;
      result.index = i;
    }
  }
  result.ok = result.maxError <= limit;
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
    const detail = c.problem ?? `max |actual - ref| = ${c.maxError.toExponential(3)}${where} > bound ${describeBound(tol, c.maxRef)}`;
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
