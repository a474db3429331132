/**
 * The settings of Hugging Face's ViTImageProcessor, read from a preprocessor_config.json object
 * (already parsed; reading the file is the caller's job). Field names and meanings are HF's:
 *
 *   do_resize       boolean, default true
 *   size            { height, width } (default { height: 224, width: 224 }), or an integer n for
 *                   { height: n, width: n } as in older configs ("size": 224). { shortest_edge } and
 *                   { longest_edge } are rejected: ViTImageProcessor only resizes to { height, width }.
 *   resample        PIL filter number: 2 = BILINEAR (default) or 3 = BICUBIC; others are rejected
 *   do_rescale      boolean, default true
 *   rescale_factor  positive number, default 1/255
 *   do_normalize    boolean, default true
 *   image_mean      3 numbers (one per RGB channel) or one number for all three, default 0.5
 *   image_std       3 non-zero numbers or one number, default 0.5
 *
 * `null` for size, image_mean or image_std means "use the default", as in HF. Other keys
 * (image_processor_type, do_convert_rgb: images are always converted to RGB, ...) are ignored,
 * except do_center_crop: true, which this pipeline cannot honour and therefore rejects.
 * Every error is an ArgumentError whose `param` is the field, e.g. `size.height` or `image_std[2]`.
 */
import { ArgumentError } from '../errors';
import { describeValue } from './describe';

/** A resampling filter that tessera implements with PIL's exact arithmetic. */
export type Resample = 'bilinear' | 'bicubic';

/** An image size in pixels. */
export interface ImageSize {
  readonly height: number;
  readonly width: number;
}

/** A preprocessor_config.json object as Hugging Face writes it (only the fields read here). */
export interface PreprocessorConfigJson {
  readonly do_resize?: boolean;
  readonly size?: number | { readonly height?: number; readonly width?: number; readonly shortest_edge?: number } | null;
  readonly resample?: number;
  readonly do_rescale?: boolean;
  readonly rescale_factor?: number;
  readonly do_normalize?: boolean;
  readonly image_mean?: number | readonly number[] | null;
  readonly image_std?: number | readonly number[] | null;
  readonly [key: string]: unknown;
}

/** The largest height or width accepted in `size` (a guard against configs that would allocate gigabytes). */
export const MAX_IMAGE_SIDE = 16384;

/** PIL.Image.Resampling numbers, for error messages. */
const PIL_FILTER_NAMES: Readonly<Record<number, string>> = {
  0: 'NEAREST',
  1: 'LANCZOS',
  2: 'BILINEAR',
  3: 'BICUBIC',
  4: 'BOX',
  5: 'HAMMING',
};
const SUPPORTED_FILTERS: Readonly<Record<number, Resample>> = { 2: 'bilinear', 3: 'bicubic' };

/** ViTImageProcessor's defaults (IMAGENET_STANDARD_MEAN / _STD for mean and std). */
const DEFAULTS = {
  size: { height: 224, width: 224 },
  resample: 2,
  rescaleFactor: 1 / 255,
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
} as const;

/** Validated, immutable preprocessing settings; build one with ImageProcessorConfig.fromJson. */
export class ImageProcessorConfig {
  readonly doResize: boolean;
  /** Output size when doResize is true. */
  readonly size: ImageSize;
  readonly resample: Resample;
  readonly doRescale: boolean;
  readonly rescaleFactor: number;
  readonly doNormalize: boolean;
  /** Per RGB channel: [3]. */
  readonly imageMean: readonly number[];
  /** Per RGB channel, non-zero: [3]. */
  readonly imageStd: readonly number[];

  private constructor(json: Readonly<Record<string, unknown>>) {
    rejectCenterCrop(json.do_center_crop);
    this.doResize = readBoolean('do_resize', json.do_resize, true);
    this.size = Object.freeze(readSize(json.size));
    this.resample = readResample(json.resample);
    this.doRescale = readBoolean('do_rescale', json.do_rescale, true);
    this.rescaleFactor = readRescaleFactor(json.rescale_factor);
    this.doNormalize = readBoolean('do_normalize', json.do_normalize, true);
    this.imageMean = Object.freeze(readChannelValues('image_mean', json.image_mean, DEFAULTS.mean, false));
    this.imageStd = Object.freeze(readChannelValues('image_std', json.image_std, DEFAULTS.std, true));
    Object.freeze(this);
  }

