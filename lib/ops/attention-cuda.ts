/**
 * attention() on a CUDA device (lib/ops/attention.ts chooses it with runsOnCuda).
 *   q: [B, Nq, H, D], k and v: [B, Nk, H, D] -> out: [B, Nq, H, D], lse: [B, H, Nq]
 * DeviceTensors (one dtype, one device) are used in place and give DeviceTensor results; the
 * dtype picks the kernel (fp16 / bf16: tensor cores; fp32: CUDA cores, fp32 throughout). Host
 * tensors are copied to the first CUDA device, computed with the fp32 kernel and copied back.
 * With a pattern the pattern kernel runs under the CUDA addon's plan of it (device-plans.ts: a
 * CompiledPattern's plan is uploaded once per device, a plain Pattern's for the call).
 */
import { cudaBackend, requireCuda } from '../backends';
import { DeviceTensor, isDeviceTensor } from '../device-tensor';
import { ArgumentError } from '../errors';
import type { DevicePatternHandle, NativeCudaAttentionArgs, NativeCudaBinding } from '../native';
import { cachedDevicePlan, uploadDevicePlan } from '../patterns/device-plans';
import type { TensorLike } from '../tensor';
import { Tensor } from '../tensor';
import type { AttentionOptions, AttentionWithLse, DeviceAttentionWithLse } from './attention';
import type { AttentionProblem } from './attention-problem';
import { LAYOUT, checkAttentionProblem, checkOut } from './attention-problem';
import { callAsync, callSync } from './call';
import { checkOneOf, checkOptions, checkTensor, describeShape } from './validate';

export type AttentionDevice = 'cpu' | 'cuda' | 'auto';
const DEVICES: readonly AttentionDevice[] = ['cpu', 'cuda', 'auto'];

type Input = TensorLike | DeviceTensor;
type Result = Tensor | AttentionWithLse | DeviceTensor | DeviceAttentionWithLse;

const NAMES = ['q', 'k', 'v'] as const;

/**
 * Whether a call runs on CUDA: options.device, defaulting to 'cuda' for DeviceTensor inputs and
 * 'cpu' otherwise; 'auto' takes CUDA when it is available (dense or pattern attention alike).
 */
export function runsOnCuda(q: Input, k: Input, v: Input, rawOptions: unknown): boolean {
  const options = checkOptions<AttentionOptions>(rawOptions);
  const onDevice = [q, k, v].findIndex(isDeviceTensor);
  const device = checkOneOf('device', options.device ?? (onDevice >= 0 ? 'cuda' : 'cpu'), DEVICES);
  if (device === 'cpu' && onDevice >= 0) {
    throw new ArgumentError(NAMES[onDevice], "expected a host tensor for device 'cpu', received a DeviceTensor (call toHost() first, or use device 'cuda')");
  }
  if (device !== 'auto') return device === 'cuda';
  return onDevice >= 0 || cudaBackend().available;
}

/** The native call, and what it resolves to, before it runs. */
interface CudaCall {
  binding: NativeCudaBinding;
  args: NativeCudaAttentionArgs;
  result: Result;
  /**
   * Once the call has settled: frees what it needed only while it ran (a plain Pattern's plan)
   * and, when it failed, what it allocated for its result.
   */
  release: (failed: boolean) => void;
}

/** A pattern's plan on the device for one call, and how to let go of it afterwards. */
interface CallPlan {
  handle: DevicePatternHandle | null;
  release: () => void;
}

const NO_PLAN: CallPlan = { handle: null, release: () => undefined };

/** The call's plan on `device`: a CompiledPattern's cached one, or a Pattern's uploaded for the call. */
function devicePlan(binding: NativeCudaBinding, problem: AttentionProblem, device: number): CallPlan {
  const { pattern, seqQ, seqK, causal } = problem;
  if (!pattern) return NO_PLAN;
  if (pattern.compiled) return { handle: cachedDevicePlan(binding, pattern.compiled, device), release: () => undefined };
  const handle = uploadDevicePlan(binding, { spec: pattern.spec, seqQ, seqK, causal, device });
  return { handle, release: () => binding.releasePattern(handle) };
}

function resultOf<T>(out: T, lse: T | null): T | { out: T; lse: T } {
  return lse ? { out, lse } : out;
}

function nativeArgs(problem: AttentionProblem, strides: number[][], device: number, plan: CallPlan): Omit<NativeCudaAttentionArgs, 'q' | 'k' | 'v' | 'out' | 'lse'> {
  const { batch, seqQ, seqK, heads, headDim, scale, causal, keyLengths } = problem;
  const [qStrides, kStrides, vStrides, outStrides] = strides;
  const pattern = plan.handle ? { pattern: plan.handle } : {};
  return { keyLengths, batch, seqQ, seqK, heads, headDim, qStrides, kStrides, vStrides, outStrides, scale, causal, device, ...pattern };
}

