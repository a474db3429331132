/**
 * The GPU tests of the library's CUDA side: device tensors (toDevice / toHost / dispose) and
 * attention on 'cuda' against the fp64 reference. fp32 results use the kernel tolerance; fp16 /
 * bf16 results the reduced-precision rule, whose dtype reference is the fp64 reference on inputs
 * rounded to the dtype, with its output rounded too (test/tolerance.ts). gpu.test.ts runs it on
 * a real GPU (skipped without one), emulated.test.ts against test/cuda/fake-cuda-addon.ts.
 * Pattern attention is checked against the same reference under the pattern's mask (combinedMask).
 */
import type { DeviceDtype, DeviceTensor, Pattern, TensorLike } from '../../lib';
import { ArgumentError, attention, attentionSync, combinedMask, compilePattern, normalizePattern, toDevice } from '../../lib';
import type { NativeCudaBinding } from '../../lib/native';
import { cudaNative } from '../../lib/native';
import type { ReferenceOptions } from '../reference/attention';
import { randomFloat32, randomQkv, referenceAttention, seedFromString } from '../reference/attention';
import { roundTo, roundToFloat16 } from '../support/round';
import { TOLERANCE, expectClose, expectReducedPrecisionClose } from '../tolerance';

const REDUCED: readonly DeviceDtype[] = ['float16', 'bfloat16'];

function tensor(shape: number[], seed: number, factor = 1): TensorLike {
  return { data: randomFloat32(shape.reduce((a, b) => a * b, 1), seed, factor), shape };
}

function rounded(t: TensorLike, dtype: DeviceDtype): TensorLike {
  return { data: roundTo(t.data, dtype), shape: t.shape };
}

interface Case {
  name: string;
  batch: number;
  seqQ: number;
  seqK: number;
  heads: number;
  headDim: number;
  causal?: boolean;
  keyLengths?: number[];
}

const CASES: Case[] = [
  { name: 'small, Nq != Nk, odd D', batch: 2, seqQ: 7, seqK: 13, heads: 3, headDim: 24 },
  { name: 'non-tile lengths, D 64, causal', batch: 1, seqQ: 77, seqK: 77, heads: 2, headDim: 64, causal: true },
  { name: 'key lengths with an empty row, D 128', batch: 3, seqQ: 33, seqK: 65, heads: 2, headDim: 128, keyLengths: [65, 0, 17] },
  { name: 'D 256', batch: 1, seqQ: 40, seqK: 70, heads: 1, headDim: 256 },
];

function inputs(c: Case): TensorLike[] {
  return [
    tensor([c.batch, c.seqQ, c.heads, c.headDim], 1),
    tensor([c.batch, c.seqK, c.heads, c.headDim], 2),
    tensor([c.batch, c.seqK, c.heads, c.headDim], 3),
  ];
}

interface PatternCase {
  name: string;
  pattern: Pattern;
  seqQ: number;
  /** Default seqQ (self-attention). */
  seqK?: number;
  causal?: boolean;
  keyLengths?: number[];
  headDim?: number;
}

/** An Nq x Nk mask allowing about 40% of the pairs, rows 3 and 4 without any key. */
function randomMask(seqQ: number, seqK: number): Pattern {
  const bits = Uint8Array.from(randomFloat32(seqQ * seqK, 21), (x) => (x > 0.2 ? 1 : 0));
  bits.fill(0, 3 * seqK, 5 * seqK);
  return { type: 'mask', bits };
}

const PATTERN_CASES: PatternCase[] = [
  { name: 'sliding r=5, causal', pattern: { type: 'sliding', radius: 5 }, seqQ: 150, causal: true },
  { name: '2D 3x5 neighborhood, dilation 2x3, class token', pattern: { type: 'neighborhood', grid: [10, 9], window: [3, 5], dilation: [2, 3], offset: 1 }, seqQ: 91 },
  { name: 'axial temporal [T, H, W] + class token', pattern: { type: 'axial', grid: [3, 5, 6], axes: [0], offset: 1 }, seqQ: 91 },
  { name: 'global + sliding, key lengths with an empty row', pattern: { type: 'global', tokens: [0, 40], inner: { type: 'sliding', radius: 3 } }, seqQ: 77, keyLengths: [77, 0] },
  { name: 'mask with empty rows, Nq != Nk, D 128', pattern: randomMask(33, 70), seqQ: 33, seqK: 70, headDim: 128 },
];

