/**
 * attention(q, k, v, options) and attentionSync: fused flash-style attention.
 *   q: [B, Nq, H, D], k and v: [B, Nk, H, D] -> out: [B, Nq, H, D]
 *   with returnLse also lse: [B, H, Nq], the natural log of each row's softmax denominator.
 * q, k and v may be strided views (for example into a fused QKV buffer [B, N, 3, H, D]).
 */
import { ArgumentError } from '../errors';
import type { IsaName, NativeAttentionArgs } from '../native';
import { native } from '../native';
import { CompiledPattern } from '../patterns/compile';
import { normalizePattern } from '../patterns/index';
import type { Pattern } from '../patterns/types';
import type { TensorLike } from '../tensor';
import { Tensor } from '../tensor';
import { callAsync, callSync } from './call';
import { checkOneOf, checkPositiveInt, checkTensor, describeShape, overlaps } from './validate';

export const MAX_HEAD_DIM = 256;
const FLOAT32_MAX = 3.4028234663852886e38;

export interface AttentionOptions {
  /** Multiplies q k^T; default 1 / sqrt(D). */
  scale?: number;
  /** Query i sees only keys j <= i. */
  causal?: boolean;
  /** Per batch b, only keys j < keyLengths[b] are seen (padding). */
  keyLengths?: ArrayLike<number>;
  /** Also return the per-row log-sum-exp [B, H, Nq]. */
  returnLse?: boolean;
  /** Worker threads for this call (default: the shared pool's size). */
  threads?: number;
  /** Force a SIMD path (for testing and benchmarking); default 'auto'. */
  isa?: IsaName;
  /**
   * Which keys each query may see (ARCHITECTURE.md, "Attention patterns"): a pattern, or one
   * compiled with compilePattern for this Nq, Nk and causal (compiling once saves the planning
   * in a loop). Default: every key (the dense kernel).
   */
  pattern?: Pattern | CompiledPattern;
  /**
   * Write the result here instead of a new tensor: [B, Nq, H, D], any strides, not overlapping
   * q, k or v (reusing one output buffer saves allocating and first-touching it per call).
   */
  out?: TensorLike;
}

export interface AttentionWithLse {
  out: Tensor;
  lse: Tensor;
}

const LAYOUT = ['B', 'N', 'H', 'D'] as const;
const ISAS: readonly IsaName[] = ['auto', 'scalar', 'avx2', 'avx512'];

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

function checkOptions(options: unknown): AttentionOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) {
    throw new ArgumentError('options', `expected an object, received ${options === null ? 'null' : typeof options}`);
  }
  return options as AttentionOptions;
}

/** The caller's output tensor: [B, Nq, H, D] like q, its own memory. */
function checkOut(out: TensorLike, q: TensorLike, inputs: readonly TensorLike[]): Tensor {
  const strides = checkTensor('out', out, LAYOUT);
  if (out.shape.some((dim, i) => dim !== q.shape[i])) {
    throw new ArgumentError('out', `expected shape ${describeShape(q.shape)} (B, Nq, H, D of q), received ${describeShape(out.shape)}`);
  }
  if (inputs.some((input) => overlaps(out.data, input.data))) {
    throw new ArgumentError('out', 'expected memory that does not overlap q, k or v');
  }
  return new Tensor(out.data, out.shape, strides);
}

/** The compiled plan for a pattern option, or null for dense attention ('full'). */
function patternPlan(pattern: Pattern | CompiledPattern, seqQ: number, seqK: number, causal: boolean): CompiledPattern | null {
  if (!(pattern instanceof CompiledPattern)) {
    const spec = normalizePattern(pattern, seqQ, seqK);
    return spec.type === 'full' ? null : new CompiledPattern(spec, seqQ, seqK, causal);
  }
  if (pattern.nq !== seqQ || pattern.nk !== seqK || pattern.causal !== causal) {
    throw new ArgumentError(
      'pattern',
      `expected a pattern compiled for Nq = ${seqQ}, Nk = ${seqK}, causal = ${causal}, received one compiled for Nq = ${pattern.nq}, Nk = ${pattern.nk}, causal = ${pattern.causal}`,
    );
  }
  return pattern.spec.type === 'full' ? null : pattern;
}