/** Host tensors: checked like the CPU path's, copied to the first device by the addon. */
function hostCall(q: TensorLike, k: TensorLike, v: TensorLike, options: AttentionOptions): CudaCall {
  const strides = [checkTensor('q', q, LAYOUT), checkTensor('k', k, LAYOUT), checkTensor('v', v, LAYOUT)];
  const problem = checkAttentionProblem(q, k, v, options);
  if (isDeviceTensor(options.out)) {
    throw new ArgumentError('out', 'expected a host tensor like q, k and v, received a DeviceTensor');
  }
  const { binding, devices } = requireCuda('attention');
  const { batch, seqQ, heads, headDim } = problem;
  const out = options.out === undefined ? Tensor.zeros([batch, seqQ, heads, headDim]) : checkOut(options.out, q, [q, k, v]);
  const lse = options.returnLse ? Tensor.zeros([batch, heads, seqQ]) : null;
  const plan = devicePlan(binding, problem, devices[0].index);
  const args = {
    q: q.data, k: k.data, v: v.data, out: out.data, lse: lse?.data ?? null,
    ...nativeArgs(problem, [...strides, [...out.strides]], devices[0].index, plan),
  };
  return { binding, args, result: resultOf(out, lse), release: plan.release };
}

/** A DeviceTensor operand: on q's device with q's dtype, not disposed. */
function deviceOperand(name: string, t: unknown, q: DeviceTensor): DeviceTensor {
  if (!isDeviceTensor(t)) {
    throw new ArgumentError(name, `expected a DeviceTensor like q (q, k and v must all be host tensors or all DeviceTensors), received ${t === null ? 'null' : typeof t === 'object' ? 'a host tensor' : typeof t}`);
  }
  if (t.device !== q.device || t.dtype !== q.dtype) {
    throw new ArgumentError(name, `expected a ${q.dtype} DeviceTensor on device ${q.device} like q, received ${t.dtype} on device ${t.device}`);
  }
  if (t.shape.length !== LAYOUT.length) {
    throw new ArgumentError(name, `expected shape [${LAYOUT.join(', ')}], received ${describeShape(t.shape)}`);
  }
  t.handle(name); // throws when disposed
  return t;
}

/** The caller's device output: q's shape, dtype and device, none of q, k, v. */
function deviceOut(out: unknown, q: DeviceTensor, inputs: readonly DeviceTensor[]): DeviceTensor {
  const t = deviceOperand('out', out, q);
  if (t.shape.some((dim, i) => dim !== q.shape[i])) {
    throw new ArgumentError('out', `expected shape ${describeShape(q.shape)} (B, Nq, H, D of q), received ${describeShape(t.shape)}`);
  }
  if (inputs.includes(t)) throw new ArgumentError('out', 'expected a DeviceTensor other than q, k and v');
  return t;
}

/** DeviceTensors: used in place; out (unless given) and lse are new DeviceTensors. */
function deviceCall(q: DeviceTensor, k: Input, v: Input, options: AttentionOptions): CudaCall {
  const inputs = NAMES.map((name, i) => deviceOperand(name, [q, k, v][i], q));
  const problem = checkAttentionProblem(q, inputs[1], inputs[2], options);
  const given = options.out === undefined ? null : deviceOut(options.out, q, inputs);
  const { binding } = requireCuda('attention');
  const { batch, seqQ, heads } = problem;
  const plan = devicePlan(binding, problem, q.device);
  const out = given ?? DeviceTensor.allocate(binding, q.shape, q.dtype, q.device);
  const lse = options.returnLse ? DeviceTensor.allocate(binding, [batch, heads, seqQ], 'float32', q.device) : null;
  const args = {
    q: q.handle('q'), k: inputs[1].handle('k'), v: inputs[2].handle('v'), out: out.handle('out'), lse: lse?.handle('lse') ?? null,
    ...nativeArgs(problem, [...inputs.map((t) => [...t.strides]), [...out.strides]], q.device, plan),
  };
  const release = (failed: boolean): void => {
    plan.release();
    if (!failed) return;
    if (!given) out.dispose();
    lse?.dispose();
  };
  return { binding, args, result: resultOf(out, lse), release };
}

function prepare(q: Input, k: Input, v: Input, rawOptions: unknown): CudaCall {
  const options = checkOptions<AttentionOptions>(rawOptions);
  if (isDeviceTensor(q)) return deviceCall(q, k, v, options);
  const hostOnly = [k, v].findIndex(isDeviceTensor);
  if (hostOnly >= 0) {
    throw new ArgumentError(NAMES[hostOnly + 1], 'expected a host tensor like q (q, k and v must all be host tensors or all DeviceTensors), received a DeviceTensor');
  }
  return hostCall(q, k as TensorLike, v as TensorLike, options);
}

export function cudaAttentionSync(q: Input, k: Input, v: Input, options: unknown): Result {
  const call = prepare(q, k, v, options);
  let failed = true;
  try {
    callSync((a) => call.binding.attentionSync(a), call.args);
    failed = false;
  } finally {
    call.release(failed);
  }
  return call.result;
}

export async function cudaAttention(q: Input, k: Input, v: Input, options: unknown): Promise<Result> {
  const call = prepare(q, k, v, options);
  await callAsync((a) => call.binding.attentionAsync(a), call.args).then(
    () => call.release(false),
    (error: unknown) => {
      call.release(true);
      throw error;
    },
  );
  return call.result;
}
