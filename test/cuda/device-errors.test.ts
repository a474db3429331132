/**
 * The device option and device tensors where CUDA is unavailable (CI: nvcc, no GPU), and the
 * argument errors that come before any CUDA work everywhere: 'cuda' fails with a typed error
 * carrying backends().cuda.reason, 'auto' falls back to the CPU with identical results, and bad
 * devices, dtypes and patterns are named; the built CUDA addon checks its pattern arguments
 * before any CUDA call.
 */
import type { TensorLike } from '../../lib';
import { ArgumentError, CudaUnavailableError, UnsupportedError, attention, attentionSync, backends, compilePattern, toDevice } from '../../lib';
import type { NativeCudaAttentionArgs } from '../../lib/native';
import { cudaNative } from '../../lib/native';
import { randomFloat32 } from '../reference/attention';
import { expectArgumentError } from '../support/argument-error';

const cuda = backends().cuda;
const noGpu = cuda.available ? test.skip : test;
if (cuda.available) console.log('CUDA-unavailable tests skipped: this machine has a usable GPU');

const B = 2;
const N = 9;
const H = 2;
const D = 16;

function tensor(seed: number, shape = [B, N, H, D]): TensorLike {
  return { data: randomFloat32(shape.reduce((a, b) => a * b, 1), seed), shape };
}

const [q, k, v] = [tensor(1), tensor(2), tensor(3)];