/**
 * Validates everything and prepares the output buffers and the native call's arguments without
 * running it (a model puts these into a runSequence step).
 */
export function attentionArgs(q: TensorLike, k: TensorLike, v: TensorLike, rawOptions: unknown): {
  args: NativeAttentionArgs;
  out: Tensor;
  lse: Tensor | null;
} {
  const options = checkOptions(rawOptions);
  const qStrides = checkTensor('q', q, LAYOUT);
  const kStrides = checkTensor('k', k, LAYOUT);
  const vStrides = checkTensor('v', v, LAYOUT);
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
  const scale = options.scale ?? 1 / Math.sqrt(headDim);
  if (typeof scale !== 'number' || !(Math.abs(scale) <= FLOAT32_MAX)) {
    throw new ArgumentError('scale', `expected a finite float32 number (|scale| <= ${FLOAT32_MAX}), received ${String(scale)}`);
  }
  if (options.causal !== undefined && typeof options.causal !== 'boolean') {
    throw new ArgumentError('causal', `expected a boolean, received ${typeof options.causal}`);
  }
  const threads = options.threads === undefined ? 0 : checkPositiveInt('threads', options.threads);
  const isa = checkOneOf('isa', options.isa ?? 'auto', ISAS);
  const keyLengths = options.keyLengths === undefined ? null : checkKeyLengths(options.keyLengths, batch, seqK);

  const causal = options.causal ?? false;
  const plan = options.pattern === undefined ? null : patternPlan(options.pattern, seqQ, seqK, causal);

  const out = options.out === undefined ? Tensor.zeros([batch, seqQ, heads, headDim]) : checkOut(options.out, q, [q, k, v]);
  const lse = options.returnLse ? Tensor.zeros([batch, heads, seqQ]) : null;
  const args: NativeAttentionArgs = {
    q: q.data, k: k.data, v: v.data, out: out.data, lse: lse?.data ?? null, keyLengths,
    batch, seqQ, seqK, heads, headDim,
    qStrides, kStrides, vStrides, outStrides: [...out.strides],
    scale, causal, isa, threads,
    ...(plan ? { pattern: plan.handle } : {}),
  };
  return { args, out, lse };
}

/** Synchronous attention: blocks the calling thread; use for small inputs. */
export function attentionSync(q: TensorLike, k: TensorLike, v: TensorLike, options: AttentionOptions & { returnLse: true }): AttentionWithLse;
export function attentionSync(q: TensorLike, k: TensorLike, v: TensorLike, options?: AttentionOptions): Tensor;
export function attentionSync(q: TensorLike, k: TensorLike, v: TensorLike, options?: AttentionOptions): Tensor | AttentionWithLse {
  const { args, out, lse } = attentionArgs(q, k, v, options);
  callSync((a) => native().attentionSync(a), args);
  return lse ? { out, lse } : out;
}

/** Attention off the event loop; q, k and v stay referenced until the promise settles. */
export function attention(q: TensorLike, k: TensorLike, v: TensorLike, options: AttentionOptions & { returnLse: true }): Promise<AttentionWithLse>;
export function attention(q: TensorLike, k: TensorLike, v: TensorLike, options?: AttentionOptions): Promise<Tensor>;
export async function attention(q: TensorLike, k: TensorLike, v: TensorLike, options?: AttentionOptions): Promise<Tensor | AttentionWithLse> {
  const { args, out, lse } = attentionArgs(q, k, v, options);
  await callAsync((a) => native().attentionAsync(a), args);
  return lse ? { out, lse } : out;
}
