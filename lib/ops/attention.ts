/**
 * attention(q, k, v, options) and attentionSync: fused flash-style attention.
 *   q: [B, Nq, H, D], k and v: [B, Nk, H, D] -> out: [B, Nq, H, D]
 *   with returnLse also lse: [B, H, Nq], the natural log of each row's softmax denominator.
 * q, k and v may be strided views (for example into a fused QKV buffer [B, N, 3, H, D]).
 */
import type { DeviceTensor } from '../device-tensor';
import type { IsaName, NativeAttentionArgs } from '../native';
import { native } from '../native';
import type { CompiledPattern } from '../patterns/compile';
import type { Pattern } from '../patterns/types';
import type { TensorLike } from '../tensor';
import { Tensor } from '../tensor';
import type { AttentionDevice } from './attention-cuda';
import { cudaAttention, cudaAttentionSync, runsOnCuda } from './attention-cuda';
import { LAYOUT, checkAttentionProblem, checkOut, compiledPattern } from './attention-problem';
import { callAsync, callSync } from './call';
import { checkOneOf, checkOptions, checkPositiveInt, checkTensor } from './validate';
import { outputTensor } from './output';

export { MAX_HEAD_DIM } from './attention-problem';

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
   * in a loop, and on CUDA the plan's upload: it stays on the device until the CompiledPattern is
   * collected or its releaseDeviceMemory() is called). Default: every key (the dense kernel).
   */
  pattern?: Pattern | CompiledPattern;
  /**
   * Write the result here instead of a new tensor: [B, Nq, H, D], any strides, not overlapping
   * q, k or v (reusing one output buffer saves allocating and first-touching it per call); a
   * DeviceTensor of q's dtype and device when q, k and v are DeviceTensors.
   */
  out?: TensorLike | DeviceTensor;
  /**
   * Where to run: 'cpu', 'cuda' (host tensors are copied to the GPU and back), or 'auto' (CUDA
   * when backends().cuda.available, else the CPU). Default: 'cuda' for DeviceTensor inputs,
   * else 'cpu'.
   */
  device?: AttentionDevice;
}

export interface AttentionWithLse {
  out: Tensor;
  lse: Tensor;
}

/** The result of attention on DeviceTensors with returnLse: lse is an fp32 DeviceTensor. */
export interface DeviceAttentionWithLse {
  out: DeviceTensor;
  lse: DeviceTensor;
}

const ISAS: readonly IsaName[] = ['auto', 'scalar', 'avx2', 'avx512'];

/**
 * Validates everything and prepares the output buffers and the native call's arguments without
 * running it (a model puts these into a runSequence step).
 */
export function attentionArgs(q: TensorLike, k: TensorLike, v: TensorLike, rawOptions: unknown): {
  args: NativeAttentionArgs;
  out: Tensor;
  lse: Tensor | null;
} {
  const options = checkOptions<AttentionOptions>(rawOptions);
  const qStrides = checkTensor('q', q, LAYOUT);
  const kStrides = checkTensor('k', k, LAYOUT);
  const vStrides = checkTensor('v', v, LAYOUT);
  const problem = checkAttentionProblem(q, k, v, options);
  const { batch, seqQ, seqK, heads, headDim, scale, causal, keyLengths } = problem;
  const plan = compiledPattern(problem);
  const threads = options.threads === undefined ? 0 : checkPositiveInt('threads', options.threads);
  const isa = checkOneOf('isa', options.isa ?? 'auto', ISAS);

  const out = options.out === undefined ? outputTensor([batch, seqQ, heads, headDim]) : checkOut(options.out as TensorLike, q, [q, k, v]);
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

/**
 * Synchronous attention: blocks the calling thread; use for small inputs. On DeviceTensors the
 * result stays on the device.
 */
export function attentionSync(q: DeviceTensor, k: DeviceTensor, v: DeviceTensor, options: AttentionOptions & { returnLse: true }): DeviceAttentionWithLse;
export function attentionSync(q: DeviceTensor, k: DeviceTensor, v: DeviceTensor, options?: AttentionOptions): DeviceTensor;
export function attentionSync(q: TensorLike, k: TensorLike, v: TensorLike, options: AttentionOptions & { returnLse: true }): AttentionWithLse;
export function attentionSync(q: TensorLike, k: TensorLike, v: TensorLike, options?: AttentionOptions): Tensor;
export function attentionSync(
  q: TensorLike | DeviceTensor,
  k: TensorLike | DeviceTensor,
  v: TensorLike | DeviceTensor,
  options?: AttentionOptions,
): Tensor | AttentionWithLse | DeviceTensor | DeviceAttentionWithLse {
  if (runsOnCuda(q, k, v, options)) return cudaAttentionSync(q, k, v, options);
  const { args, out, lse } = attentionArgs(q as TensorLike, k as TensorLike, v as TensorLike, options);
  callSync((a) => native().attentionSync(a), args);
  return lse ? { out, lse } : out;
}

/** Attention off the event loop; q, k and v stay referenced until the promise settles. */
export function attention(q: DeviceTensor, k: DeviceTensor, v: DeviceTensor, options: AttentionOptions & { returnLse: true }): Promise<DeviceAttentionWithLse>;
export function attention(q: DeviceTensor, k: DeviceTensor, v: DeviceTensor, options?: AttentionOptions): Promise<DeviceTensor>;
export function attention(q: TensorLike, k: TensorLike, v: TensorLike, options: AttentionOptions & { returnLse: true }): Promise<AttentionWithLse>;
export function attention(q: TensorLike, k: TensorLike, v: TensorLike, options?: AttentionOptions): Promise<Tensor>;
export async function attention(
  q: TensorLike | DeviceTensor,
  k: TensorLike | DeviceTensor,
  v: TensorLike | DeviceTensor,
  options?: AttentionOptions,
): Promise<Tensor | AttentionWithLse | DeviceTensor | DeviceAttentionWithLse> {
  if (runsOnCuda(q, k, v, options)) return cudaAttention(q, k, v, options);
  const { args, out, lse } = attentionArgs(q as TensorLike, k as TensorLike, v as TensorLike, options);
  await callAsync((a) => native().attentionAsync(a), args);
  return lse ? { out, lse } : out;
}
