/**
 * patchify() / patchifySync(): every output element is the pixel it names (exact), and patchify
 * followed by a product with the flattened conv weight equals a direct convolution with stride =
 * kernel (test/reference/conv.ts, kernel rule of test/tolerance.ts): Conv2d and Conv3d shapes
 * that the patch does not divide, 1D, channels-last and video-frame views, a strided out, async,
 * runSequence, and bad arguments.
 */
import type { PatchifyOptions, TensorLike } from '../../lib';
import { ArgumentError, Tensor, patchify, patchifySync } from '../../lib';
import { native } from '../../lib/native';
import { patchifyArgs } from '../../lib/ops/patchify';
import { contiguousCopy, permutedView, randomFloat32, randomTensor, rowMajorStrides, seedFromString } from '../reference/attention';
import { referenceConv } from '../reference/conv';
import { TOLERANCE, expectClose } from '../tolerance';
import { expectArgumentError } from '../support/argument-error';

/** The value patch n, feature k of item b must hold: pixel (b, c, g_i * P_i + k_i) of the view. */
function expectedPatches(pixels: TensorLike, patch: readonly number[]): Float32Array {
  const [batch, channels, ...size] = pixels.shape;
  const strides = pixels.strides ?? rowMajorStrides(pixels.shape);
  const grid = size.map((n, i) => Math.floor(n / patch[i]));
  const count = grid.reduce((a, b) => a * b, 1);
  const features = patch.reduce((a, b) => a * b, channels);
  const out = new Float32Array(batch * count * features);
  let index = 0;
  for (let b = 0; b < batch; b++) {
    for (let n = 0; n < count; n++) {
      for (let k = 0; k < features; k++) {
        let offset = b * strides[0];
        let restN = n;
        let restK = k;
        for (let d = size.length - 1; d >= 0; d--) {
          const g = restN % grid[d];
          const kd = restK % patch[d];
          restN = Math.floor(restN / grid[d]);
          restK = Math.floor(restK / patch[d]);
          offset += (g * patch[d] + kd) * strides[2 + d];
        }
        out[index++] = pixels.data[offset + restK * strides[1]];
      }
    }
  }
  return out;
}

/** patches [B, N, K] times weight [O, K]^T in fp64, as [B, O, N] (the conv's layout). */
function embed(patches: Tensor, weight: TensorLike, bias: Float32Array): Float64Array {
  const [batch, count, features] = patches.shape;
  const outChannels = weight.shape[0];
  const w = contiguousCopy(weight).data;
  const out = new Float64Array(batch * outChannels * count);
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outChannels; o++) {
      for (let n = 0; n < count; n++) {
        let sum = bias[o];
        for (let k = 0; k < features; k++) sum += patches.data[(b * count + n) * features + k] * w[o * features + k];
        out[(b * outChannels + o) * count + n] = sum;
      }
    }
  }
  return out;
}

/** Checks patchify(pixels) exactly and through a conv with `outChannels` filters. */
function checkConv(pixels: TensorLike, patch: number[], label: Record<string, unknown>, options: Partial<PatchifyOptions> = {}): Tensor {
  const patches = patchifySync(pixels, { patch, ...options });
  const [batch, channels, ...size] = pixels.shape;
  const count = size.reduce((acc, n, i) => acc * Math.floor(n / patch[i]), 1);
  expect(patches.shape).toEqual([batch, count, patch.reduce((a, b) => a * b, channels)]);
  const dense = contiguousCopy(patches);
  expect(Array.from(dense.data)).toEqual(Array.from(expectedPatches(pixels, patch)));
  const outChannels = 6;
  const weight = randomTensor([outChannels, channels, ...patch], seedFromString(`w ${patch}`));
  const bias = randomFloat32(outChannels, 99);
  const contiguous = new Tensor(dense.data, dense.shape);
  expectClose(embed(contiguous, weight, bias), referenceConv(pixels, weight, bias), TOLERANCE.kernel, label);
  return patches;
}

