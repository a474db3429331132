/**
 * Raw 8-bit images: interleaved (HWC) bytes, and their conversion to RGB with PIL's
 * Image.convert("RGB") semantics (what transformers' load_image applies to every image).
 */
import { ArgumentError } from '../errors';
import { describeValue } from './describe';

/** Channels of a raw image: 1 = grayscale, 3 = RGB, 4 = RGBA. */
export type Channels = 1 | 3 | 4;

/**
 * An interleaved 8-bit image, rows top to bottom: data [height, width, channels], so channel c of
 * pixel (x, y) is data[(y * width + x) * channels + c].
 */
export interface RawImage<C extends Channels = Channels> {
  readonly data: Uint8Array | Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
  readonly channels: C;
}

/** An RGB image: data [height, width, 3]. */
export type RgbImage = RawImage<3>;

const CHANNELS: readonly number[] = [1, 3, 4];

function checkDimension(name: string, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ArgumentError(name, `expected ${field} to be a positive integer, received ${describeValue(value)}`);
  }
  return value;
}

/**
 * Checks a raw image argument: Uint8Array or Uint8ClampedArray data of exactly
 * width * height * channels bytes, positive integer width and height, channels 1, 3 or 4.
 */
export function checkRawImage(name: string, image: unknown): RawImage {
  if (typeof image !== 'object' || image === null) {
    throw new ArgumentError(name, `expected a raw image { data, width, height, channels }, received ${describeValue(image)}`);
  }
  const { data, width, height, channels } = image as Partial<Record<keyof RawImage, unknown>>;
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray)) {
    throw new ArgumentError(name, `expected data to be a Uint8Array or Uint8ClampedArray, received ${describeValue(data)}`);
  }
  const w = checkDimension(name, 'width', width);
  const h = checkDimension(name, 'height', height);
  if (typeof channels !== 'number' || !CHANNELS.includes(channels)) {
    throw new ArgumentError(name, `expected channels to be 1, 3 or 4, received ${describeValue(channels)}`);
  }
  const expected = w * h * channels;
  if (data.length !== expected) {
    throw new ArgumentError(
      name,
      `expected data of width * height * channels = ${w} * ${h} * ${channels} = ${expected} bytes, received ${data.length}`,
    );
  }
  return { data, width: w, height: h, channels: channels as Channels };
}

/**
 * PIL's convert("RGB"): RGB is returned as is, grayscale is replicated into R, G and B, and RGBA
 * loses its alpha channel without compositing (the stored colour of a transparent pixel is kept).
 */
export function toRgb(image: RawImage): RgbImage {
  if (image.channels === 3) return image as RgbImage;
  const pixels = image.width * image.height;
  const rgb = new Uint8Array(pixels * 3);
  const src = image.data;
  const step = image.channels;
  for (let p = 0; p < pixels; p++) {
    const s = p * step;
    rgb[p * 3] = src[s];
    rgb[p * 3 + 1] = src[step === 1 ? s : s + 1];
    rgb[p * 3 + 2] = src[step === 1 ? s : s + 2];
  }
  return { data: rgb, width: image.width, height: image.height, channels: 3 };
}
