/**
 * The settings of Hugging Face's ViTImageProcessor and VideoMAEImageProcessor (which TimeSformer
 * checkpoints use), read from a preprocessor_config.json object (already parsed; reading the file
 * is the caller's job). Field names and meanings are HF's:
 *
 *   do_resize       boolean, default true
 *   size            one of
 *                     { height, width }  resize to exactly that size (ViT's; default { 224, 224 })
 *                     { shortest_edge }  keep the aspect ratio: the short side becomes
 *                                        shortest_edge, the long side
 *                                        trunc(shortest_edge * long / short), as transformers'
 *                                        get_resize_output_image_size(default_to_square=False)
 *                                        computes it (64x48 with shortest_edge 20 -> 26x20)
 *                     an integer n       { height: n, width: n }, as older ViT configs write it
 *                                        ("size": 224); but { shortest_edge: n } when the
 *                                        processor type is VideoMAE's (below), as in transformers
 *                   { longest_edge }, { shortest_edge, longest_edge } and keys mixing the two
 *                   forms are rejected.
 *   resample        PIL filter number: 2 = BILINEAR (default) or 3 = BICUBIC; others are rejected
 *   do_center_crop  boolean, default false (VideoMAE: true). After resizing, crop crop_size out
 *                   of the middle like transformers' image_transforms.center_crop: along each
 *                   axis the crop starts at floor((side - crop) / 2) (Python's //: a 20 -> 15
 *                   crop starts at row 2, keeping one more row below than above). A crop larger
 *                   than the image along an axis pads it with zero bytes there, the image at
 *                   offset ceil((crop - side) / 2) (more padding below / right than above / left
 *                   for an odd difference), as transformers does; the zeros are then rescaled
 *                   and normalized like any black pixel. The output is always crop_size.
 *   crop_size       { height, width } or an integer n for { height: n, width: n }; default
 *                   { 224, 224 }. Checked whenever present, used only with do_center_crop.
 *   do_rescale      boolean, default true
 *   rescale_factor  positive number, default 1/255
 *   do_normalize    boolean, default true
 *   image_mean      3 numbers (one per RGB channel) or one number for all three, default 0.5
 *   image_std       3 non-zero numbers or one number, default 0.5
 *
 * The order is HF's: resize -> center crop -> rescale -> normalize. Absent fields take
 * ViTImageProcessor's defaults, unless image_processor_type (older configs:
 * feature_extractor_type) names VideoMAE ("VideoMAEImageProcessor", "VideoMAEFeatureExtractor"):
 * then they take VideoMAEImageProcessor's (size { shortest_edge: 224 }, do_center_crop true,
 * crop_size { 224, 224 }, the rest as ViT's) and an integer size means { shortest_edge }.
 * `null` for size, crop_size, image_mean or image_std means "use the default", as in HF. Other
 * keys (do_convert_rgb: images are always converted to RGB, ...) are ignored. Every error is an
 * ArgumentError whose `param` is the field, e.g. `size.shortest_edge`, `crop_size.height` or
 * `image_std[2]`.
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

/** Resize keeping the aspect ratio, the short side to `shortestEdge` pixels (HF's { shortest_edge }). */
export interface ShortestEdge {
  readonly shortestEdge: number;
}

/** What do_resize resizes to: a fixed size, or a short side (see resizeOutputSize). */
export type ResizeSize = ImageSize | ShortestEdge;

/** A preprocessor_config.json object as Hugging Face writes it (only the fields read here). */
export interface PreprocessorConfigJson {
  readonly do_resize?: boolean;
  readonly size?:
    | number
    | { readonly height?: number; readonly width?: number; readonly shortest_edge?: number; readonly longest_edge?: number }
    | null;
  readonly resample?: number;
  readonly do_center_crop?: boolean;
  readonly crop_size?: number | { readonly height?: number; readonly width?: number } | null;
  readonly do_rescale?: boolean;
  readonly rescale_factor?: number;
  readonly do_normalize?: boolean;
  readonly image_mean?: number | readonly number[] | null;
  readonly image_std?: number | readonly number[] | null;
  readonly image_processor_type?: string;
  readonly [key: string]: unknown;
}

