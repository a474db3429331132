/**
 * The checks of attention() that every backend shares: q, k, v sizes against each other, the
 * scale, causal, keyLengths and pattern options, and a host output tensor.
 *   q: [B, Nq, H, D], k and v: [B, Nk, H, D] -> out: [B, Nq, H, D]
 */
import { ArgumentError } from '../errors';
import { CompiledPattern } from '../patterns/compile';
import { normalizePattern } from '../patterns/index';
import type { Pattern, PatternSpec } from '../patterns/types';
import type { TensorLike } from '../tensor';
import { Tensor } from '../tensor';
import type { AttentionOptions } from './attention';
import { checkFiniteFloat32, checkTensor, describeShape, overlaps } from './validate';

export const MAX_HEAD_DIM = 256;

export const LAYOUT = ['B', 'N', 'H', 'D'] as const;

/** Anything with a [B, N, H, D] shape (host tensors and device tensors). */
interface Shaped {
  readonly shape: readonly number[];
}

/** A pattern option other than 'full', resolved for one call (each backend builds its own plan). */
export interface PatternChoice {
  /** Normalized for this Nq and Nk. */
  spec: PatternSpec;
  /** The caller's CompiledPattern (checked against Nq, Nk, causal), or null for a plain Pattern. */
  compiled: CompiledPattern | null;
}

/** The sizes and resolved options of one attention call. */
export interface AttentionProblem {
  batch: number;
  seqQ: number;
  seqK: number;
  heads: number;
  headDim: number;
  scale: number;
  causal: boolean;
  /** [B], or null for every key. */
  keyLengths: Int32Array | null;
  /** The pattern, or null for dense attention. */
  pattern: PatternChoice | null;
}

function checkKeyLengths(keyLengths: ArrayLike<number>, batch: number, seqK: number): Int32Array {
  if (typeof keyLengths !== 'object' || keyLengths === null || typeof keyLengths.length !== 'number') {
    throw new ArgumentError('keyLengths', `expected an array of ${batch} integers, received ${String(keyLengths)}`);
  }
  if (keyLengths.length !== batch) {
    throw new ArgumentError('keyLengths', `expected ${batch} entries (one per batch), received ${keyLengths.length}`);
  }
  const out = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const n = keyLengths[b];
    if (!Number.isInteger(n) || n < 0 || n > seqK) {
      throw new ArgumentError('keyLengths', `expected keyLengths[${b}] to be an integer in [0, ${seqK}], received ${n}`);
    }
    out[b] = n;
  }
  return out;
}

/** A pattern option, checked, or null for dense attention ('full'). */
function checkPattern(pattern: Pattern | CompiledPattern, seqQ: number, seqK: number, causal: boolean): PatternChoice | null {
  if (!(pattern instanceof CompiledPattern)) {
    const spec = normalizePattern(pattern, seqQ, seqK);
    return spec.type === 'full' ? null : { spec, compiled: null };
  }
  if (pattern.nq !== seqQ || pattern.nk !== seqK || pattern.causal !== causal) {
    throw new ArgumentError(
      'pattern',
      `expected a pattern compiled for Nq = ${seqQ}, Nk = ${seqK}, causal = ${causal}, received one compiled for Nq = ${pattern.nq}, Nk = ${pattern.nk}, causal = ${pattern.causal}`,
    );
  }
  return pattern.spec.type === 'full' ? null : { spec: pattern.spec, compiled: pattern };
}

/** The call's pattern compiled by the CPU addon (the caller's, or one made now), or null. */
export function compiledPattern(problem: AttentionProblem): CompiledPattern | null {
  const { pattern, seqQ, seqK, causal } = problem;
  if (!pattern) return null;
  return pattern.compiled ?? new CompiledPattern(pattern.spec, seqQ, seqK, causal);
}

/** Checks q, k and v (whose own shapes are already checked) against each other and the options. */
export function checkAttentionProblem(q: Shaped, k: Shaped, v: Shaped, options: AttentionOptions): AttentionProblem {
  const [batch, seqQ, heads, headDim] = q.shape;
  const [kb, seqK, kh, kd] = k.shape;
  if (kb !== batch || kh !== heads || kd !== headDim) {
    throw new ArgumentError('k', `expected [${batch}, Nk, ${heads}, ${headDim}] to match q's B, H, D, received ${describeShape(k.shape)}`);
  }
  if (v.shape[0] !== batch || v.shape[1] !== seqK || v.shape[2] !== heads || v.shape[3] !== headDim) {
    throw new ArgumentError('v', `expected ${describeShape(k.shape)} (the shape of k), received ${describeShape(v.shape)}`);
  }
  if (headDim > MAX_HEAD_DIM) {
    throw new ArgumentError('q', `expected [B, N, H, D] with D <= ${MAX_HEAD_DIM}, received ${describeShape(q.shape)}`);
  }
  const scale = checkFiniteFloat32('scale', options.scale ?? 1 / Math.sqrt(headDim));
  if (options.causal !== undefined && typeof options.causal !== 'boolean') {
    throw new ArgumentError('causal', `expected a boolean, received ${typeof options.causal}`);
  }
  const causal = options.causal ?? false;
  const keyLengths = options.keyLengths === undefined ? null : checkKeyLengths(options.keyLengths, batch, seqK);
  const pattern = options.pattern === undefined ? null : checkPattern(options.pattern, seqQ, seqK, causal);
  return { batch, seqQ, seqK, heads, headDim, scale, causal, keyLengths, pattern };
}

/** The caller's host output tensor: [B, Nq, H, D] like q, its own memory. */
export function checkOut(out: TensorLike, q: Shaped, inputs: readonly TensorLike[]): Tensor {
  const strides = checkTensor('out', out, LAYOUT);
  if (out.shape.some((dim, i) => dim !== q.shape[i])) {
    throw new ArgumentError('out', `expected shape ${describeShape(q.shape)} (B, Nq, H, D of q), received ${describeShape(out.shape)}`);
  }
  if (inputs.some((input) => overlaps(out.data, input.data))) {
    throw new ArgumentError('out', 'expected memory that does not overlap q, k or v');
  }
  return new Tensor(out.data, out.shape, strides);
}