  /**
   * Reads a Hugging Face preprocessor_config.json object; absent fields take ViTImageProcessor's
   * defaults, so `fromJson({})` is the stock ViT pipeline (224 x 224, bilinear, mean = std = 0.5).
   */
  static fromJson(json: PreprocessorConfigJson | Readonly<Record<string, unknown>> = {}): ImageProcessorConfig {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new ArgumentError('config', `expected a preprocessor_config.json object, received ${describeValue(json)}`);
    }
    return new ImageProcessorConfig(json);
  }
}

function rejectCenterCrop(value: unknown): void {
  if (value === true) {
    throw new ArgumentError(
      'do_center_crop',
      'center cropping is not part of ViTImageProcessor and is not supported; expected false or absent, received true',
    );
  }
}

function readBoolean(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ArgumentError(field, `expected true or false, received ${describeValue(value)}`);
  return value;
}

function readSide(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > MAX_IMAGE_SIDE) {
    throw new ArgumentError(field, `expected an integer from 1 to ${MAX_IMAGE_SIDE}, received ${describeValue(value)}`);
  }
  return value;
}

function readSize(value: unknown): ImageSize {
  if (value === undefined || value === null) return DEFAULTS.size;
  if (typeof value === 'number') {
    const side = readSide('size', value);
    return { height: side, width: side };
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ArgumentError('size', `expected { height, width } or an integer, received ${describeValue(value)}`);
  }
  const { height, width } = value as { height?: unknown; width?: unknown };
  if (height === undefined && width === undefined) {
    throw new ArgumentError(
      'size',
      `expected { height, width } (ViTImageProcessor resizes to a fixed size; shortest_edge / longest_edge ` +
        `resizing is not supported), received ${describeValue(value)}`,
    );
  }
  return { height: readSide('size.height', height), width: readSide('size.width', width) };
}

function readResample(value: unknown): Resample {
  if (value === undefined) return SUPPORTED_FILTERS[DEFAULTS.resample];
  const supported = typeof value === 'number' ? SUPPORTED_FILTERS[value] : undefined;
  if (supported === undefined) {
    const name = typeof value === 'number' ? PIL_FILTER_NAMES[value] : undefined;
    throw new ArgumentError(
      'resample',
      `expected 2 (BILINEAR) or 3 (BICUBIC), received ${describeValue(value)}${name ? ` (${name}, not supported)` : ''}`,
    );
  }
  return supported;
}

function readRescaleFactor(value: unknown): number {
  if (value === undefined) return DEFAULTS.rescaleFactor;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ArgumentError('rescale_factor', `expected a positive finite number, received ${describeValue(value)}`);
  }
  return value;
}

/** image_mean / image_std: one number for every channel, or exactly one per RGB channel. */
function readChannelValues(field: string, value: unknown, fallback: readonly number[], nonZero: boolean): number[] {
  if (value === undefined || value === null) return [...fallback];
  const values = typeof value === 'number' ? [value, value, value] : value;
  if (!Array.isArray(values) || values.length !== 3) {
    throw new ArgumentError(field, `expected 3 numbers (one per RGB channel) or one number, received ${describeValue(value)}`);
  }
  return values.map((x: unknown, c) => {
    const name = typeof value === 'number' ? field : `${field}[${c}]`;
    if (typeof x !== 'number' || !Number.isFinite(x) || (nonZero && x === 0)) {
      throw new ArgumentError(name, `expected a finite${nonZero ? ', non-zero' : ''} number, received ${describeValue(x)}`);
    }
    return x;
  });
}

/** `config` itself when it is an ImageProcessorConfig; otherwise it is read as preprocessor_config.json. */
export function resolveConfig(config: ImageProcessorConfig | PreprocessorConfigJson | undefined): ImageProcessorConfig {
  return config instanceof ImageProcessorConfig ? config : ImageProcessorConfig.fromJson(config);
}