describe("device 'cuda' without CUDA", () => {
  noGpu('attentionSync throws CudaUnavailableError with the reason of backends()', () => {
    let error: unknown;
    try {
      attentionSync(q, k, v, { device: 'cuda' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CudaUnavailableError);
    expect(error).toBeInstanceOf(UnsupportedError);
    const { code, reason, message } = error as CudaUnavailableError;
    expect(code).toBe('ERR_TESSERA_CUDA_UNAVAILABLE');
    expect(reason).toBe((cuda as { reason: string }).reason);
    expect(message).toBe(`attention: CUDA is not available: ${reason}`);
  });

  noGpu('attention rejects with the same error', async () => {
    await expect(attention(q, k, v, { device: 'cuda', returnLse: true })).rejects.toThrow(CudaUnavailableError);
  });

  noGpu.each([
    ['full', { type: 'full' as const }],
    ['sliding', { type: 'sliding' as const, radius: 1 }],
  ])("a '%s' pattern: CudaUnavailableError too", async (_, pattern) => {
    expect(() => attentionSync(q, k, v, { device: 'cuda', pattern })).toThrow(CudaUnavailableError);
    await expect(attention(q, k, v, { device: 'cuda', pattern: compilePattern(pattern, { n: N }) })).rejects.toThrow(CudaUnavailableError);
  });

  noGpu('toDevice throws CudaUnavailableError after checking its arguments', () => {
    expect(() => toDevice(q, { dtype: 'bfloat16' })).toThrow(new CudaUnavailableError('toDevice', (cuda as { reason: string }).reason));
  });
});

describe("device 'auto' without CUDA is the CPU path", () => {
  const cases: [string, object][] = [
    ['plain', {}],
    ['causal, key lengths, lse', { causal: true, keyLengths: [N, 4], returnLse: true }],
    ['a pattern', { pattern: { type: 'sliding', radius: 2 } }],
  ];
  noGpu.each(cases)('%s: identical results', async (_, options) => {
    expect(attentionSync(q, k, v, { ...options, device: 'auto' })).toEqual(attentionSync(q, k, v, options));
    expect(await attention(q, k, v, { ...options, device: 'auto' })).toEqual(await attention(q, k, v, { ...options, device: 'cpu' }));
  });
});

describe('argument errors before any CUDA work', () => {
  test('an unknown device', async () => {
    expectArgumentError(() => attentionSync(q, k, v, { device: 'gpu' as 'cuda' }), 'device', ["expected one of 'cpu', 'cuda', 'auto'", 'received gpu']);
    await expect(attention(q, k, v, { device: 0 as unknown as 'cuda' })).rejects.toThrow(ArgumentError);
  });

  test("device 'cuda' checks q, k, v and the options like the CPU path", () => {
    expectArgumentError(() => attentionSync(tensor(1, [B, N, H]), k, v, { device: 'cuda' }), 'q', ['expected shape [B, N, H, D]', 'received [2, 9, 2]']);
    expectArgumentError(() => attentionSync(q, tensor(2, [B, N, H, 8]), v, { device: 'cuda' }), 'k', ["to match q's B, H, D"]);
    expectArgumentError(() => attentionSync(q, k, v, { device: 'cuda', keyLengths: [1] }), 'keyLengths', ['expected 2 entries']);
  });

  test("device 'cuda' checks the pattern like the CPU path", async () => {
    expectArgumentError(() => attentionSync(q, k, v, { device: 'cuda', pattern: { type: 'sliding', radius: -1 } }), 'pattern.radius', ['received -1']);
    const other = compilePattern({ type: 'sliding', radius: 1 }, { n: N + 1 });
    await expect(attention(q, k, v, { device: 'cuda', pattern: other })).rejects.toThrow(/pattern: expected a pattern compiled for Nq = 9, Nk = 9, causal = false/);
  });

  test('toDevice: a bad tensor, dtype or device index', () => {
    expectArgumentError(() => toDevice({ data: [1, 2], shape: [2] } as unknown as TensorLike), 'tensor', ['expected data to be a Float32Array']);
    expectArgumentError(() => toDevice(q, { dtype: 'int8' as 'float16' }), 'dtype', ["expected one of 'float32', 'float16', 'bfloat16'", 'received int8']);
    expectArgumentError(() => toDevice(q, { device: -1 }), 'device', ['expected a CUDA device index (an integer >= 0)', 'received -1']);
    expectArgumentError(() => toDevice(q, 'fp16' as unknown as object), 'options', ['expected an object', 'received string']);
  });
});

describe("the built CUDA addon's pattern plans (no GPU needed)", () => {
  const loaded = cudaNative();
  if ('reason' in loaded) console.log(`CUDA addon pattern checks skipped: ${loaded.reason}`);
  const withAddon = 'binding' in loaded ? test : test.skip;
  const binding = () => (loaded as Exclude<typeof loaded, { reason: string }>).binding;
  const upload = { pattern: { type: 'sliding', radius: 1 }, seqQ: N, seqK: N, causal: false, device: 0 };

  function invalid(run: () => unknown, message: string): void {
    expect(run).toThrow(expect.objectContaining({ code: 'ERR_TESSERA_INVALID_ARGUMENT', message }));
  }

  withAddon('uploadPattern checks the spec and its plan before any CUDA call', () => {
    invalid(() => binding().uploadPattern({ ...upload, pattern: { type: 'nope' } }), "pattern.type: unknown type 'nope'");
    invalid(() => binding().uploadPattern({ ...upload, pattern: { type: 'mask', bits: new Uint8Array(3) } }), 'pattern.bits: expected Nq * Nk entries');
    invalid(() => binding().releasePattern({}), 'handle: expected a device pattern plan handle');
  });

  withAddon("attention's pattern must be a plan handle", () => {
    const strides = [N * H * D, H * D, D, 1];
    const args: NativeCudaAttentionArgs = {
      q: q.data, k: k.data, v: v.data, out: new Float32Array(q.data.length), lse: null, keyLengths: null,
      batch: B, seqQ: N, seqK: N, heads: H, headDim: D, qStrides: strides, kStrides: strides, vStrides: strides, outStrides: strides,
      scale: 1, causal: false, device: 0, pattern: {},
    };
    invalid(() => binding().attentionSync(args), 'pattern: expected a device pattern plan handle');
  });

  (cuda.available ? test.skip : withAddon)('without a usable GPU, uploading a valid plan is a CUDA error, not a crash', () => {
    expect(() => binding().uploadPattern(upload)).toThrow(expect.objectContaining({ code: 'ERR_TESSERA_INTERNAL', message: expect.stringMatching(/^CUDA cudaSetDevice: cudaError/) }));
  });
});
