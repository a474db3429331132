/**
 * A stand-in for tessera_cuda.node with the same surface (lib/native.ts NativeCudaBinding), so
 * the GPU suite's library side runs without a GPU (emulated.test.ts): "device memory" is a
 * Float32Array of values already rounded to the dtype, a "device pattern plan" is the CPU addon's
 * plan of the spec, and attention runs the CPU addon (its dense or pattern kernel) on them.
 * It exercises toDevice / toHost / dispose and the library's CUDA calls, not the CUDA kernels.
 */
import type { DeviceDtype, NativeAttentionArgs, NativeCudaAttentionArgs, NativeCudaInfo, NativeUploadPatternArgs } from '../../lib/native';
import { native } from '../../lib/native';
import { roundTo } from '../support/round';

interface Memory {
  values: Float32Array;
  dtype: DeviceDtype;
  device: number;
}

/** A handle: what release() empties. */
interface Handle {
  memory: Memory | null;
}

/** A pattern plan handle: what releasePattern() empties. */
interface PatternHandle {
  plan: { cpuHandle: unknown; device: number } | null;
}

function invalid(message: string): Error {
  return Object.assign(new Error(message), { code: 'ERR_TESSERA_INVALID_ARGUMENT' });
}

function memoryOf(handle: unknown, name: string): Memory {
  const memory = (handle as Handle | null)?.memory;
  if (!memory) throw invalid(`${name}: expected a live device buffer handle`);
  return memory;
}

/** The CPU plan standing in for args.pattern's device plan, checked to be live and on args.device. */
function cpuPattern(args: NativeCudaAttentionArgs): { pattern?: unknown } {
  if (args.pattern === undefined) return {};
  const plan = (args.pattern as PatternHandle).plan;
  if (!plan) throw invalid('pattern: the device pattern plan was released');
  if (plan.device !== args.device) throw invalid(`pattern: expected a plan on device ${args.device}, received one on device ${plan.device}`);
  return { pattern: plan.cpuHandle };
}

export function cudaInfo(): NativeCudaInfo {
  return {
    runtimeVersion: '13.0',
    driverVersion: '13.0',
    devices: [{ index: 0, name: 'emulated GPU', computeCapability: '9.0', memoryBytes: 2 ** 30 }],
    reason: null,
  };
}

export function upload(args: { data: Float32Array; dtype: DeviceDtype; device: number }): Handle {
  return { memory: { values: roundTo(args.data, args.dtype), dtype: args.dtype, device: args.device } };
}

export function allocate(args: { count: number; dtype: DeviceDtype; device: number }): Handle {
  // NaN: an op must write every element of uninitialised memory.
  return { memory: { values: new Float32Array(args.count).fill(NaN), dtype: args.dtype, device: args.device } };
}

export function download(args: { handle: Handle; out: Float32Array }): void {
  const memory = memoryOf(args.handle, 'handle');
  if (args.out.length !== memory.values.length) throw new Error(`out: expected ${memory.values.length} elements`);
  args.out.set(memory.values);
}

export function release(handle: Handle): void {
  handle.memory = null;
}

export function uploadPattern(args: NativeUploadPatternArgs): PatternHandle {
  const { handle } = native().compilePattern(args.pattern, { seqQ: args.seqQ, seqK: args.seqK, causal: args.causal });
  return { plan: { cpuHandle: handle, device: args.device } };
}

export function releasePattern(handle: PatternHandle): void {
  handle.plan = null;
}

/** Unpacks the call now (as the binding does: the job holds the memory and the plan), runs it later. */
function prepare(args: NativeCudaAttentionArgs): () => void {
  const cpu = { isa: 'auto' as const, threads: 0, ...cpuPattern(args) };
  if (args.q instanceof Float32Array) return () => native().attentionSync({ ...args, ...cpu } as NativeAttentionArgs);
  const [q, k, v, out] = (['q', 'k', 'v', 'out'] as const).map((name) => memoryOf(args[name], name));
  const lse = args.lse === null ? null : memoryOf(args.lse, 'lse');
  for (const m of [k, v, out]) {
    if (m.dtype !== q.dtype || m.device !== args.device) throw new Error('operands of different dtypes or devices');
  }
  return () => {
    const result = new Float32Array(out.values.length);
    native().attentionSync({ ...args, q: q.values, k: k.values, v: v.values, out: result, lse: lse?.values ?? null, ...cpu });
    out.values.set(roundTo(result, out.dtype));
  };
}

export function attentionSync(args: NativeCudaAttentionArgs): void {
  prepare(args)();
}

export async function attentionAsync(args: NativeCudaAttentionArgs): Promise<void> {
  const job = prepare(args);
  await Promise.resolve();
  job();
}
