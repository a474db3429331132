/**
 * The life of packed weights. loadModel packs every weight off the event loop (built pending under
 * withDeferredPacking, then packAsync): the model it resolves holds no pending weight and computes
 * what loadModelSync's does. A pending weight packs on first use; releasing one mid-pack wins.
 * model.dispose(): every packed weight of the model (also the lazily built ones, in maps) is
 * released, and a released weight's memory goes back to the system; a forward pass already running
 * finishes with its weights; afterwards forward, forwardSync and classify fail with
 * ERR_TESSERA_DISPOSED; a released PackedWeight is refused by linear (in TypeScript and in the
 * addon), never used.
 */
import * as path from 'node:path';

import { readSafetensors } from '../../lib/io/safetensors';
import { loadModel, loadModelSync } from '../../lib/models/load';
import type { PixelModel } from '../../lib/models/pixel-model';
import { native } from '../../lib/native';
import { packPendingWeights, packedWeightsOf, releasePackedWeights } from '../../lib/nn/packed-weights';
import { PackedWeight, linearSync, packWeight, withDeferredPacking } from '../../lib/ops/linear';
import type { Tensor } from '../../lib/tensor';

const FIXTURES = path.join(__dirname, '..', 'fixtures');

function load(name: string): { model: PixelModel<Tensor>; pixels: Tensor } {
  const dir = path.join(FIXTURES, name);
  const model = loadModelSync(dir) as unknown as PixelModel<Tensor>;
  return { model, pixels: readSafetensors(path.join(dir, 'io.safetensors')).tensor('pixel_values') };
}

describe.each(['vit-odd', 'timesformer-divided'])('loadModel of fixture %s', (name) => {
  test('resolves to a model with every weight packed, computing what loadModelSync gives', async () => {
    const dir = path.join(FIXTURES, name);
    const model = (await loadModel(dir)) as unknown as PixelModel<Tensor>;
    const weights = packedWeightsOf(model);
    expect(weights.length).toBeGreaterThan(4);
    expect(weights.filter((w) => w.pending)).toEqual([]);
    const { model: reference, pixels } = load(name);
    expect(Array.from((await model.forward(pixels)).data)).toEqual(Array.from((await reference.forward(pixels)).data));
  });
});

describe.each(['vit-odd', 'timesformer-divided'])('dispose() of fixture %s', (name) => {
  test('releases every packed weight, including lazily built ones', async () => {
    const { model, pixels } = load(name);
    await model.forward(pixels); // builds the pass (and, for divided attention, the class-token projection)
    const weights = packedWeightsOf(model);
    expect(weights.length).toBeGreaterThan(4);
    expect(weights.every((w) => !w.released)).toBe(true);
    model.dispose();
    expect(model.disposed).toBe(true);
    expect(weights.every((w) => w.released)).toBe(true);
    expect(releasePackedWeights(model)).toBe(0);
    expect(() => model.dispose()).not.toThrow();
  });

  test('a pass already running finishes with the same logits; later calls fail with ERR_TESSERA_DISPOSED', async () => {
    const { model, pixels } = load(name);
    const expected = await model.forward(pixels);
    const running = model.forward(pixels);
    model.dispose();
    expect(Array.from((await running).data)).toEqual(Array.from(expected.data));
    await expect(model.forward(pixels)).rejects.toMatchObject({ code: 'ERR_TESSERA_DISPOSED', message: 'forward: the model was disposed' });
    expect(() => model.forwardSync(pixels)).toThrow('forward: the model was disposed');
    const classify = (model as unknown as { classify(inputs: unknown): Promise<unknown> }).classify([]);
    await expect(classify).rejects.toMatchObject({ code: 'ERR_TESSERA_DISPOSED', message: 'classify: the model was disposed' });
  });
});

