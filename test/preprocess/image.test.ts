/**
 * preprocessImages end to end against the PIL + numpy reference of ViTImageProcessor and
 * VideoMAEImageProcessor (scripts/fixtures/make_image_fixtures.py): PNG cases within
 * PREPROCESS_BOUNDS.exact (they are bit-identical; the 224 x 224 TimeSformer case by the CRC-32
 * of its float32 bytes), the JPEG case within PREPROCESS_BOUNDS.jpeg; raw pixel inputs, batches,
 * grayscale and RGBA; shortest_edge resizing and center cropping; typed errors naming the input.
 */
import * as fs from 'node:fs';

import type { ImageInput, RawImage } from '../../lib';
import { ArgumentError, FormatError, ImageProcessorConfig, Tensor, decodeImage, loadImage, preprocessImages } from '../../lib';
import type { ReferenceCase } from './fixtures';
import { PREPROCESS_BOUNDS, REFERENCES, expectedValues, fixturePath, float32Crc, maxAbsDiff, referenceCase } from './fixtures';

const isJpeg = (c: ReferenceCase): boolean => c.image.endsWith('.jpg');

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Raw pixels of a fixture with `channels`, from the decoded RGB (gray: channel 0; RGBA: alpha ramp). */
async function rawFixture(name: string, channels: 1 | 3 | 4): Promise<RawImage> {
  const rgb = await decodeImage(fixturePath(name));
  const pixels = rgb.width * rgb.height;
  const data = new Uint8Array(pixels * channels);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < channels; c++) data[p * channels + c] = c < 3 ? rgb.data[p * 3 + (channels === 1 ? 0 : c)] : p % 256;
  }
  return { data, width: rgb.width, height: rgb.height, channels };
}

describe('preprocessImages equals the ViTImageProcessor / VideoMAEImageProcessor reference', () => {
  test.each(REFERENCES.cases.map((c) => [`${c.name}: ${c.covers}`, c] as const))('%s', async (_label, c) => {
    const values = await preprocessImages(fixturePath(c.image), c.config);
    expect(values).toBeInstanceOf(Tensor);
    expect(values.shape).toEqual(c.shape);
    if (c.crc32 !== undefined) {
      expect(isJpeg(c)).toBe(false); // a checksum can only check exact values
      expect(float32Crc(values.data)).toBe(c.crc32);
      return;
    }
    const bound = isJpeg(c) ? PREPROCESS_BOUNDS.jpeg(Math.min(...c.config.image_std)) : PREPROCESS_BOUNDS.exact;
    expect(maxAbsDiff(values.data, expectedValues(c))).toBeLessThanOrEqual(bound);
  });

  test('the cases cover VideoMAE resizing to shortest_edge and center cropping (with padding)', () => {
    const videomae = REFERENCES.cases.filter((c) => c.config.do_center_crop !== undefined);
    expect(videomae.some((c) => c.config.do_center_crop === true && c.config.do_resize === true)).toBe(true);
    expect(videomae.some((c) => c.name.includes('padded'))).toBe(true);
    expect(videomae.some((c) => c.config.do_center_crop === false)).toBe(true);
    expect(videomae.some((c) => c.crc32 !== undefined && c.shape[2] === 224)).toBe(true);
  });

  test('an ImageProcessorConfig and its JSON give the same values', async () => {
    const c = referenceCase('digits-png-37x50');
    const fromJson = await preprocessImages(fixturePath(c.image), c.config);
    const fromConfig = await preprocessImages(fixturePath(c.image), ImageProcessorConfig.fromJson(c.config));
    expect(fromConfig.data).toEqual(fromJson.data);
  });

  test('no config: ViT defaults (224 x 224)', async () => {
    const values = await preprocessImages(fixturePath('digits.png'));
    expect(values.shape).toEqual([1, 3, 224, 224]);
  });
});

describe('raw pixel inputs', () => {
  test.each<[string, string, 1 | 3 | 4]>([
    ['RGB', 'gradient-png-24x24', 3],
    ['RGBA (alpha dropped)', 'gradient-png-24x24', 4],
    ['grayscale (replicated)', 'digits-gray-24x24', 1],
  ])('%s raw pixels give the reference values', async (_name, caseName, channels) => {
    const c = referenceCase(caseName);
    const raw = await rawFixture(c.image, channels);
    const values = await preprocessImages(raw, c.config);
    expect(maxAbsDiff(values.data, expectedValues(c))).toBeLessThanOrEqual(PREPROCESS_BOUNDS.exact);
  });

  test('Uint8ClampedArray data (e.g. canvas ImageData) works like Uint8Array', async () => {
    const c = referenceCase('gradient-png-24x24');
    const raw = await rawFixture(c.image, 4);
    const values = await preprocessImages({ ...raw, data: new Uint8ClampedArray(raw.data) }, c.config);
    expect(maxAbsDiff(values.data, expectedValues(c))).toBeLessThanOrEqual(PREPROCESS_BOUNDS.exact);
  });

  test('loadImage converts raw pixels and decodes files to RGB', async () => {
    const gray = await rawFixture('digits-gray.png', 1);
    const fromRaw = await loadImage(gray);
    const fromFile = await loadImage(fixturePath('digits-gray.png'));
    expect(fromRaw.channels).toBe(3);
    expect(Array.from(fromRaw.data)).toEqual(Array.from(fromFile.data));
  });
});

