/**
 * resizeImageSync against Pillow 9.4's Image.resize: byte-identical output for BILINEAR and
 * BICUBIC, up- and downscaling (a sweep of hashed images over many sizes, compared by CRC-32), and
 * on the PIL-decoded pixels of a JPEG fixture through rescale + normalize (apart from any decoder).
 * The native passes against the TypeScript oracle (test/reference/resize.ts) on random images;
 * resizeImage (async) against resizeImageSync; argument errors from both and from the addon.
 */
import * as fc from 'fast-check';

import type { RawImage, Resample } from '../../lib';
import { ArgumentError, rescaleAndNormalize, resizeImage, resizeImageSync } from '../../lib';
import { crc32 } from '../../lib/io/png';
import { native } from '../../lib/native';
import { axisWeights } from '../../lib/preprocess/resize';
import { referenceResize } from '../reference/resize';
import type { SweepEntry } from './fixtures';
import { PREPROCESS_BOUNDS, REFERENCES, expectedValues, fixedSize, hashedImage, maxAbsDiff, pilPixels, referenceCase } from './fixtures';

const FILTER_NAMES: Record<SweepEntry['resample'], Resample> = { 2: 'bilinear', 3: 'bicubic' };

function sweepLabel(e: SweepEntry): string {
  return `${e.source.width}x${e.source.height} -> ${e.width}x${e.height} ${FILTER_NAMES[e.resample]}`;
}

describe('resizeImage equals PIL Image.resize byte for byte', () => {
  test.each(REFERENCES.resizeSweep.map((e) => [sweepLabel(e), e] as const))('%s', (_label, e) => {
    const source = hashedImage(e.source.width, e.source.height, e.source.seed);
    const out = resizeImageSync(source, { height: e.height, width: e.width }, FILTER_NAMES[e.resample]);
    expect([out.width, out.height, out.channels]).toEqual([e.width, e.height, 3]);
    expect(crc32(new Uint8Array(out.data))).toBe(e.crc32);
  });

  test('the sweep covers up- and downscaling on both axes, with both filters', () => {
    const sweep = REFERENCES.resizeSweep;
    expect(sweep.some((e) => e.width > e.source.width && e.height > e.source.height)).toBe(true);
    expect(sweep.some((e) => e.width * 4 < e.source.width && e.height * 4 < e.source.height)).toBe(true);
    expect(sweep.some((e) => e.width > e.source.width && e.height < e.source.height)).toBe(true);
    expect(new Set(sweep.map((e) => e.resample))).toEqual(new Set([2, 3]));
  });
});

describe('resize + rescale + normalize of PIL-decoded pixels equal the reference', () => {
  // The JPEG case with PIL's own decoded pixels: everything but the JPEG decoder is checked exactly.
  test('gradient.jpg (PIL-decoded) -> 24x24, ImageNet mean/std', () => {
    const c = referenceCase('gradient-jpg-24x24');
    const resized = resizeImageSync(pilPixels(c.image), fixedSize(c), 'bilinear');
    const values = rescaleAndNormalize(resized, c.config);
    expect(values.shape).toEqual(c.shape.slice(1));
    expect(maxAbsDiff(values.data, expectedValues(c))).toBeLessThanOrEqual(PREPROCESS_BOUNDS.exact);
  });
});

describe('resizeImage properties', () => {
  const image = hashedImage(9, 7, 5);

  test('an unchanged size returns the image itself', () => {
    expect(resizeImageSync(image, { height: 7, width: 9 })).toBe(image);
  });

  test('only the changed axis is resampled: rows stay rows when only the width changes', () => {
    const out = resizeImageSync(image, { height: 7, width: 4 });
    const row = (img: RawImage, y: number): RawImage => {
      const data = img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3);
      return { data, width: img.width, height: 1, channels: 3 };
    };
    for (let y = 0; y < 7; y++) expect(resizeImageSync(row(image, y), { height: 1, width: 4 }).data).toEqual(row(out, y).data);
  });

  test('channels are resized independently: grayscale equals the first channel of its RGB source', () => {
    const gray: RawImage<1> = { data: image.data.filter((_, i) => i % 3 === 0), width: 9, height: 7, channels: 1 };
    const rgbOut = resizeImageSync(image, { height: 4, width: 13 }, 'bicubic');
    const grayOut = resizeImageSync(gray, { height: 4, width: 13 }, 'bicubic');
    expect(grayOut.channels).toBe(1);
    expect(Array.from(grayOut.data)).toEqual(Array.from(rgbOut.data.filter((_, i) => i % 3 === 0)));
  });

  test('a constant image stays constant at any size, with either filter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.record({
          w: fc.integer({ min: 1, max: 40 }),
          h: fc.integer({ min: 1, max: 40 }),
          ow: fc.integer({ min: 1, max: 60 }),
          oh: fc.integer({ min: 1, max: 60 }),
        }),
        fc.constantFrom<Resample>('bilinear', 'bicubic'),
        (value, { w, h, ow, oh }, resample) => {
          const flat: RawImage<1> = { data: new Uint8Array(w * h).fill(value), width: w, height: h, channels: 1 };
          const out = resizeImageSync(flat, { height: oh, width: ow }, resample);
          return out.data.length === ow * oh && out.data.every((v) => v === value);
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });
});

