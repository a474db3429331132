/**
 * The TypeScript oracle for the native resampling passes (native/kernels/cpu/resample.cpp): PIL's
 * fixed-point convolution along one axis, written out directly, and a whole resize (width pass,
 * then height pass) with lib's weights (axisWeights, checked against Pillow by the CRC sweep).
 */
import type { ImageSize, RawImage, Resample } from '../../lib';
import type { AxisWeights } from '../../lib/preprocess/resize';
import { PRECISION_BITS, axisWeights } from '../../lib/preprocess/resize';

const HALF = 2 ** (PRECISION_BITS - 1);

/** A fixed-point sum back to a byte: floor(sum / 2^22) clamped to 0..255. */
function toByte(sum: number): number {
  const value = sum >> PRECISION_BITS;
  return value < 0 ? 0 : value > 255 ? 255 : value;
}

/** src viewed as [outer, inSize, inner] -> [outer, outSize, inner] along the middle axis. */
export function referenceResampleAxis(src: Uint8Array, outer: number, inSize: number, inner: number, axis: AxisWeights): Uint8Array {
  const { first, taps, weights, stride } = axis;
  const outSize = first.length;
  const out = new Uint8Array(outer * outSize * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < outSize; i++) {
      for (let k = 0; k < inner; k++) {
        let sum = HALF;
        for (let t = 0; t < taps[i]; t++) sum += src[(o * inSize + first[i] + t) * inner + k] * weights[i * stride + t];
        out[(o * outSize + i) * inner + k] = toByte(sum);
      }
    }
  }
  return out;
}

/** [height, width, C] -> [size.height, size.width, C] bytes, like PIL's Image.resize. */
export function referenceResize(image: RawImage, size: ImageSize, resample: Resample): Uint8Array {
  const { width, height, channels } = image;
  let data: Uint8Array = new Uint8Array(image.data);
  if (size.width !== width) data = referenceResampleAxis(data, height, width, channels, axisWeights(width, size.width, resample));
  if (size.height !== height) {
    data = referenceResampleAxis(data, 1, height, size.width * channels, axisWeights(height, size.height, resample));
  }
  return data;
}