describe('batches', () => {
  const PNG_CASES = ['gradient-png-24x24', 'gradient-rgba-24x24', 'digits-gray-24x24'].map(referenceCase);
  const config = PNG_CASES[0].config;

  test('a path, a Buffer and raw pixels in one batch: [3, 3, 24, 24], each image its reference', async () => {
    const inputs: ImageInput[] = [
      fixturePath(PNG_CASES[0].image),
      fs.readFileSync(fixturePath(PNG_CASES[1].image)),
      await rawFixture(PNG_CASES[2].image, 1),
    ];
    const values = await preprocessImages(inputs, config);
    expect(values.shape).toEqual([3, 3, 24, 24]);
    const plane = 3 * 24 * 24;
    PNG_CASES.forEach((c, b) => {
      expect(maxAbsDiff(values.data.subarray(b * plane, (b + 1) * plane), expectedValues(c))).toBeLessThanOrEqual(PREPROCESS_BOUNDS.exact);
    });
  });

  test('a batch of one equals the single input', async () => {
    const single = await preprocessImages(fixturePath('digits.png'), config);
    const batch = await preprocessImages([fixturePath('digits.png')], config);
    expect(batch.shape).toEqual([1, 3, 24, 24]);
    expect(batch.data).toEqual(single.data);
  });

  test('do_resize false keeps each image its size; the images must share it', async () => {
    const noResize = { ...config, do_resize: false };
    const same = await preprocessImages([fixturePath('gradient.png'), fixturePath('gradient-rgba.png')], noResize);
    expect(same.shape).toEqual([2, 3, 48, 64]);
    const error = await rejection(preprocessImages([fixturePath('gradient.png'), fixturePath('digits.png')], noResize));
    expect(error).toBeInstanceOf(ArgumentError);
    expect((error as ArgumentError).param).toBe('inputs[1]');
    expect((error as ArgumentError).message).toContain('expected 64x48 like inputs[0]');
    expect((error as ArgumentError).message).toContain('received 48x32');
  });

  test('do_rescale / do_normalize off: the raw bytes as float32', async () => {
    const values = await preprocessImages(await rawFixture('digits.png', 3), { do_resize: false, do_rescale: false, do_normalize: false });
    const rgb = await decodeImage(fixturePath('digits.png'));
    expect(values.data[0]).toBe(rgb.data[0]);
    expect(values.data[rgb.width * rgb.height]).toBe(rgb.data[1]); // channel-first: G plane
  });
});

describe('VideoMAE / TimeSformer preprocessing: resize to shortest_edge, then center crop', () => {
  const crop = referenceCase('gradient-png-se20-crop17x15');

  test('a batch of different sizes and aspect ratios comes out crop_size; each image its own result', async () => {
    const values = await preprocessImages([fixturePath('gradient.png'), fixturePath('digits.png'), await rawFixture('gradient.png', 4)], crop.config);
    expect(values.shape).toEqual([3, 3, 15, 17]);
    const plane = 3 * 15 * 17;
    const digits = await preprocessImages(fixturePath('digits.png'), crop.config);
    expect(values.data.subarray(0, plane)).toEqual(expectedValues(crop));
    expect(values.data.subarray(plane, 2 * plane)).toEqual(digits.data);
    expect(values.data.subarray(2 * plane)).toEqual(expectedValues(crop));
  });

  test('an ImageProcessorConfig and its JSON give the same values', async () => {
    const c = referenceCase('gradient-png-se20-crop23x25-padded');
    const fromConfig = await preprocessImages(fixturePath(c.image), ImageProcessorConfig.fromJson(c.config));
    expect(maxAbsDiff(fromConfig.data, expectedValues(c))).toBe(PREPROCESS_BOUNDS.exact);
  });

  test('padding is black: the zero rows normalize to (0 - mean) / std', async () => {
    const c = referenceCase('gradient-png-se20-crop23x25-padded');
    const values = await preprocessImages(fixturePath(c.image), c.config);
    const black = Math.fround(Math.fround(0 - Math.fround(0.45)) / Math.fround(0.225));
    const row = (channel: number, y: number): number[] => Array.from(values.data.subarray((channel * 25 + y) * 23, (channel * 25 + y + 1) * 23));
    for (const y of [0, 1, 2, 23, 24]) expect(new Set(row(1, y))).toEqual(new Set([black]));
    expect(new Set(row(1, 3)).size).toBeGreaterThan(1);
  });

  test('shortest_edge without a crop: images of one aspect ratio batch; others are an ArgumentError', async () => {
    const c = referenceCase('gradient-png-se20-no-crop');
    const same = await preprocessImages([fixturePath('gradient.png'), fixturePath('gradient-rgba.png')], c.config);
    expect(same.shape).toEqual([2, 3, 20, 26]);
    const error = await rejection(preprocessImages([fixturePath('gradient.png'), fixturePath('digits.png')], c.config));
    expect(error).toBeInstanceOf(ArgumentError);
    expect((error as ArgumentError).param).toBe('inputs[1]');
    expect((error as ArgumentError).message).toContain('expected 26x20 like inputs[0]');
    expect((error as ArgumentError).message).toContain("size.shortest_edge keeps each image's aspect ratio");
    expect((error as ArgumentError).message).toContain('received 30x20');
  });

  test('a shortest_edge resize past MAX_IMAGE_SIDE: ArgumentError naming the input', async () => {
    const strip: RawImage = { data: new Uint8Array(200 * 3), width: 200, height: 1, channels: 3 };
    const config = { size: { shortest_edge: 100 }, do_center_crop: true, crop_size: 8 };
    const single = await rejection(preprocessImages(strip, config));
    expect(single).toBeInstanceOf(ArgumentError);
    expect((single as ArgumentError).param).toBe('inputs');
    expect((single as ArgumentError).message).toContain('size.shortest_edge 100 would resize this 200x1 image to 20000x100');
    const batch = await rejection(preprocessImages([fixturePath('digits.png'), strip], config));
    expect((batch as ArgumentError).param).toBe('inputs[1]');
  });

  test('ViT configs are unchanged: a fixed size and no crop unless asked', async () => {
    const c = referenceCase('digits-png-37x50');
    expect(c.config.do_center_crop).toBeUndefined();
    const cropped = await preprocessImages(fixturePath(c.image), { ...c.config, do_center_crop: true, crop_size: { height: 37, width: 50 } });
    expect(maxAbsDiff(cropped.data, expectedValues(c))).toBe(PREPROCESS_BOUNDS.exact);
  });
});

