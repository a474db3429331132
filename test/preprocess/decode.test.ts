/**
 * decodeImage (sharp) against transformers' load_image (PIL: open -> exif_transpose ->
 * convert("RGB")): identical bytes for PNG (RGB, RGBA, grayscale, EXIF-oriented), within
 * PREPROCESS_BOUNDS.jpegLevels for JPEG; FormatError / ArgumentError for bad inputs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { RgbImage } from '../../lib';
import { ArgumentError, FormatError, decodeImage } from '../../lib';
import { crc32 } from '../../lib/io/png';
import { PREPROCESS_BOUNDS, REFERENCES, fixturePath, maxAbsDiff, pilPixels } from './fixtures';

const LOSSLESS = Object.keys(REFERENCES.decoded).filter((name) => name.endsWith('.png'));

function expectPilBytes(image: RgbImage, name: string): void {
  const ref = REFERENCES.decoded[name];
  expect([image.width, image.height, image.channels]).toEqual([ref.width, ref.height, 3]);
  expect(crc32(new Uint8Array(image.data))).toBe(ref.crc32);
}

describe('decodeImage equals PIL load_image', () => {
  test.each(LOSSLESS)('%s from a path: the same bytes', async (name) => {
    expectPilBytes(await decodeImage(fixturePath(name)), name);
  });

  test.each(LOSSLESS)('%s from a Buffer: the same bytes', async (name) => {
    expectPilBytes(await decodeImage(fs.readFileSync(fixturePath(name))), name);
  });

  test(`gradient.jpg: within ${PREPROCESS_BOUNDS.jpegLevels} levels of PIL's decoder`, async () => {
    const decoded = await decodeImage(fixturePath('gradient.jpg'));
    const pil = pilPixels('gradient.jpg');
    expect([decoded.width, decoded.height]).toEqual([pil.width, pil.height]);
    expect(maxAbsDiff(decoded.data, pil.data)).toBeLessThanOrEqual(PREPROCESS_BOUNDS.jpegLevels);
  });

  test('a plain Uint8Array works like a Buffer', async () => {
    const bytes = new Uint8Array(fs.readFileSync(fixturePath('digits.png')));
    expectPilBytes(await decodeImage(bytes), 'digits.png');
  });
});

describe('EXIF orientation', () => {
  // orient.png stores 12x8 pixels with Orientation 6: shown rotated 90 degrees clockwise (8x12).
  test('applied by default, as load_image does; autoOrient: false keeps the stored pixels', async () => {
    const shown = await decodeImage(fixturePath('orient.png'));
    const stored = await decodeImage(fixturePath('orient.png'), { autoOrient: false });
    expect([shown.width, shown.height, stored.width, stored.height]).toEqual([8, 12, 12, 8]);
    const pixel = (image: RgbImage, x: number, y: number): number[] => {
      const at = (y * image.width + x) * 3;
      return Array.from(image.data.subarray(at, at + 3));
    };
    for (let y = 0; y < shown.height; y++) {
      for (let x = 0; x < shown.width; x++) expect(pixel(shown, x, y)).toEqual(pixel(stored, y, stored.height - 1 - x));
    }
  });
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('decodeImage errors', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-decode-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a missing file: FormatError naming the file, with the decoder reason', async () => {
    const missing = path.join(dir, 'missing.png');
    const error = await rejection(decodeImage(missing));
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).file).toBe(missing);
    expect((error as FormatError).message).toMatch(/missing/i);
  });

  test('garbage bytes: FormatError naming <buffer>', async () => {
    const error = await rejection(decodeImage(Buffer.from('this is not an image at all')));
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).file).toBe('<buffer>');
    expect((error as FormatError).message).toMatch(/unsupported image format/i);
  });

  test('a file that is not an image: FormatError naming it', async () => {
    const text = path.join(dir, 'notes.jpg');
    fs.writeFileSync(text, 'plain text with a .jpg name');
    const error = await rejection(decodeImage(text));
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).file).toBe(text);
  });

  test('a truncated PNG: FormatError', async () => {
    const png = fs.readFileSync(fixturePath('gradient.png'));
    const error = await rejection(decodeImage(png.subarray(0, Math.floor(png.length / 2))));
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).file).toBe('<buffer>');
  });

  test('more pixels than maxInputPixels: refused before decoding, the limit in the message', async () => {
    const error = await rejection(decodeImage(fixturePath('gradient.png'), { maxInputPixels: 64 * 48 - 1 }));
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).message).toContain('maxInputPixels = 3071');
    await expect(decodeImage(fixturePath('gradient.png'), { maxInputPixels: 64 * 48 })).resolves.toMatchObject({ width: 64 });
  });

  test.each<[string, unknown, unknown, string, string]>([
    ['an empty path', '', undefined, 'input', 'received ""'],
    ['an empty Buffer', Buffer.alloc(0), undefined, 'input', 'received Buffer(0)'],
    ['a number', 42, undefined, 'input', 'received 42'],
    ['an ArrayBuffer', new ArrayBuffer(8), undefined, 'input', 'received ArrayBuffer'],
    ['autoOrient not a boolean', fixturePath('digits.png'), { autoOrient: 'no' }, 'options.autoOrient', 'received "no"'],
    ['maxInputPixels of 0', fixturePath('digits.png'), { maxInputPixels: 0 }, 'options.maxInputPixels', 'expected a positive integer'],
  ])('%s: ArgumentError', async (_name, input, options, param, message) => {
    const error = await rejection(decodeImage(input as string, options as never));
    expect(error).toBeInstanceOf(ArgumentError);
    expect((error as ArgumentError).param).toBe(param);
    expect((error as ArgumentError).message).toContain(message);
  });
});