/**
 * The largest height or width accepted in `size` and `crop_size`, and for the size an image is
 * resized to under { shortest_edge } (a guard against configs or images that would allocate
 * gigabytes).
 */
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

interface Defaults {
  readonly size: ResizeSize;
  /** How an integer `size` is read (transformers' get_size_dict default_to_square). */
  readonly integerSizeIsSquare: boolean;
  readonly doCenterCrop: boolean;
  readonly cropSize: ImageSize;
  readonly resample: number;
  readonly rescaleFactor: number;
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** ViTImageProcessor's defaults (IMAGENET_STANDARD_MEAN / _STD for mean and std). */
const VIT_DEFAULTS: Defaults = {
  size: { height: 224, width: 224 },
  integerSizeIsSquare: true,
  doCenterCrop: false,
  cropSize: { height: 224, width: 224 },
  resample: 2,
  rescaleFactor: 1 / 255,
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
};

/** VideoMAEImageProcessor's defaults: ViT's but for the resize to a short side and the crop. */
const VIDEOMAE_DEFAULTS: Defaults = {
  ...VIT_DEFAULTS,
  size: { shortestEdge: 224 },
  integerSizeIsSquare: false,
  doCenterCrop: true,
};

/** Processor types (image_processor_type or feature_extractor_type) that take VIDEOMAE_DEFAULTS. */
const VIDEOMAE_TYPES: readonly string[] = ['VideoMAEImageProcessor', 'VideoMAEFeatureExtractor'];

function defaultsFor(json: Readonly<Record<string, unknown>>): Defaults {
  const type = json.image_processor_type ?? json.feature_extractor_type;
  return typeof type === 'string' && VIDEOMAE_TYPES.includes(type) ? VIDEOMAE_DEFAULTS : VIT_DEFAULTS;
}

/** Validated, immutable preprocessing settings; build one with ImageProcessorConfig.fromJson. */
export class ImageProcessorConfig {
  readonly doResize: boolean;
  /** What doResize resizes to: { height, width }, or { shortestEdge } (see resizeOutputSize). */
  readonly size: ResizeSize;
  readonly resample: Resample;
  readonly doCenterCrop: boolean;
  /** The output size of the center crop when doCenterCrop is true. */
  readonly cropSize: ImageSize;
  readonly doRescale: boolean;
  readonly rescaleFactor: number;
  readonly doNormalize: boolean;
  /** Per RGB channel: [3]. */
  readonly imageMean: readonly number[];
  /** Per RGB channel, non-zero: [3]. */
  readonly imageStd: readonly number[];

  private constructor(json: Readonly<Record<string, unknown>>) {
    const defaults = defaultsFor(json);
    this.doResize = readBoolean('do_resize', json.do_resize, true);
    this.size = Object.freeze(readSize(json.size, defaults));
    this.resample = readResample(json.resample, defaults);
    this.doCenterCrop = readBoolean('do_center_crop', json.do_center_crop, defaults.doCenterCrop);
    this.cropSize = Object.freeze(readCropSize(json.crop_size, defaults));
    this.doRescale = readBoolean('do_rescale', json.do_rescale, true);
    this.rescaleFactor = readRescaleFactor(json.rescale_factor, defaults);
    this.doNormalize = readBoolean('do_normalize', json.do_normalize, true);
    this.imageMean = Object.freeze(readChannelValues('image_mean', json.image_mean, defaults.mean, false));
    this.imageStd = Object.freeze(readChannelValues('image_std', json.image_std, defaults.std, true));
    Object.freeze(this);
  }