describe('preprocessImages errors', () => {
  const good = fixturePath('digits.png');
  const raw: RawImage = { data: new Uint8Array(12), width: 2, height: 2, channels: 3 };

  test.each<[string, unknown, string, string]>([
    ['an empty batch', [], 'inputs', 'expected at least one image'],
    ['a number', [good, 7], 'inputs[1]', 'expected a file path, a Buffer / Uint8Array of an encoded image, or a raw image'],
    ['null', [null], 'inputs[0]', 'received null'],
    ['an ArrayBuffer', [good, good, new ArrayBuffer(4)], 'inputs[2]', 'received ArrayBuffer'],
    ['an empty path', [good, ''], 'inputs[1]', 'received an empty path'],
    ['an empty Buffer', Buffer.alloc(0), 'inputs', 'received an empty Uint8Array'],
    [
      'raw data too short',
      [good, { ...raw, data: new Uint8Array(11) }],
      'inputs[1]',
      'expected data of width * height * channels = 2 * 2 * 3 = 12 bytes, received 11',
    ],
    ['raw data too long', [{ ...raw, data: new Uint8Array(13) }], 'inputs[0]', '= 12 bytes, received 13'],
    ['raw channels 2', [{ ...raw, channels: 2 }], 'inputs[0]', 'expected channels to be 1, 3 or 4, received 2'],
    ['raw width 0', [{ ...raw, width: 0 }], 'inputs[0]', 'expected width to be a positive integer, received 0'],
    ['raw data a plain array', [{ ...raw, data: [1, 2, 3] }], 'inputs[0]', 'expected data to be a Uint8Array or Uint8ClampedArray, received [1,2,3]'],
    ['raw data a Float32Array', [{ ...raw, data: new Float32Array(12) }], 'inputs[0]', 'received Float32Array(12)'],
  ])('%s: ArgumentError naming %s', async (_name, inputs, param, message) => {
    const error = await rejection(preprocessImages(inputs as ImageInput[]));
    expect(error).toBeInstanceOf(ArgumentError);
    expect((error as ArgumentError).param).toBe(param);
    expect((error as ArgumentError).message).toContain(message);
  });

  test('a bad config field: ArgumentError naming the field, before any decoding', async () => {
    const error = await rejection(preprocessImages(good, { image_std: [1, 1, 0] }));
    expect(error).toBeInstanceOf(ArgumentError);
    expect((error as ArgumentError).param).toBe('image_std[2]');
  });

  test('a missing file in a batch: FormatError naming it', async () => {
    const missing = fixturePath('no-such-image.png');
    const error = await rejection(preprocessImages([good, missing]));
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).file).toBe(missing);
  });

  test('garbage bytes in a batch: FormatError naming the buffer and its index', async () => {
    const error = await rejection(preprocessImages([good, Buffer.from('GIF89a but not really')]));
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).file).toBe('<buffer inputs[1]>');
  });

  test('never throws synchronously: errors arrive as rejections', () => {
    const pending = preprocessImages(42 as unknown as ImageInput);
    expect(pending).toBeInstanceOf(Promise);
    return expect(pending).rejects.toBeInstanceOf(ArgumentError);
  });
});
