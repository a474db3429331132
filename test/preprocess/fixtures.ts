/**
 * The image fixtures of test/fixtures/images (made by scripts/fixtures/make_image_fixtures.py
 * with Pillow 9.4 + numpy, following transformers' load_image + ViTImageProcessor or
 * VideoMAEImageProcessor) and the bounds the preprocessing tests hold them to.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { ImageSize, PreprocessorConfigJson, RgbImage } from '../../lib';
import { crc32 } from '../../lib/io/png';

export const IMAGES_DIR = path.join(__dirname, '..', 'fixtures', 'images');

export { PREPROCESS_BOUNDS } from '../tolerance';

export interface ReferenceCase {
  readonly name: string;
  readonly image: string;
  readonly covers: string;
  readonly config: PreprocessorConfigJson & { readonly image_std: number[] };
  /** A file of little-endian float32 pixel values [1, 3, H, W] (absent when crc32 is given). */
  readonly expected?: string;
  /** For a large output: the CRC-32 of its little-endian float32 pixel values instead. */
  readonly crc32?: number;
  readonly shape: number[];
}

export interface DecodedReference {
  readonly width: number;
  readonly height: number;
  /** CRC-32 of PIL's RGB bytes [height, width, 3]. */
  readonly crc32: number;
  /** A file holding those bytes, for images whose decoders may differ (JPEG). */
  readonly pixels?: string;
}

export interface SweepEntry {
  readonly source: { readonly width: number; readonly height: number; readonly seed: number };
  readonly width: number;
  readonly height: number;
  /** PIL filter number: 2 = BILINEAR, 3 = BICUBIC. */
  readonly resample: 2 | 3;
  /** CRC-32 of PIL's resized RGB bytes. */
  readonly crc32: number;
}

export interface References {
  readonly cases: ReferenceCase[];
  readonly decoded: Readonly<Record<string, DecodedReference>>;
  readonly resizeSweep: SweepEntry[];
}

export const REFERENCES = JSON.parse(fs.readFileSync(path.join(IMAGES_DIR, 'references.json'), 'utf8')) as References;

export function fixturePath(name: string): string {
  return path.join(IMAGES_DIR, name);
}

export function referenceCase(name: string): ReferenceCase {
  const found = REFERENCES.cases.find((c) => c.name === name);
  if (!found) throw new Error(`no reference case ${name} in references.json`);
  return found;
}

/** Reads a little-endian float32 file. */
export function readFloat32(name: string): Float32Array {
  const bytes = fs.readFileSync(fixturePath(name));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return Float32Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

/** The expected pixel values of a case that stores them (see ReferenceCase.expected). */
export function expectedValues(c: ReferenceCase): Float32Array {
  if (c.expected === undefined) throw new Error(`reference case ${c.name} stores a CRC-32, not its values`);
  return readFloat32(c.expected);
}

/** The CRC-32 of float32 values as little-endian bytes (what ReferenceCase.crc32 holds). */
export function float32Crc(values: Float32Array): number {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((x, i) => view.setFloat32(i * 4, x, true));
  return crc32(bytes);
}

/** The fixed { height, width } a ViTImageProcessor case resizes to. */
export function fixedSize(c: ReferenceCase): ImageSize {
  const { size } = c.config;
  if (typeof size !== 'object' || size === null || size.height === undefined || size.width === undefined) {
    throw new Error(`reference case ${c.name} does not resize to a fixed { height, width }`);
  }
  return { height: size.height, width: size.width };
}

/** PIL's decoded RGB pixels of an image whose reference stores them (see DecodedReference.pixels). */
export function pilPixels(image: string): RgbImage {
  const ref = REFERENCES.decoded[image];
  if (!ref.pixels) throw new Error(`references.json stores no decoded pixels for ${image}`);
  return { data: new Uint8Array(fs.readFileSync(fixturePath(ref.pixels))), width: ref.width, height: ref.height, channels: 3 };
}

/**
 * The resize sweep's source image, as make_image_fixtures.py's hashed_image makes it: byte i of
 * [height, width, 3] is the top 8 bits of (i + 1 + 7919 * seed) * 0x9E3779B1 mod 2^32.
 */
export function hashedImage(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.imul(i + 1 + seed * 7919, 0x9e3779b1) >>> 24;
  return { data, width, height, channels: 3 };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} differs from ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