describe('patchify: conv equivalence', () => {
  test.each([
    [[2, 3, 13, 11], [4, 3]],
    [[1, 3, 32, 32], [16, 16]],
    [[2, 1, 7, 9], [7, 2]],
    [[1, 4, 5, 5], [1, 1]],
    [[3, 2, 10, 6], [3, 5]],
  ])('Conv2d: pixels %p, patch %p (trailing pixels dropped)', (shape, patch) => {
    const pixels = randomTensor(shape, seedFromString(`2d ${shape}`));
    checkConv(pixels, patch, { shape, patch });
  });

  test('Conv2d at ViT-B/16 size: [2, 3, 224, 224], patch 16', () => {
    const pixels = randomTensor([2, 3, 224, 224], 3);
    const patches = patchifySync(pixels, { patch: [16, 16] });
    expect(patches.shape).toEqual([2, 196, 768]);
    expect(Array.from(patches.data)).toEqual(Array.from(expectedPatches(pixels, [16, 16])));
  });

  test.each([
    [[2, 3, 5, 9, 8], [2, 4, 4]],
    [[1, 2, 8, 16, 16], [2, 16, 16]],
    [[1, 3, 3, 4, 5], [3, 1, 2]],
  ])('Conv3d tubelets: video %p, patch %p', (shape, patch) => {
    const video = randomTensor(shape, seedFromString(`3d ${shape}`));
    checkConv(video, patch, { shape, patch });
  });

  test('Conv1d: [2, 3, 17], patch [4]', () => {
    checkConv(randomTensor([2, 3, 17], 4), [4], { case: '1d' });
  });
});

describe('patchify: views and outputs', () => {
  test('channels-last pixels [B, H, W, C] read as a [B, C, H, W] view', () => {
    const logical = randomTensor([2, 3, 12, 10], 5);
    const channelsLast = permutedView(logical, [0, 2, 3, 1]); // stored [B, H, W, C]
    expect(channelsLast.strides).toEqual([360, 1, 30, 3]);
    const a = patchifySync(channelsLast, { patch: [4, 5] });
    expect(Array.from(a.data)).toEqual(Array.from(patchifySync(logical, { patch: [4, 5] }).data));
    checkConv(channelsLast, [4, 5], { case: 'channels-last' });
  });

  test('one frame of a video [B, T, C, H, W] as a [B, C, H, W] view', () => {
    const [B, T, C, H, W] = [2, 4, 3, 8, 8];
    const video = randomTensor([B, T, C, H, W], 6);
    const t = 2;
    const frame = { data: video.data.subarray(t * C * H * W), shape: [B, C, H, W], strides: [T * C * H * W, H * W, W, 1] };
    checkConv(frame, [4, 4], { case: 'video frame' });
  });

  test('a video [B, C, T, H, W] stored as [B, T, C, H, W] (frames first)', () => {
    const logical = randomTensor([1, 3, 4, 8, 8], 7);
    checkConv(permutedView(logical, [0, 2, 1, 3, 4]), [2, 4, 4], { case: 'frames first' });
  });

  test('out into rows 1.. of a [B, 1 + N, K] buffer (a class-token slot left free)', () => {
    const pixels = randomTensor([2, 3, 8, 8], 8);
    const [N, K] = [4, 48];
    const buffer = new Float32Array(2 * (1 + N) * K).fill(Number.NaN);
    const out = { data: buffer.subarray(K), shape: [2, N, K], strides: [(1 + N) * K, K, 1] };
    const patches = patchifySync(pixels, { patch: [4, 4], out });
    expect(patches.data).toBe(out.data);
    expect(Array.from(contiguousCopy(patches).data)).toEqual(Array.from(expectedPatches(pixels, [4, 4])));
    for (let b = 0; b < 2; b++) expect(buffer.subarray(b * (1 + N) * K, b * (1 + N) * K + K).every(Number.isNaN)).toBe(true);
  });

  test('a transposed out [B, N, K] with strides [N*K, 1, N]', () => {
    const pixels = randomTensor([1, 2, 6, 6], 9);
    const out = { data: new Float32Array(9 * 8), shape: [1, 9, 8], strides: [72, 1, 9] };
    patchifySync(pixels, { patch: [2, 2], out });
    expect(Array.from(contiguousCopy(out).data)).toEqual(Array.from(expectedPatches(pixels, [2, 2])));
  });

  test('threads: many patches equal one thread, and async equals sync', async () => {
    const video = randomTensor([2, 3, 8, 64, 64], 10);
    const many = patchifySync(video, { patch: [2, 16, 16] });
    const one = patchifySync(video, { patch: [2, 16, 16], threads: 1 });
    const later = await patchify(video, { patch: [2, 16, 16] });
    expect(Array.from(one.data)).toEqual(Array.from(many.data));
    expect(Array.from(later.data)).toEqual(Array.from(many.data));
  });

  test('patchifyArgs() builds a runSequence step', async () => {
    const pixels = randomTensor([1, 3, 8, 8], 11);
    const step = patchifyArgs(pixels, { patch: [4, 4] });
    await native().runSequence([{ op: 'patchify', args: step.args }]);
    expect(Array.from(step.out.data)).toEqual(Array.from(expectedPatches(pixels, [4, 4])));
  });
});