describe('a pending PackedWeight (made under withDeferredPacking)', () => {
  const weight = { data: Float32Array.from({ length: 6 }, (_, i) => i), shape: [3, 2] };
  const x = { data: new Float32Array([1, 2]), shape: [1, 2] };
  const deferred = (): PackedWeight => withDeferredPacking(() => packWeight(weight, 'out_in'));

  test('is packed by packAsync, and packWeight outside the region packs at once', async () => {
    const w = deferred();
    expect(w.pending).toBe(true);
    expect(packWeight(weight, 'out_in').pending).toBe(false);
    await packPendingWeights({ layers: [w] });
    expect(w.pending).toBe(false);
    expect(Array.from(linearSync(x, w).data)).toEqual([2, 8, 14]);
  });

  test('packs on first use, and a packAsync still running then gives way', async () => {
    const w = deferred();
    const packing = w.packAsync();
    expect(Array.from(linearSync(x, w).data)).toEqual([2, 8, 14]);
    await packing;
    expect(w.pending).toBe(false);
    expect(Array.from(linearSync(x, w).data)).toEqual([2, 8, 14]);
  });

  test('released while pending or while packing: stays released', async () => {
    const w = deferred();
    w.release();
    await w.packAsync();
    expect([w.pending, w.released]).toEqual([false, true]);
    const v = deferred();
    const packing = v.packAsync();
    v.release();
    await packing;
    expect(v.released).toBe(true);
    expect(() => linearSync(x, v)).toThrow('received one that was released');
  });

  test('a bad source is refused before anything is deferred, and by the addon', () => {
    const short = { data: new Float32Array(5), shape: [3, 2] };
    expect(() => withDeferredPacking(() => packWeight(short, 'out_in'))).toThrow('weight: shape [3, 2] with strides [2, 1] needs 6 elements, but data has 5');
    expect(() => native().packMatrixAsync({ weight: short.data, k: 2, n: 3, strideK: 1, strideN: 2 })).toThrow(/^weight: /);
  });
});

describe('a released PackedWeight', () => {
  const weight = { data: Float32Array.from({ length: 6 }, (_, i) => i), shape: [3, 2] };
  const x = { data: new Float32Array([1, 2]), shape: [1, 2] };

  test('its memory is returned at once (64 MiB packed: the resident set shrinks by at least 60 MiB)', () => {
    const big = { data: new Float32Array(4096 * 4096), shape: [4096, 4096] };
    const packed = packWeight(big, 'out_in');
    const before = process.memoryUsage().rss;
    packed.release();
    expect(before - process.memoryUsage().rss).toBeGreaterThanOrEqual(60 * 2 ** 20);
  });

  test('weights of a model\'s sizes come back too, load after load (16 x 4 MiB packed, 3 rounds)', () => {
    // glibc's malloc raises its mmap threshold to each large block freed, so blocks of that size
    // came from its heap afterwards and stayed resident when freed (ViT-B: 0.6-1 GB after dispose).
    const source = { data: new Float32Array(1024 * 1024).fill(1), shape: [1024, 1024] };
    const returnedMiB: number[] = [];
    for (let round = 0; round < 3; round++) {
      const packed = Array.from({ length: 16 }, () => packWeight(source, 'out_in'));
      const before = process.memoryUsage().rss;
      for (const p of packed) p.release();
      returnedMiB.push((before - process.memoryUsage().rss) / 2 ** 20);
    }
    expect(returnedMiB.filter((mib) => mib < 60)).toEqual([]);
  });

  test('linear refuses it with an ArgumentError naming the weight', () => {
    const packed = packWeight(weight, 'out_in');
    expect(Array.from(linearSync(x, packed).data)).toEqual([2, 8, 14]);
    packed.release();
    packed.release();
    expect(packed.released).toBe(true);
    expect(() => linearSync(x, packed)).toThrow('weight: expected a live PackedWeight, received one that was released ([2, 3])');
  });

  test('the addon refuses a released handle, and releasing is idempotent there too', () => {
    const handle = native().packMatrix({ weight: weight.data, k: 2, n: 3, strideK: 1, strideN: 2 });
    const args = {
      a: x.data, m: 1, k: 2, aRowStride: 2, weight: handle, bias: null, activation: 'none' as const,
      residual: null, residualRowStride: 0, out: new Float32Array(3), outRowStride: 3, isa: 'auto' as const, threads: 0,
    };
    native().linearSync(args);
    expect(Array.from(args.out)).toEqual([2, 8, 14]);
    native().releaseMatrix(handle);
    native().releaseMatrix(handle);
    expect(() => native().linearSync(args)).toThrow('weight: the packed weight was released (dispose())');
    expect(() => native().releaseMatrix({})).toThrow('handle: expected a packed weight (from packMatrix)');
  });
});
