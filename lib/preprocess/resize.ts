/**
 * Resizing of 8-bit images with the arithmetic of PIL's Image.resize (Pillow's
 * libImaging/Resample.c) for the BILINEAR and BICUBIC filters, so that the bytes equal PIL's.
 *
 * A separable convolution: one pass along the width (skipped when the width is unchanged), then
 * one along the height (skipped likewise), each channel on its own. For output index i along an
 * axis of inSize -> outSize, with scale = inSize / outSize and filterScale = max(scale, 1):
 *   center  = (i + 0.5) * scale
 *   support = filter.support * filterScale          (wider when downscaling: antialiasing)
 *   inputs  j from max(trunc(center - support + 0.5), 0) to min(trunc(center + support + 0.5), inSize) - 1
 *   weight  filter((j - center + 0.5) / filterScale), normalized to sum to 1, then rounded to a
 *           fixed-point integer with 22 fraction bits (half away from zero)
 *   output  clamp(floor((2^21 + sum of input * weight) / 2^22), 0, 255): uint8 after each pass
 * The double-precision steps are evaluated in the same order as PIL's C code, so the weights
 * and therefore the output bytes are identical (checked against Pillow 9.4 in the tests).
 * The weights are computed here; the passes run in the native addon (resampleAxis,
 * native/kernels/cpu/resample.cpp) on the shared thread pool, off the event loop for
 * resizeImage. test/reference/resize.ts holds the same passes in TypeScript, the oracle.
 */
import { ArgumentError } from '../errors';
import type { NativeResampleArgs } from '../native';
import { native } from '../native';
import { callAsync, callSync } from '../ops/call';
import { checkOneOf } from '../ops/validate';
import { describeValue } from './describe';
import type { ImageSize, Resample } from './image-config';
import { MAX_IMAGE_SIDE } from './image-config';
import type { Channels, RawImage } from './raw-image';
import { checkRawImage } from './raw-image';

interface Filter {
  /** Half-width of the kernel in input pixels at scale 1. */
  readonly support: number;
  readonly weight: (x: number) => number;
}

/** Triangle filter: 1 - |x| on |x| < 1. */
function triangle(x: number): number {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

/** Keys' cubic convolution kernel with a = -0.5 (PIL's BICUBIC), written as PIL evaluates it. */
function keysCubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

const FILTERS: Readonly<Record<Resample, Filter>> = {
  bilinear: { support: 1, weight: triangle },
  bicubic: { support: 2, weight: keysCubic },
};

/** Fraction bits of the fixed-point weights: 32 bits less 8 for the pixel and 2 of headroom. */
export const PRECISION_BITS = 22;
const ONE = 2 ** PRECISION_BITS;

/** The taps of one axis: output index i reads taps[i] inputs from first[i] with weights[i * stride + t]. */
export interface AxisWeights {
  readonly first: Int32Array;
  readonly taps: Int32Array;
  /** Fixed-point weights: [outSize, stride]. */
  readonly weights: Int32Array;
  readonly stride: number;
}

/** Rounds a weight to fixed point, half away from zero (PIL's normalize_coeffs_8bpc). */
function toFixedPoint(weight: number): number {
  return weight < 0 ? Math.trunc(-0.5 + weight * ONE) : Math.trunc(0.5 + weight * ONE);
}

/** The weights for resampling an axis of inSize pixels to outSize pixels (PIL's precompute_coeffs). */
export function axisWeights(inSize: number, outSize: number, resample: Resample): AxisWeights {
  const filter = FILTERS[resample];
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const stride = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const taps = new Int32Array(outSize);
  const weights = new Int32Array(outSize * stride);
  const exact = new Float64Array(stride);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const count = Math.min(Math.trunc(center + support + 0.5), inSize) - lo;
    let total = 0;
    for (let t = 0; t < count; t++) {
      exact[t] = filter.weight((t + lo - center + 0.5) * (1 / filterScale));
      total += exact[t];
    }
    for (let t = 0; t < count; t++) {
      weights[i * stride + t] = toFixedPoint(total !== 0 ? exact[t] / total : exact[t]);
    }
    first[i] = lo;
    taps[i] = count;
  }
  return { first, taps, weights, stride };
}

/** An output size argument: { height, width } with integers from 1 to MAX_IMAGE_SIDE. */
export function checkSize(size: unknown): ImageSize {
  const { height, width } = (typeof size === 'object' && size !== null ? size : {}) as Partial<Record<keyof ImageSize, unknown>>;
  const isSide = (x: unknown): boolean => typeof x === 'number' && Number.isSafeInteger(x) && x >= 1 && x <= MAX_IMAGE_SIDE;
  if (!isSide(height) || !isSide(width)) {
    throw new ArgumentError(
      'size',
      `expected { height, width } with integers from 1 to ${MAX_IMAGE_SIDE}, received ${describeValue(size)}`,
    );
  }
  return size as ImageSize;
}

/** The native passes that resize `image` to `size` (width, then height; none when unchanged) and the image they fill. */
function planResize<C extends Channels>(
  image: RawImage<C>,
  size: ImageSize,
  resample: Resample,
): { steps: NativeResampleArgs[]; out: RawImage<C> } {
  const { width, height, channels } = checkRawImage('image', image);
  const target = checkSize(size);
  const filter = checkOneOf<Resample>('resample', resample, ['bilinear', 'bicubic']);
  const steps: NativeResampleArgs[] = [];
  let data = new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.length);
  const pass = (outer: number, inSize: number, outSize: number, inner: number): void => {
    const out = new Uint8Array(outer * outSize * inner);
    steps.push({ src: data, out, outer, inSize, outSize, inner, ...axisWeights(inSize, outSize, filter), threads: 0 });
    data = out;
  };
  if (target.width !== width) pass(height, width, target.width, channels);
  if (target.height !== height) pass(1, height, target.height, target.width * channels);
  const out = steps.length === 0 ? image : { data, width: target.width, height: target.height, channels: image.channels };
  return { steps, out };
}

/**
 * Resizes an 8-bit image to `size` like PIL's Image.resize((width, height), resample):
 * [height, width, C] -> [size.height, size.width, C], off the event loop (the image's bytes stay
 * referenced until the promise settles). Resolves to `image` itself when the size is unchanged
 * (PIL returns an identical copy). Rejects with an ArgumentError for a bad image, size or filter.
 */
export async function resizeImage<C extends Channels>(image: RawImage<C>, size: ImageSize, resample: Resample = 'bilinear'): Promise<RawImage<C>> {
  const { steps, out } = planResize(image, size, resample);
  if (steps.length > 0) {
    await callAsync((s) => native().runSequence(s), steps.map((args) => ({ op: 'resampleAxis', args })));
  }
  return out;
}

/** resizeImage on the calling thread (blocks it: a 12-megapixel photo takes tens of milliseconds). */
export function resizeImageSync<C extends Channels>(image: RawImage<C>, size: ImageSize, resample: Resample = 'bilinear'): RawImage<C> {
  const { steps, out } = planResize(image, size, resample);
  for (const step of steps) callSync((a) => native().resampleAxisSync(a), step);
  return out;
}
