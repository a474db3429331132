/**
 * Rescale and normalize, with the float32 rounding of Hugging Face's image_transforms:
 *   rescale    x = float32(float64(byte) * rescale_factor)       (rescale upcasts, then downcasts)
 *   normalize  y = float32(float32(x - float32(mean[c])) / float32(std[c]))   (all in float32)
 * Without do_rescale, x is the byte as float32; without do_normalize, y = x. Each output depends
 * only on the channel and the byte, so it is read from a 3 x 256 table of exactly these values.
 */
import { ArgumentError } from '../errors';
import { Tensor } from '../tensor';
import type { ImageProcessorConfig, PreprocessorConfigJson } from './image-config';
import { resolveConfig } from './image-config';
import type { RgbImage } from './raw-image';
import { checkRawImage } from './raw-image';

/** A table of output values per channel and byte: [3, 256]. */
export type PixelTable = Float32Array;

/** The output value of every byte in every channel under `config`: [3, 256]. */
export function pixelTable(config: ImageProcessorConfig): PixelTable {
  const table = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    const mean = Math.fround(config.imageMean[c]);
    const std = Math.fround(config.imageStd[c]);
    for (let byte = 0; byte < 256; byte++) {
      const x = config.doRescale ? Math.fround(byte * config.rescaleFactor) : byte;
      table[c * 256 + byte] = config.doNormalize ? Math.fround(Math.fround(x - mean) / std) : x;
    }
  }
  return table;
}

/**
 * Writes the pixel values of an RGB image channel-first, [3, height, width], into `out` from
 * element `offset` (a batch writes image b at b * 3 * height * width).
 */
export function writePixelValues(image: RgbImage, table: PixelTable, out: Float32Array, offset: number): void {
  const pixels = image.width * image.height;
  const { data } = image;
  for (let c = 0; c < 3; c++) {
    const row = table.subarray(c * 256, c * 256 + 256);
    const plane = offset + c * pixels;
    for (let p = 0; p < pixels; p++) out[plane + p] = row[data[p * 3 + c]];
  }
}

/**
 * Rescales and normalizes one RGB image (no resizing) into pixel values [3, height, width];
 * `config` is an ImageProcessorConfig or a preprocessor_config.json object (default: ViT's).
 */
export function rescaleAndNormalize(image: RgbImage, config?: ImageProcessorConfig | PreprocessorConfigJson): Tensor {
  const checked = checkRawImage('image', image);
  if (checked.channels !== 3) {
    throw new ArgumentError('image', `expected an RGB image (channels 3), received channels ${checked.channels}`);
  }
  const out = new Float32Array(3 * image.width * image.height);
  writePixelValues(image, pixelTable(resolveConfig(config)), out, 0);
  return new Tensor(out, [3, image.height, image.width]);
}
