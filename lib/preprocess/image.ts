/**
 * Images -> pixel_values [B, 3, H, W] float32, as Hugging Face's ViTImageProcessor and
 * VideoMAEImageProcessor (PIL backend; TimeSformer uses the latter) compute them for images loaded
 * with transformers' load_image. Per image:
 *   1. file path or encoded bytes: decode to RGB with sharp, off the event loop (decode.ts);
 *      raw pixels { data, width, height, channels }: convert to RGB (raw-image.ts)
 *   2. if do_resize: resize to size ({ height, width }, or { shortest_edge } keeping the aspect
 *      ratio: resizeOutputSize in image-config.ts) with PIL's BILINEAR / BICUBIC arithmetic, in
 *      the native addon off the event loop (resize.ts)
 *   3. if do_center_crop: crop crop_size out of the middle, zero-padding where the image is
 *      smaller (crop.ts)
 *   4. rescale and normalize in float32, channels first (normalize.ts)
 */
import { ArgumentError } from '../errors';
import { Tensor } from '../tensor';
import { centerCrop } from './crop';
import { describeValue } from './describe';
import type { DecodeOptions } from './decode';
import { checkDecodeOptions, decodeAs } from './decode';
import type { ImageProcessorConfig, PreprocessorConfigJson } from './image-config';
import { resizeOutputSize, resolveConfig } from './image-config';
import { pixelTable, writePixelValues } from './normalize';
import type { RawImage, RgbImage } from './raw-image';
import { checkRawImage, toRgb } from './raw-image';
import { resizeImage } from './resize';

/**
 * One image: a file path, a Buffer / Uint8Array holding an encoded image (JPEG, PNG, WebP, ...),
 * or raw interleaved pixels { data, width, height, channels: 1 | 3 | 4 }.
 */
export type ImageInput = string | Uint8Array | RawImage;

/** A checked input: encoded bytes or a path with the name errors use for it, or raw pixels. */
type CheckedInput = { readonly encoded: string | Uint8Array; readonly name: string } | { readonly raw: RawImage };

const EXPECTED_INPUT =
  'expected a file path, a Buffer / Uint8Array of an encoded image, or a raw image { data, width, height, channels }';

/** Checks one input; `bufferName` is how errors will refer to encoded bytes. */
function checkInput(name: string, input: unknown, bufferName: string): CheckedInput {
  if (typeof input === 'string') {
    if (input.length === 0) throw new ArgumentError(name, `${EXPECTED_INPUT}, received an empty path`);
    return { encoded: input, name: input };
  }
  if (input instanceof Uint8Array) {
    if (input.length === 0) throw new ArgumentError(name, `${EXPECTED_INPUT}, received an empty Uint8Array`);
    return { encoded: input, name: bufferName };
  }
  if (typeof input !== 'object' || input === null || ArrayBuffer.isView(input) || input instanceof ArrayBuffer) {
    throw new ArgumentError(name, `${EXPECTED_INPUT}, received ${describeValue(input)}`);
  }
  return { raw: checkRawImage(name, input) };
}

function load(input: CheckedInput, options: DecodeOptions): Promise<RgbImage> {
  return 'raw' in input ? Promise.resolve(toRgb(input.raw)) : decodeAs(input.encoded, input.name, options);
}

/**
 * One image to RGB bytes [height, width, 3]: decodes a path or encoded bytes (EXIF orientation
 * applied unless options.autoOrient is false; see decode.ts), converts raw pixels like PIL's
 * convert("RGB"). Rejects with an ArgumentError for a bad input, a FormatError for a bad file.
 */
export async function loadImage(input: ImageInput, options: DecodeOptions = {}): Promise<RgbImage> {
  const checked = checkInput('input', input, '<buffer>');
  return load(checked, checkDecodeOptions(options));
}

/** Resize (do_resize, off the event loop) then center crop (do_center_crop), in HF's order; `name` is the input's. */
async function resizeAndCrop(image: RgbImage, config: ImageProcessorConfig, name: string): Promise<RgbImage> {
  let out = image;
  if (config.doResize) out = await resizeImage(out, resizeOutputSize(out, config.size, name), config.resample);
  if (config.doCenterCrop) out = centerCrop(out, config.cropSize);
  return out;
}

function checkSameSize(images: readonly RgbImage[], config: ImageProcessorConfig): void {
  const { width, height } = images[0];
  const why = config.doResize
    ? "size.shortest_edge keeps each image's aspect ratio and do_center_crop is false, so the resized images must share one size"
    : 'do_resize is false, so the images must share one size';
  images.forEach((image, i) => {
    if (image.width !== width || image.height !== height) {
      throw new ArgumentError(`inputs[${i}]`, `expected ${width}x${height} like inputs[0] (${why}), received ${image.width}x${image.height}`);
    }
  });
}

/**
 * Preprocesses one image or a batch into pixel values [B, 3, H, W] (float32, channels first, B = 1
 * for a single input), with (H, W) = config.cropSize when do_center_crop is true, else
 * config.size { height, width }; without a crop, resizing to { shortest_edge } or not resizing
 * keeps each image's aspect ratio, and the images must then come out one size. `config` is an
 * ImageProcessorConfig or a preprocessor_config.json object; default: ViT's (224 x 224,
 * bilinear, no crop, mean = std = 0.5).
 * Every input is checked before any is decoded: a bad one rejects with an ArgumentError naming
 * `inputs[i]`; a file that is missing or does not decode, with a FormatError naming it.
 */
export async function preprocessImages(
  inputs: ImageInput | readonly ImageInput[],
  config?: ImageProcessorConfig | PreprocessorConfigJson,
  options: DecodeOptions = {},
): Promise<Tensor> {
  const settings = resolveConfig(config);
  const decodeOptions = checkDecodeOptions(options);
  const checked = Array.isArray(inputs)
    ? (inputs as readonly unknown[]).map((input, i) => checkInput(`inputs[${i}]`, input, `<buffer inputs[${i}]>`))
    : [checkInput('inputs', inputs, '<buffer>')];
  if (checked.length === 0) throw new ArgumentError('inputs', 'expected at least one image, received an empty array');
  const images = await Promise.all(
    checked.map(async (input, i) => {
      const rgb = await load(input, decodeOptions);
      return resizeAndCrop(rgb, settings, Array.isArray(inputs) ? `inputs[${i}]` : 'inputs');
    }),
  );
  checkSameSize(images, settings);
  const { width, height } = images[0];
  const out = new Float32Array(images.length * 3 * height * width);
  const table = pixelTable(settings);
  images.forEach((image, b) => writePixelValues(image, table, out, b * 3 * height * width));
  return new Tensor(out, [images.length, 3, height, width]);
}
