/**
 * The geometry of VideoMAEImageProcessor: resizeOutputSize (transformers'
 * get_resize_output_image_size with default_to_square=False) and centerCrop (transformers'
 * image_transforms.center_crop, zero padding included), checked on worked examples and, for the
 * crop, against a line-by-line port of transformers' pad-then-slice code on random sizes.
 */
import * as fc from 'fast-check';

import type { ImageSize, RawImage } from '../../lib';
import { ArgumentError } from '../../lib';
import { centerCrop, cropOffset } from '../../lib/preprocess/crop';
import { MAX_IMAGE_SIDE, resizeOutputSize } from '../../lib/preprocess/image-config';
import { hashedImage } from './fixtures';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

/**
 * transformers.image_transforms.center_crop, statement by statement, on [C, H, W] planes: the
 * fast path when the crop fits, else a zero canvas of max(crop, image), the image at
 * ceil(difference / 2), sliced from the shifted offsets.
 */
function transformersCenterCrop(image: RawImage, size: ImageSize): RawImage {
  const { width: origWidth, height: origHeight, channels } = image;
  const at = (y: number, x: number, c: number): number => image.data[(y * origWidth + x) * channels + c];
  const pyFloorDiv = (a: number, b: number): number => Math.floor(a / b);
  let top = pyFloorDiv(origHeight - size.height, 2);
  let bottom = top + size.height;
  let left = pyFloorDiv(origWidth - size.width, 2);
  let right = left + size.width;
  let canvas: (y: number, x: number, c: number) => number = at;
  let canvasHeight = origHeight;
  let canvasWidth = origWidth;
  if (!(top >= 0 && bottom <= origHeight && left >= 0 && right <= origWidth)) {
    canvasHeight = Math.max(size.height, origHeight);
    canvasWidth = Math.max(size.width, origWidth);
    const topPad = Math.ceil((canvasHeight - origHeight) / 2);
    const leftPad = Math.ceil((canvasWidth - origWidth) / 2);
    canvas = (y, x, c) => {
      const iy = y - topPad;
      const ix = x - leftPad;
      return iy >= 0 && iy < origHeight && ix >= 0 && ix < origWidth ? at(iy, ix, c) : 0;
    };
    top += topPad;
    bottom += topPad;
    left += leftPad;
    right += leftPad;
  }
  const y0 = Math.max(0, top);
  const x0 = Math.max(0, left);
  const outHeight = Math.min(canvasHeight, bottom) - y0;
  const outWidth = Math.min(canvasWidth, right) - x0;
  const data = new Uint8Array(outHeight * outWidth * channels);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      for (let c = 0; c < channels; c++) data[(y * outWidth + x) * channels + c] = canvas(y + y0, x + x0, c);
    }
  }
  return { data, width: outWidth, height: outHeight, channels };
}

/** A 1-channel image of one row (width n) with bytes 1..n, to read crop offsets off. */
function ramp(n: number): RawImage<1> {
  return { data: Uint8Array.from({ length: n }, (_, i) => i + 1), width: n, height: 1, channels: 1 };
}

describe('resizeOutputSize: { shortest_edge } as get_resize_output_image_size(default_to_square=False)', () => {
  test.each<[string, ImageSize, number, ImageSize]>([
    ['landscape 64x48, truncated (26.7 -> 26)', { width: 64, height: 48 }, 20, { width: 26, height: 20 }],
    ['portrait 48x64', { width: 48, height: 64 }, 20, { width: 20, height: 26 }],
    ['640x480 -> 224 (298.7 -> 298)', { width: 640, height: 480 }, 224, { width: 298, height: 224 }],
    ['5x2 -> 3 (7.5 -> 7, not rounded half up or to even)', { width: 5, height: 2 }, 3, { width: 7, height: 3 }],
    ['exact ratio 48x32 -> 24', { width: 48, height: 32 }, 24, { width: 36, height: 24 }],
    ['square', { width: 50, height: 50 }, 224, { width: 224, height: 224 }],
    ['short side already shortest_edge: unchanged', { width: 301, height: 224 }, 224, { width: 301, height: 224 }],
    ['upscale of a thin strip', { width: 1, height: 7 }, 3, { width: 3, height: 21 }],
  ])('%s', (_name, image, shortestEdge, expected) => {
    expect(resizeOutputSize(image, { shortestEdge })).toEqual(expected);
  });

  test('the long side is trunc(s * long / short) in double precision, like Python int(s * long / short)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 1, max: 512 }), (width, height, s) => {
        fc.pre(Math.trunc((s * Math.max(width, height)) / Math.min(width, height)) <= MAX_IMAGE_SIDE);
        const out = resizeOutputSize({ width, height }, { shortestEdge: s });
        const short = width <= height ? out.width : out.height;
        const long = width <= height ? out.height : out.width;
        expect(short).toBe(s);
        // Exact rational check: long = floor(s * L / S) for positive integers.
        const [S, L] = [Math.min(width, height), Math.max(width, height)];
        expect(long).toBe(Number((BigInt(s) * BigInt(L)) / BigInt(S)));
      }),
    );
  });

  test('{ height, width } is returned as is', () => {
    const size = { height: 30, width: 40 };
    expect(resizeOutputSize({ width: 7, height: 5 }, size)).toBe(size);
  });

  test('a long side past MAX_IMAGE_SIDE is an ArgumentError naming the input', () => {
    const error = thrown(() => resizeOutputSize({ width: 2, height: 400 }, { shortestEdge: 100 }, 'inputs[3]'));
    expect(error).toBeInstanceOf(ArgumentError);
    expect((error as ArgumentError).param).toBe('inputs[3]');
    expect((error as ArgumentError).message).toContain('size.shortest_edge 100 would resize this 2x400 image to 100x20000');
  });
});

