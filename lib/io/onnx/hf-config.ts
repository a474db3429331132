/**
 * The Hugging Face files a mapped ONNX graph turns into: config.json (ViTConfig or
 * TimesformerConfig fields, keys sorted as save_pretrained writes them) and a default
 * preprocessor_config.json for the graph's input size. ONNX graphs carry no class names or
 * normalization constants: labels are LABEL_<i>, mean and std the processors' defaults (0.5).
 */
import type { Tensor } from '../../tensor';
import type { HfActivation } from './gelu-match';

/** What an ONNX graph was mapped to. */
export interface OnnxModelMapping {
  /** A Hugging Face config.json object. */
  readonly config: Record<string, unknown>;
  /** The parameters under Hugging Face names. */
  readonly weights: Map<string, Tensor>;
  /** The Hugging Face class the weights are named for. */
  readonly kind: 'ViTForImageClassification' | 'ViTModel' | 'TimesformerForVideoClassification' | 'TimesformerModel';
  /** A preprocessor_config.json object for the graph's input size. */
  readonly preprocessor: Record<string, unknown>;
}

/** The config fields every mapped encoder has. */
export interface EncoderSummary {
  readonly hiddenSize: number;
  readonly numHiddenLayers: number;
  readonly numAttentionHeads: number;
  readonly intermediateSize: number;
  readonly patchSize: readonly [number, number];
  readonly imageSize: readonly [number, number];
  readonly numChannels: number;
  /** As stored in the graph (fp32). */
  readonly layerNormEps: number;
  readonly hiddenAct: HfActivation;
  readonly qkvBias: boolean;
  /** 0 for a model without a classifier. */
  readonly numLabels: number;
}

/** The shortest decimal that is the same fp32 value (9.999999960041972e-13 -> 1e-12). */
export function shortestFloat32(x: number): number {
  for (let digits = 1; digits < 17; digits++) {
    const v = Number(x.toPrecision(digits));
    if (Math.fround(v) === Math.fround(x)) return v;
  }
  return x;
}

/** An int for a square pair, else [height, width] (how Hugging Face configs write sizes). */
function pair([a, b]: readonly [number, number]): number | number[] {
  return a === b ? a : [a, b];
}

function sortedKeys(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** id2label / label2id with Hugging Face's default names, keys sorted as strings like save_pretrained. */
function labelMaps(count: number): Record<string, unknown> {
  if (count === 0) return {};
  const names = Array.from({ length: count }, (_, i) => `LABEL_${i}`);
  return {
    id2label: sortedKeys(Object.fromEntries(names.map((n, i) => [String(i), n]))),
    label2id: sortedKeys(Object.fromEntries(names.map((n, i) => [n, i]))),
  };
}

/** The fields ViTConfig and TimesformerConfig share. */
function encoderFields(s: EncoderSummary, architecture: string): Record<string, unknown> {
  return {
    architectures: [architecture],
    attention_probs_dropout_prob: 0.0,
    hidden_act: s.hiddenAct,
    hidden_dropout_prob: 0.0,
    hidden_size: s.hiddenSize,
    image_size: pair(s.imageSize),
    initializer_range: 0.02,
    intermediate_size: s.intermediateSize,
    layer_norm_eps: shortestFloat32(s.layerNormEps),
    num_attention_heads: s.numAttentionHeads,
    num_channels: s.numChannels,
    num_hidden_layers: s.numHiddenLayers,
    patch_size: pair(s.patchSize),
    qkv_bias: s.qkvBias,
    torch_dtype: 'float32',
    ...labelMaps(s.numLabels),
  };
}

/** A ViTConfig config.json object. */
export function vitConfigJson(s: EncoderSummary, architecture: 'ViTForImageClassification' | 'ViTModel'): Record<string, unknown> {
  return sortedKeys({ ...encoderFields(s, architecture), model_type: 'vit', encoder_stride: s.patchSize[0] });
}

/** A TimesformerConfig config.json object. */
export function timesformerConfigJson(
  s: EncoderSummary,
  numFrames: number,
  attentionType: string,
  architecture: 'TimesformerForVideoClassification' | 'TimesformerModel',
): Record<string, unknown> {
  return sortedKeys({ ...encoderFields(s, architecture), model_type: 'timesformer', num_frames: numFrames, attention_type: attentionType, drop_path_rate: 0.0 });
}

/** The normalization every default here uses: rescale 1/255, mean = std = 0.5 per channel. */
function normalization(channels: number): Record<string, unknown> {
  return {
    do_normalize: true,
    do_rescale: true,
    image_mean: new Array<number>(channels).fill(0.5),
    image_std: new Array<number>(channels).fill(0.5),
    rescale_factor: 1 / 255,
  };
}

/** ViTImageProcessor resizing to the graph's input size. */
export function imagePreprocessorJson(height: number, width: number, channels: number): Record<string, unknown> {
  return sortedKeys({ ...normalization(channels), do_resize: true, image_processor_type: 'ViTImageProcessor', resample: 2, size: { height, width } });
}

/** VideoMAEImageProcessor (what TimeSformer checkpoints ship): shortest edge, then a center crop to the input size. */
export function videoPreprocessorJson(height: number, width: number, channels: number): Record<string, unknown> {
  return sortedKeys({
    ...normalization(channels),
    crop_size: { height, width },
    do_center_crop: true,
    do_resize: true,
    image_processor_type: 'VideoMAEImageProcessor',
    resample: 2,
    size: { shortest_edge: Math.min(height, width) },
  });
}