  /**
   * Reads a Hugging Face preprocessor_config.json object; absent fields take ViTImageProcessor's
   * defaults (VideoMAEImageProcessor's when image_processor_type names it), so `fromJson({})` is
   * the stock ViT pipeline (224 x 224, bilinear, no crop, mean = std = 0.5).
   */
  static fromJson(json: PreprocessorConfigJson | Readonly<Record<string, unknown>> = {}): ImageProcessorConfig {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new ArgumentError('config', `expected a preprocessor_config.json object, received ${describeValue(json)}`);
    }
    return new ImageProcessorConfig(json);
  }
}

/**
 * The size do_resize gives an image of size `image`: `size` itself for { height, width }; for
 * { shortestEdge: s }, transformers' get_resize_output_image_size(default_to_square=False): the
 * short side (the width when width <= height) becomes s, the long side trunc(s * long / short)
 * (double-precision division, truncated like Python's int()). Throws an ArgumentError naming
 * `name` when that long side exceeds MAX_IMAGE_SIDE.
 */
export function resizeOutputSize(image: ImageSize, size: ResizeSize, name = 'image'): ImageSize {
  if (!('shortestEdge' in size)) return size;
  const { width, height } = image;
  const portrait = width <= height;
  const [short, long] = portrait ? [width, height] : [height, width];
  const newShort = size.shortestEdge;
  const newLong = Math.trunc((newShort * long) / short);
  if (newLong > MAX_IMAGE_SIDE) {
    throw new ArgumentError(
      name,
      `size.shortest_edge ${newShort} would resize this ${width}x${height} image to ` +
        `${portrait ? `${newShort}x${newLong}` : `${newLong}x${newShort}`}, over the limit of ${MAX_IMAGE_SIDE} pixels a side`,
    );
  }
  return portrait ? { height: newLong, width: newShort } : { height: newShort, width: newLong };
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

function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readSize(value: unknown, defaults: Defaults): ResizeSize {
  if (value === undefined || value === null) return defaults.size;
  if (typeof value === 'number') {
    const side = readSide('size', value);
    return defaults.integerSizeIsSquare ? { height: side, width: side } : { shortestEdge: side };
  }
  const expected = 'expected { height, width }, { shortest_edge } or an integer';
  if (!isPlainObject(value)) throw new ArgumentError('size', `${expected}, received ${describeValue(value)}`);
  const { height, width, shortest_edge: shortestEdge, longest_edge: longestEdge } = value;
  if (longestEdge !== undefined) {
    throw new ArgumentError(
      'size.longest_edge',
      `longest_edge resizing is not supported (only { height, width } or { shortest_edge }), received ${describeValue(value)}`,
    );
  }
  const fixed = height !== undefined || width !== undefined;
  if (shortestEdge !== undefined && fixed) {
    throw new ArgumentError('size', `${expected}, not a mix of them, received ${describeValue(value)}`);
  }
  if (shortestEdge !== undefined) return { shortestEdge: readSide('size.shortest_edge', shortestEdge) };
  if (!fixed) throw new ArgumentError('size', `${expected}, received ${describeValue(value)}`);
  return { height: readSide('size.height', height), width: readSide('size.width', width) };
}

/** crop_size: { height, width } or an integer for a square (transformers reads it with default_to_square). */
function readCropSize(value: unknown, defaults: Defaults): ImageSize {
  if (value === undefined || value === null) return defaults.cropSize;
  if (typeof value === 'number') {
    const side = readSide('crop_size', value);
    return { height: side, width: side };
  }
  if (!isPlainObject(value) || (value.height === undefined && value.width === undefined)) {
    throw new ArgumentError('crop_size', `expected { height, width } or an integer, received ${describeValue(value)}`);
  }
  return { height: readSide('crop_size.height', value.height), width: readSide('crop_size.width', value.width) };
}

function readResample(value: unknown, defaults: Defaults): Resample {
  if (value === undefined) return SUPPORTED_FILTERS[defaults.resample];
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

function readRescaleFactor(value: unknown, defaults: Defaults): number {
  if (value === undefined) return defaults.rescaleFactor;
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