describe('the native passes equal the TypeScript oracle', () => {
  const arbitraryImage = fc
    .record({
      w: fc.integer({ min: 1, max: 48 }),
      h: fc.integer({ min: 1, max: 48 }),
      channels: fc.constantFrom<1 | 3 | 4>(1, 3, 4),
      seed: fc.integer({ min: 0, max: 1 << 30 }),
    })
    .map(({ w, h, channels, seed }): RawImage => {
      const data = new Uint8Array(w * h * channels);
      let x = seed;
      for (let i = 0; i < data.length; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        data[i] = x >>> 24;
      }
      return { data, width: w, height: h, channels };
    });

  test('random images, sizes and filters: resizeImageSync == reference byte for byte', () => {
    fc.assert(
      fc.property(
        arbitraryImage,
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 64 }),
        fc.constantFrom<Resample>('bilinear', 'bicubic'),
        (image, ow, oh, resample) => {
          const out = resizeImageSync(image, { height: oh, width: ow }, resample);
          expect(Array.from(out.data)).toEqual(Array.from(referenceResize(image, { height: oh, width: ow }, resample)));
        },
      ),
      { seed: 11, numRuns: 150 },
    );
  });

  test('a row wider than one native chunk (1024 bytes) and a strong downscale', () => {
    const image = hashedImage(700, 40, 3);
    for (const size of [{ height: 9, width: 613 }, { height: 40, width: 37 }]) {
      expect(Array.from(resizeImageSync(image, size, 'bicubic').data)).toEqual(Array.from(referenceResize(image, size, 'bicubic')));
    }
  });

  test('resizeImage (off the event loop) resolves to the bytes of resizeImageSync, on a Uint8ClampedArray too', async () => {
    const image = hashedImage(31, 23, 9);
    const clamped: RawImage = { ...image, data: new Uint8ClampedArray(image.data) };
    const size = { height: 12, width: 50 };
    const expected = Array.from(resizeImageSync(image, size, 'bilinear').data);
    const [a, b] = await Promise.all([resizeImage(image, size), resizeImage(clamped, size)]);
    expect(Array.from(a.data)).toEqual(expected);
    expect(Array.from(b.data)).toEqual(expected);
    expect(await resizeImage(image, { height: 23, width: 31 })).toBe(image);
  });
});

describe('resizeImage argument errors', () => {
  const image = hashedImage(4, 3, 1);
  const cases: [string, (resize: typeof resizeImageSync) => unknown, string, string][] = [
    ['size of 0', (resize) => resize(image, { height: 0, width: 4 }), 'size', 'received {"height":0,"width":4}'],
    ['fractional size', (resize) => resize(image, { height: 2.5, width: 4 }), 'size', 'integers from 1 to 16384'],
    ['size missing', (resize) => resize(image, undefined as never), 'size', 'received undefined'],
    ['unknown filter', (resize) => resize(image, { height: 2, width: 2 }, 'lanczos' as Resample), 'resample', "expected one of 'bilinear', 'bicubic'"],
    ['data too short', (resize) => resize({ ...image, data: image.data.subarray(1) }, { height: 2, width: 2 }), 'image', '= 36 bytes, received 35'],
  ];

  test.each(cases)('%s (resizeImageSync throws)', (_name, call, param, message) => {
    let error: unknown;
    try {
      call(resizeImageSync);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ArgumentError);
    expect((error as ArgumentError).param).toBe(param);
    expect((error as ArgumentError).message).toContain(message);
  });

  test.each(cases)('%s (resizeImage rejects)', async (_name, call, param, message) => {
    const error: unknown = await (call(resizeImage as never) as Promise<unknown>).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArgumentError);
    expect((error as ArgumentError).param).toBe(param);
    expect((error as ArgumentError).message).toContain(message);
  });
});

describe('the native resampleAxis rejects what would read or write out of bounds', () => {
  const weights = axisWeights(6, 3, 'bilinear');
  const valid = () => ({
    src: new Uint8Array(2 * 6 * 3), out: new Uint8Array(2 * 3 * 3), outer: 2, inSize: 6, outSize: 3, inner: 3,
    first: weights.first.slice(), taps: weights.taps.slice(), weights: weights.weights.slice(), stride: weights.stride, threads: 0,
  });
  type Args = ReturnType<typeof valid>;

  test('valid arguments run, sync and async', async () => {
    expect(() => native().resampleAxisSync(valid())).not.toThrow();
    await expect(native().resampleAxisAsync(valid())).resolves.toBeUndefined();
  });

  test.each<[string, (a: Args) => void, RegExp]>([
    ['src one byte short', (a) => (a.src = a.src.subarray(1)), /src: expected outer x inSize x inner = 36 elements, received 35/],
    ['out one byte short', (a) => (a.out = a.out.subarray(1)), /out: expected outer x outSize x inner = 18 elements, received 17/],
    ['weights of another stride', (a) => (a.stride += 1), /weights: expected outSize x stride = \d+ elements/],
    ['sizes whose product overflows', (a) => ((a.outer = 2 ** 40), (a.inSize = 2 ** 40)), /src: expected outer x inSize x inner = more than 2\^64 elements/],
    ['a tap past the input', (a) => (a.first[2] = 5), /output index 2 reads inputs 5 to \d+, outside 0 to 5/],
    ['a negative first input', (a) => (a.first[0] = -1), /output index 0 reads inputs -1 to/],
    ['more taps than the stride', (a) => (a.taps[1] = a.stride + 1), /output index 1 has \d+ taps, expected 0 to \d+/],
    ['weights whose sums overflow 32 bits', (a) => (a.weights[0] = 2 ** 30), /magnitudes of its weights sum to \d+, more than 8413280/],
    ['a Float32Array for src', (a) => (a.src = new Float32Array(36) as never), /src: expected a Uint8Array/],
  ])('%s', (_name, corrupt, message) => {
    const args = valid();
    corrupt(args);
    expect(() => native().resampleAxisSync(args)).toThrow(message);
  });
});