/** A case's inputs, its options and the fp64 reference under its mask (on `round`ed inputs). */
function patternProblem(c: PatternCase, round: (t: TensorLike) => TensorLike = (t) => t) {
  const seqK = c.seqK ?? c.seqQ;
  const { q, k, v } = randomQkv({ B: 2, Nq: c.seqQ, Nk: seqK, H: 2, D: c.headDim ?? 32 }, seedFromString(c.name));
  const options = { causal: c.causal ?? false, keyLengths: c.keyLengths };
  const mask = combinedMask(normalizePattern(c.pattern, c.seqQ, seqK), c.seqQ, seqK);
  const reference = (opts: ReferenceOptions) => referenceAttention(round(q), round(k), round(v), opts);
  return { host: [q, k, v], options, compiled: compilePattern(c.pattern, { nq: c.seqQ, nk: seqK }, options), ref: reference({ ...options, mask }) };
}

/** The loaded CUDA addon (its upload / release of pattern plans are spied on). */
function cudaBinding(): NativeCudaBinding {
  const loaded = cudaNative();
  if ('reason' in loaded) throw new Error(`the GPU suite needs the CUDA addon: ${loaded.reason}`);
  return loaded.binding;
}

function patternSuite(): void {
  afterEach(() => jest.restoreAllMocks());

  test.each(PATTERN_CASES)('host fp32 inputs, a Pattern and its CompiledPattern: $name', async (c) => {
    const { host, options, compiled, ref } = patternProblem(c);
    const [q, k, v] = host;
    const { out, lse } = attentionSync(q, k, v, { ...options, pattern: c.pattern, device: 'cuda', returnLse: true });
    expectClose(out.data, ref.out, TOLERANCE.kernel, { pattern: c.name, path: 'sync' });
    expectClose(lse.data, ref.lse, TOLERANCE.kernel, { pattern: c.name, output: 'lse' });
    expect((await attention(q, k, v, { ...options, pattern: compiled, device: 'cuda' })).data).toEqual(out.data);
  });

  test.each(PATTERN_CASES)('fp32 DeviceTensors: $name', async (c) => {
    const { host, options, compiled, ref } = patternProblem(c);
    const [q, k, v] = host.map((t) => toDevice(t));
    const { out, lse } = await attention(q, k, v, { ...options, pattern: compiled, returnLse: true });
    expectClose(out.toHost().data, ref.out, TOLERANCE.kernel, { pattern: c.name });
    expectClose(lse.toHost().data, ref.lse, TOLERANCE.kernel, { pattern: c.name, output: 'lse' });
  });

  for (const dtype of REDUCED) {
    test.each(PATTERN_CASES)(`${dtype} DeviceTensors (tensor cores): $name`, async (c) => {
      const { host, options, compiled, ref } = patternProblem(c);
      const inDtype = patternProblem(c, (t) => rounded(t, dtype)).ref;
      const [q, k, v] = host.map((t) => toDevice(t, { dtype }));
      const { out, lse } = await attention(q, k, v, { ...options, pattern: compiled, returnLse: true });
      expectReducedPrecisionClose(out.toHost().data, roundTo(inDtype.out, dtype), ref.out, { pattern: c.name, dtype });
      expectReducedPrecisionClose(lse.toHost().data, inDtype.lse, ref.lse, { pattern: c.name, dtype, output: 'lse' });
    });
  }

  test('a CompiledPattern is uploaded once per device until releaseDeviceMemory()', async () => {
    const binding = cudaBinding();
    const upload = jest.spyOn(binding, 'uploadPattern');
    const release = jest.spyOn(binding, 'releasePattern');
    const { host, options, compiled, ref } = patternProblem(PATTERN_CASES[0]);
    const [q, k, v] = host;
    for (let i = 0; i < 3; i++) attentionSync(q, k, v, { ...options, pattern: compiled, device: 'cuda' });
    const onDevice = host.map((t) => toDevice(t, { dtype: 'float16' }));
    await attention(onDevice[0], onDevice[1], onDevice[2], { ...options, pattern: compiled });
    expect(upload).toHaveBeenCalledTimes(1);
    expect(release).not.toHaveBeenCalled();
    const pending = attention(q, k, v, { ...options, pattern: compiled, device: 'cuda' });
    compiled.releaseDeviceMemory(); // the running call keeps its plan
    expect(release).toHaveBeenCalledWith(upload.mock.results[0].value);
    expectClose((await pending).data, ref.out, TOLERANCE.kernel, 'released during the call');
    attentionSync(q, k, v, { ...options, pattern: compiled, device: 'cuda' });
    expect(upload).toHaveBeenCalledTimes(2);
  });

  test('a plain Pattern is uploaded for each call and released after it, also when the call fails', async () => {
    const binding = cudaBinding();
    const upload = jest.spyOn(binding, 'uploadPattern');
    const release = jest.spyOn(binding, 'releasePattern');
    const c = PATTERN_CASES[1];
    const { host, ref } = patternProblem(c);
    const [q, k, v] = host;
    expectClose(attentionSync(q, k, v, { pattern: c.pattern, device: 'cuda' }).data, ref.out, TOLERANCE.kernel, 'sync');
    await attention(q, k, v, { pattern: c.pattern, device: 'cuda' });
    expect(release.mock.calls.map(([handle]) => handle)).toEqual(upload.mock.results.map((r) => r.value));
    expect(upload).toHaveBeenCalledTimes(2);
    jest.spyOn(binding, 'attentionAsync').mockRejectedValueOnce(Object.assign(new Error('cuda: launch failed'), { code: 'ERR_TESSERA_INTERNAL' }));
    await expect(attention(q, k, v, { pattern: c.pattern, device: 'cuda' })).rejects.toThrow(/launch failed/);
    expect(release).toHaveBeenCalledTimes(3);
    expect(release).toHaveBeenLastCalledWith(upload.mock.results[2].value);
  });

  test("device 'auto' runs a pattern on CUDA", () => {
    const upload = jest.spyOn(cudaBinding(), 'uploadPattern');
    const c = PATTERN_CASES[2];
    const { host, ref } = patternProblem(c);
    expectClose(attentionSync(host[0], host[1], host[2], { pattern: c.pattern, device: 'auto' }).data, ref.out, TOLERANCE.kernel, 'auto');
    expect(upload).toHaveBeenCalledTimes(1);
  });

  test('a CompiledPattern for another shape or causal is an argument error', async () => {
    const { host, compiled } = patternProblem(PATTERN_CASES[1]);
    const [q, k, v] = host.map((t) => toDevice(t));
    expect(() => attentionSync(q, k, v, { pattern: compiled, causal: true })).toThrow(/pattern: expected a pattern compiled for Nq = 91, Nk = 91, causal = true/);
    const other = compilePattern(PATTERN_CASES[0].pattern, { n: 150 });
    await expect(attention(q, k, v, { pattern: other })).rejects.toThrow(ArgumentError);
  });
}

