/**
 * resizeImage against Pillow 9.4's Image.resize: byte-identical output for BILINEAR and BICUBIC,
 * up- and downscaling (a sweep of hashed images over many sizes, compared by CRC-32), and on the
 * PIL-decoded pixels of a JPEG fixture through rescale + normalize (apart from any decoder).
 */
import * as fc from 'fast-check';

import type { RawImage, Resample } from '../../lib';
import { ArgumentError, rescaleAndNormalize, resizeImage } from '../../lib';
import { crc32 } from '../../lib/io/png';
import type { SweepEntry } from './fixtures';
import { PREPROCESS_BOUNDS, REFERENCES, expectedValues, fixedSize, hashedImage, maxAbsDiff, pilPixels, referenceCase } from './fixtures';

const FILTER_NAMES: Record<SweepEntry['resample'], Resample> = { 2: 'bilinear', 3: 'bicubic' };

function sweepLabel(e: SweepEntry): string {
  return `${e.source.width}x${e.source.height} -> ${e.width}x${e.height} ${FILTER_NAMES[e.resample]}`;
}

describe('resizeImage equals PIL Image.resize byte for byte', () => {
  test.each(REFERENCES.resizeSweep.map((e) => [sweepLabel(e), e] as const))('%s', (_label, e) => {
    const source = hashedImage(e.source.width, e.source.height, e.source.seed);
    const out = resizeImage(source, { height: e.height, width: e.width }, FILTER_NAMES[e.resample]);
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
    const resized = resizeImage(pilPixels(c.image), fixedSize(c), 'bilinear');
    const values = rescaleAndNormalize(resized, c.config);
    expect(values.shape).toEqual(c.shape.slice(1));
    expect(maxAbsDiff(values.data, expectedValues(c))).toBeLessThanOrEqual(PREPROCESS_BOUNDS.exact);
  });
});

describe('resizeImage properties', () => {
  const image = hashedImage(9, 7, 5);

  test('an unchanged size returns the image itself', () => {
    expect(resizeImage(image, { height: 7, width: 9 })).toBe(image);
  });

  test('only the changed axis is resampled: rows stay rows when only the width changes', () => {
    const out = resizeImage(image, { height: 7, width: 4 });
    const row = (img: RawImage, y: number): RawImage => {
      const data = img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3);
      return { data, width: img.width, height: 1, channels: 3 };
    };
    for (let y = 0; y < 7; y++) expect(resizeImage(row(image, y), { height: 1, width: 4 }).data).toEqual(row(out, y).data);
  });

  test('channels are resized independently: grayscale equals the first channel of its RGB source', () => {
    const gray: RawImage<1> = { data: image.data.filter((_, i) => i % 3 === 0), width: 9, height: 7, channels: 1 };
    const rgbOut = resizeImage(image, { height: 4, width: 13 }, 'bicubic');
    const grayOut = resizeImage(gray, { height: 4, width: 13 }, 'bicubic');
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
          const out = resizeImage(flat, { height: oh, width: ow }, resample);
          return out.data.length === ow * oh && out.data.every((v) => v === value);
        },
      ),
      { seed: 7, numRuns: 200 },
    );
  });
});

describe('resizeImage argument errors', () => {
  const image = hashedImage(4, 3, 1);
  test.each([
    ['size of 0', () => resizeImage(image, { height: 0, width: 4 }), 'size', 'received {"height":0,"width":4}'],
    ['fractional size', () => resizeImage(image, { height: 2.5, width: 4 }), 'size', 'integers from 1 to 16384'],
    ['size missing', () => resizeImage(image, undefined as never), 'size', 'received undefined'],
    ['unknown filter', () => resizeImage(image, { height: 2, width: 2 }, 'lanczos' as Resample), 'resample', "expected one of 'bilinear', 'bicubic'"],
    ['data too short', () => resizeImage({ ...image, data: image.data.subarray(1) }, { height: 2, width: 2 }), 'image', '= 36 bytes, received 35'],
  ])('%s', (_name, call, param, message) => {
    let error: unknown;
    try {
      call();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ArgumentError);
    expect((error as ArgumentError).param).toBe(param);
    expect((error as ArgumentError).message).toContain(message);
  });
});