describe('patchify: bad arguments', () => {
  const pixels = (): TensorLike => randomTensor([1, 3, 8, 8], 12);
  const cases: [string, () => unknown, string, string[]][] = [
    ['patch missing', () => patchifySync(pixels(), {} as PatchifyOptions), 'patch', ['expected 1 to 3 positive integers', 'received undefined']],
    ['patch of rank 4', () => patchifySync(pixels(), { patch: [1, 1, 1, 1] }), 'patch', ['expected 1 to 3 positive integers', 'received [1, 1, 1, 1]']],
    ['patch zero', () => patchifySync(pixels(), { patch: [0, 4] }), 'patch', ['expected 1 to 3 positive integers', 'received [0, 4]']],
    ['patch fractional', () => patchifySync(pixels(), { patch: [2.5, 4] }), 'patch', ['expected 1 to 3 positive integers', 'received [2.5, 4]']],
    ['patch larger than the image', () => patchifySync(pixels(), { patch: [4, 9] }), 'patch', ['expected patch[1] <= W = 8', 'received 9']],
    ['pixels rank does not match patch', () => patchifySync(pixels(), { patch: [2, 2, 2] }), 'pixels', ['expected shape [B, C, T, H, W]', 'received [1, 3, 8, 8]']],
    ['pixels a Uint8Array', () => patchifySync({ data: new Uint8Array(192), shape: [1, 3, 8, 8] } as unknown as TensorLike, { patch: [4, 4] }), 'pixels', ['expected data to be a Float32Array', 'received Uint8Array']],
    ['pixels strides out of bounds', () => patchifySync({ data: new Float32Array(192), shape: [1, 3, 8, 8], strides: [192, 64, 8, 2] }, { patch: [4, 4] }), 'pixels', ['needs 199 elements', 'data has 192']],
    ['out of another shape', () => patchifySync(pixels(), { patch: [4, 4], out: randomTensor([1, 4, 47], 1) }), 'out', ['expected shape [1, 4, 48]', 'received [1, 4, 47]']],
    ['out with repeated elements', () => patchifySync(pixels(), { patch: [4, 4], out: { data: new Float32Array(48), shape: [1, 4, 48], strides: [0, 0, 1] } }), 'out', ['expected strides that give every element its own address', 'received [0, 0, 1]']],
    ['out overlapping pixels', () => { const p = pixels(); return patchifySync(p, { patch: [4, 4], out: { data: p.data, shape: [1, 4, 48] } }); }, 'out', ['expected memory that does not overlap pixels']],
    ['threads zero', () => patchifySync(pixels(), { patch: [4, 4], threads: 0 }), 'threads', ['expected a positive integer', 'received 0']],
    ['options missing', () => patchifySync(pixels(), undefined as unknown as PatchifyOptions), 'options', ['expected an object { patch', 'received undefined']],
  ];

  test.each(cases)('%s', (_name, run, param, message) => expectArgumentError(run, param, message));

  test('patchify() rejects (never throws synchronously)', async () => {
    await expect(patchify(pixels(), { patch: [16, 16] })).rejects.toBeInstanceOf(ArgumentError);
  });

  test('the raw binding checks sizes, strides and buffers itself', () => {
    const good = () => ({
      pixels: new Float32Array(192), out: new Float32Array(192), batch: 1, channels: 3, size: [8, 8], patch: [4, 4],
      pixelStrides: [192, 64, 8, 1], outStrides: [192, 48, 1], threads: 0,
    });
    const raw = native();
    expect(() => raw.patchifySync({ ...good(), patch: [4, 4, 4, 4] })).toThrow(/^patch: expected an array of 1 to 3 integers/);
    expect(() => raw.patchifySync({ ...good(), size: [8] })).toThrow(/^size: expected an array of 2 integers/);
    expect(() => raw.patchifySync({ ...good(), patch: [4, 9] })).toThrow(/^patch\[1\]: expected a size in \[1, 8\]/);
    expect(() => raw.patchifySync({ ...good(), channels: 4 })).toThrow(/^pixels: shape and strides reach element/);
    expect(() => raw.patchifySync({ ...good(), out: new Float32Array(191) })).toThrow(/^out: shape and strides reach element 191/);
    expect(() => raw.patchifySync({ ...good(), outStrides: [0, 48, 0] })).toThrow(/^out: expected strides that give every element its own address/);
    const shared = new Float32Array(400);
    expect(() => raw.patchifySync({ ...good(), pixels: shared, out: shared.subarray(100) })).toThrow(/^out: expected memory that does not overlap pixels/);
  });
});