describe('centerCrop as transformers center_crop', () => {
  test('odd margins round down: top = (height - crop) // 2, one more row / column left below / right', () => {
    expect(cropOffset(5, 2)).toBe(1);
    expect(cropOffset(20, 15)).toBe(2);
    expect(cropOffset(26, 17)).toBe(4);
    expect(Array.from(centerCrop(ramp(5), { height: 1, width: 2 }).data)).toEqual([2, 3]);
    expect(Array.from(centerCrop(ramp(6), { height: 1, width: 3 }).data)).toEqual([2, 3, 4]);
  });

  test('a crop larger than the image pads with zeros, ceil(difference / 2) before', () => {
    expect(cropOffset(1, 4)).toBe(-2);
    expect(Array.from(centerCrop(ramp(1), { height: 1, width: 4 }).data)).toEqual([0, 0, 1, 0]);
    expect(Array.from(centerCrop(ramp(2), { height: 1, width: 4 }).data)).toEqual([0, 1, 2, 0]);
    const tall = centerCrop(ramp(3), { height: 4, width: 3 });
    expect([tall.width, tall.height]).toEqual([3, 4]);
    expect(Array.from(tall.data)).toEqual([0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0]);
  });

  test('equals the port of transformers on random sizes, crops and channels (fit, pad and mixed)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 1, max: 16 }),
        fc.constantFrom<1 | 3 | 4>(1, 3, 4),
        fc.integer({ min: 0, max: 1000 }),
        (width, height, cropWidth, cropHeight, channels, seed) => {
          const bytes = hashedImage(width * 2, height, seed).data.subarray(0, width * height * channels); // 6 bytes a pixel
          const image: RawImage = { data: bytes, width, height, channels };
          const size = { height: cropHeight, width: cropWidth };
          const out = centerCrop(image, size);
          const expected = transformersCenterCrop(image, size);
          expect([out.width, out.height, out.channels]).toEqual([cropWidth, cropHeight, channels]);
          expect([expected.width, expected.height]).toEqual([cropWidth, cropHeight]);
          expect(Array.from(out.data)).toEqual(Array.from(expected.data));
        },
      ),
      { numRuns: 500 },
    );
  });

  test('the same size returns the image itself; Uint8ClampedArray input works', () => {
    const image = hashedImage(5, 4, 1);
    expect(centerCrop(image, { height: 4, width: 5 })).toBe(image);
    const clamped = { ...image, data: new Uint8ClampedArray(image.data) };
    expect(Array.from(centerCrop(clamped, { height: 2, width: 3 }).data)).toEqual(Array.from(centerCrop(image, { height: 2, width: 3 }).data));
  });

  test.each<[string, () => unknown, string, string]>([
    ['a zero crop', () => centerCrop(ramp(3), { height: 0, width: 2 }), 'size', 'expected { height, width } with integers from 1 to 16384'],
    ['a fractional crop', () => centerCrop(ramp(3), { height: 1, width: 1.5 }), 'size', 'received {"height":1,"width":1.5}'],
    ['no size', () => centerCrop(ramp(3), undefined as unknown as ImageSize), 'size', 'received undefined'],
    ['a bad image', () => centerCrop({ data: new Uint8Array(2), width: 1, height: 1, channels: 3 }, { height: 1, width: 1 }), 'image', '= 3 bytes, received 2'],
  ])('%s', (_name, fn, param, message) => {
    const error = thrown(fn);
    expect(error).toBeInstanceOf(ArgumentError);
    expect((error as ArgumentError).param).toBe(param);
    expect((error as ArgumentError).message).toContain(message);
  });
});
