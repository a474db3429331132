/**
 * Decoding of encoded images (JPEG, PNG, WebP, GIF, TIFF, AVIF, ... anything sharp reads) to
 * 8-bit RGB, matching transformers' load_image: PIL.Image.open -> ImageOps.exif_transpose ->
 * .convert("RGB"). With sharp (libvips), off the event loop:
 *   - EXIF orientation is applied by default, as load_image does (so do HF pipelines given a path);
 *     `autoOrient: false` keeps the stored orientation, as a bare Image.open(...).convert("RGB").
 *   - Grayscale is replicated to RGB; alpha is dropped without compositing; palettes are expanded.
 *   - Embedded ICC profiles are ignored (PIL's convert does not apply them either).
 *   - Multi-frame images (GIF, WebP, TIFF) give their first frame, as PIL does.
 * 16-bit RGB keeps the high byte, as PIL does. Known differences from PIL: JPEG decoders built on
 * different libjpeg versions may differ by a few levels (sharp 0.35 and Pillow 9.4 agree exactly
 * on the test fixture); 16-bit grayscale is scaled to 8 bits, where PIL's convert("RGB") clips it
 * at 255 (nearly white); CMYK is converted to sRGB with a colour profile, PIL with a plain formula.
 *
 * Files are untrusted: images with more than `maxInputPixels` pixels (default: Pillow's
 * decompression-bomb limit, 2 * 89,478,485 = 178,956,970) are refused from their header, before
 * any pixel is decoded, and any decoder warning (e.g. truncated data) is an error.
 */
import type { Sharp, SharpOptions } from 'sharp';

import { ArgumentError, FormatError, UnsupportedError } from '../errors';
import { checkPositiveInt } from '../ops/validate';
import { describeValue } from './describe';
import type { RgbImage } from './raw-image';

/** Pillow refuses images over 2 * Image.MAX_IMAGE_PIXELS pixels (DecompressionBombError). */
export const DEFAULT_MAX_INPUT_PIXELS = 2 * 89_478_485;

export interface DecodeOptions {
  /** Apply the EXIF Orientation tag, as transformers' load_image does. Default true. */
  readonly autoOrient?: boolean;
  /** Refuse images with more than this many pixels (width * height). Default DEFAULT_MAX_INPUT_PIXELS. */
  readonly maxInputPixels?: number;
}

type SharpFactory = (input: string | Uint8Array, options: SharpOptions) => Sharp;

let sharpFactory: Promise<SharpFactory> | undefined;

/** Loads sharp on first use, so that `require('tessera')` works (and stays fast) without it. */
function loadSharp(): Promise<SharpFactory> {
  sharpFactory ??= import('sharp').then(
    (module) => module.default,
    (error: unknown) => {
      sharpFactory = undefined;
      throw new UnsupportedError(`decoding images needs the 'sharp' package, which failed to load: ${String(error)}`);
    },
  );
  return sharpFactory;
}

/** Checks decode options and fills in the defaults. */
export function checkDecodeOptions(options: DecodeOptions): Required<DecodeOptions> {
  if (typeof options !== 'object' || options === null) {
    throw new ArgumentError('options', `expected an object, received ${describeValue(options)}`);
  }
  const { autoOrient = true, maxInputPixels = DEFAULT_MAX_INPUT_PIXELS } = options;
  if (typeof autoOrient !== 'boolean') {
    throw new ArgumentError('options.autoOrient', `expected true or false, received ${describeValue(autoOrient)}`);
  }
  return { autoOrient, maxInputPixels: checkPositiveInt('options.maxInputPixels', maxInputPixels) };
}

/** sharp's message, plus the limit when it is the pixel limit that refused the image. */
function describeFailure(error: unknown, maxInputPixels: number): string {
  const message = error instanceof Error ? error.message : String(error);
  return /pixel limit/i.test(message) ? `${message} (maxInputPixels = ${maxInputPixels})` : message;
}

/**
 * Decodes `input` (a file path or the bytes of an encoded image) to RGB. `name` is how errors
 * refer to the image: the path, or e.g. '<buffer>'. Rejects with a FormatError naming it and
 * giving sharp's reason when the file is missing or the bytes do not decode.
 */
export async function decodeAs(input: string | Uint8Array, name: string, options: DecodeOptions = {}): Promise<RgbImage> {
  const { autoOrient, maxInputPixels } = checkDecodeOptions(options);
  const sharp = await loadSharp();
  let decoded: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    decoded = await sharp(input, { autoOrient, ignoreIcc: true, limitInputPixels: maxInputPixels, failOn: 'warning' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new FormatError(name, describeFailure(error, maxInputPixels));
  }
  const { data, info } = decoded;
  if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
    throw new FormatError(name, `decoded to ${info.channels} channels of ${info.width}x${info.height}, expected RGB`);
  }
  return { data, width: info.width, height: info.height, channels: 3 };
}

/**
 * Decodes a file path or a Buffer / Uint8Array of an encoded image to RGB bytes
 * [height, width, 3] (see the top of this file for the exact semantics). Runs off the event loop.
 */
export async function decodeImage(input: string | Uint8Array, options: DecodeOptions = {}): Promise<RgbImage> {
  if (typeof input === 'string' && input.length > 0) return decodeAs(input, input, options);
  if (input instanceof Uint8Array && input.length > 0) return decodeAs(input, '<buffer>', options);
  throw new ArgumentError(
    'input',
    `expected a file path or a non-empty Buffer / Uint8Array of an encoded image, received ${describeValue(input)}`,
  );
}