export function gpuSuite(): void {
  describe('toDevice / toHost', () => {
    const values = new Float32Array([0, -0, 1, -2.5, 1e-8, 3.14159, 65504, 70000, -1e5, 1 / 3, 2 ** -20, 1e30]);

    test('float32 round trips exactly; a strided view arrives row-major', () => {
      const x = toDevice({ data: values, shape: [3, 4] });
      expect(x.toHost().data).toEqual(values);
      const columns = toDevice({ data: values, shape: [4, 3], strides: [1, 4] }, { dtype: 'float32' });
      expect(Array.from(columns.toHost().data)).toEqual([0, 1e-8, 1e5 * -1, -0, 3.14159, 1 / 3, 1, 65504, 2 ** -20, -2.5, 70000, 1e30].map(Math.fround));
      expect(columns.shape).toEqual([4, 3]);
      expect(columns.strides).toEqual([3, 1]);
    });

    test.each(REDUCED)('%s holds the nearest value of its format (ties to even)', (dtype) => {
      const x = toDevice({ data: values, shape: [12] }, { dtype });
      expect(x.dtype).toBe(dtype);
      expect(x.toHost().data).toEqual(roundTo(values, dtype));
      expect(roundToFloat16(70000)).toBe(Infinity); // the rounding helper agrees on overflow
    });

    test('dispose frees once; a disposed tensor gives errors, not crashes', async () => {
      const x = toDevice(tensor([1, 4, 1, 8], 5));
      x.dispose();
      x.dispose();
      expect(x.disposed).toBe(true);
      expect(() => x.toHost()).toThrow(ArgumentError);
      const live = toDevice(tensor([1, 4, 1, 8], 6));
      expect(() => attentionSync(live, x, live)).toThrow(/k: expected a live DeviceTensor/);
      await expect(attention(live, live, x)).rejects.toThrow(/v: expected a live DeviceTensor/);
    });

    test('an input disposed while an async call runs stays valid until it settles', async () => {
      const q = toDevice(tensor([1, 16, 2, 32], 7));
      const pending = attention(q, q, q);
      q.dispose();
      const out = await pending;
      const ref = referenceAttention(tensor([1, 16, 2, 32], 7), tensor([1, 16, 2, 32], 7), tensor([1, 16, 2, 32], 7));
      expectClose(out.toHost().data, ref.out, TOLERANCE.kernel, 'disposed during the call');
    });
  });

  describe("attention on device 'cuda'", () => {
    test.each(CASES)('host fp32 inputs: $name', async (c) => {
      const [q, k, v] = inputs(c);
      const options = { causal: c.causal, keyLengths: c.keyLengths };
      const ref = referenceAttention(q, k, v, options);
      const { out, lse } = attentionSync(q, k, v, { ...options, device: 'cuda', returnLse: true });
      expectClose(out.data, ref.out, TOLERANCE.kernel, { ...c, path: 'sync' });
      expectClose(lse.data, ref.lse, TOLERANCE.kernel, { ...c, output: 'lse' });
      const asyncOut = await attention(q, k, v, { ...options, device: 'cuda' });
      expect(asyncOut.data).toEqual(out.data);
    });

    test.each(CASES)('fp32 DeviceTensors give DeviceTensors: $name', async (c) => {
      const host = inputs(c);
      const [q, k, v] = host.map((t) => toDevice(t));
      const options = { causal: c.causal, keyLengths: c.keyLengths };
      const { out, lse } = await attention(q, k, v, { ...options, returnLse: true });
      expect([out.dtype, out.device, lse.dtype]).toEqual(['float32', q.device, 'float32']);
      const ref = referenceAttention(host[0], host[1], host[2], options);
      expectClose(out.toHost().data, ref.out, TOLERANCE.kernel, { ...c });
      expectClose(lse.toHost().data, ref.lse, TOLERANCE.kernel, { ...c, output: 'lse' });
    });

    for (const dtype of REDUCED) {
      test.each(CASES)(`${dtype} DeviceTensors (tensor cores): $name`, async (c) => {
        const host = inputs(c);
        const [q, k, v] = host.map((t) => toDevice(t, { dtype }));
        const options = { causal: c.causal, keyLengths: c.keyLengths };
        const { out, lse } = await attention(q, k, v, { ...options, returnLse: true });
        expect(out.dtype).toBe(dtype);
        const exact = referenceAttention(host[0], host[1], host[2], options);
        const inDtype = referenceAttention(rounded(host[0], dtype), rounded(host[1], dtype), rounded(host[2], dtype), options);
        expectReducedPrecisionClose(out.toHost().data, roundTo(inDtype.out, dtype), exact.out, { ...c, dtype });
        expectReducedPrecisionClose(lse.toHost().data, inDtype.lse, exact.lse, { ...c, dtype, output: 'lse' });
      });
    }

    test('a strided QKV view in, a strided out with gaps kept', () => {
      const [B, N, H, D] = [2, 19, 2, 16];
      const qkv = randomFloat32(B * N * 3 * H * D, 11);
      const view = (i: number): TensorLike => ({ data: qkv.subarray(i * H * D), shape: [B, N, H, D], strides: [N * 3 * H * D, 3 * H * D, D, 1] });
      const buffer = new Float32Array(B * N * H * 2 * D).fill(7); // out uses the even D-blocks
      const out = { data: buffer, shape: [B, N, H, D], strides: [N * H * 2 * D, H * 2 * D, 2 * D, 1] };
      attentionSync(view(0), view(1), view(2), { device: 'cuda', out });
      const ref = referenceAttention(view(0), view(1), view(2));
      const got = new Float32Array(B * N * H * D);
      for (let r = 0; r < B * N * H; r++) got.set(buffer.subarray(r * 2 * D, r * 2 * D + D), r * D);
      expectClose(got, ref.out, TOLERANCE.kernel, 'strided views');
      for (let r = 0; r < B * N * H; r++) expect(buffer.subarray(r * 2 * D + D, (r + 1) * 2 * D).every((x) => x === 7)).toBe(true);
    });

    test('a DeviceTensor out is written in place', () => {
      const host = inputs(CASES[0]);
      const [q, k, v] = host.map((t) => toDevice(t, { dtype: 'bfloat16' }));
      const out = toDevice(host[0], { dtype: 'bfloat16' });
      expect(attentionSync(q, k, v, { out })).toBe(out);
      expect(() => attentionSync(q, k, v, { out: q })).toThrow(/out: expected a DeviceTensor other than q, k and v/);
    });

    test("device 'auto' runs on CUDA and agrees with the CPU", () => {
      const [q, k, v] = inputs(CASES[1]);
      const ref = referenceAttention(q, k, v, { causal: true });
      expectClose(attentionSync(q, k, v, { device: 'auto', causal: true }).data, ref.out, TOLERANCE.kernel, 'auto');
    });

    test('mixed or mismatched operands are argument errors', () => {
      const host = inputs(CASES[0]);
      const q: DeviceTensor = toDevice(host[0], { dtype: 'float16' });
      const k = toDevice(host[1], { dtype: 'float16' });
      const v32 = toDevice(host[2]);
      expect(() => attentionSync(q, k, host[2] as unknown as DeviceTensor)).toThrow(/v: expected a DeviceTensor like q/);
      expect(() => attentionSync(host[0], host[1], v32 as unknown as TensorLike)).toThrow(/v: expected a host tensor like q/);
      expect(() => attentionSync(q, k, v32)).toThrow(/v: expected a float16 DeviceTensor on device \d+ like q, received float32/);
      expect(() => attentionSync(q, k, k, { device: 'cpu' })).toThrow(/q: expected a host tensor for device 'cpu'/);
      expect(() => toDevice(host[0], { device: 4096 })).toThrow(/device: expected the index of a CUDA device/);
    });
  });

  describe("pattern attention on device 'cuda'", patternSuite);
}
