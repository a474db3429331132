/**
 * The fields every Hugging Face vision-transformer config shares (ViT, TimeSformer, tessera's
 * axial ViT): read from config.json with per-model defaults, checked, camelCased.
 */
import { FormatError } from '../errors';
import type { JsonObject } from '../io/json-file';
import { optionalBoolean, optionalNumber, optionalPositiveInt, optionalString } from '../io/json-file';
import { MAX_HEAD_DIM } from '../ops/attention';
import type { LinearActivation } from '../ops/linear';
import type { PatternFor } from '../nn/block';
import { readAttentionPatterns } from './attention-config';
import { readLabels } from './labels';

export interface EncoderConfig {
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  /** [height, width] of the images the position embeddings were trained for. */
  imageSize: [number, number];
  patchSize: [number, number];
  numChannels: number;
  layerNormEps: number;
  /** 'gelu' (exact erf) or 'gelu_tanh' (gelu_new, gelu_pytorch_tanh, gelu_fast). */
  hiddenAct: LinearActivation;
  qkvBias: boolean;
  /** Class names by index (id2label); empty for a model without a classifier. */
  labels: string[];
  /** Per layer, its attention pattern from `tessera_attention` (undefined: the model's default). */
  layerPatterns: (PatternFor | undefined)[];
}

/** Values used for fields that config.json leaves out (each model's Hugging Face defaults). */
export type EncoderDefaults = Omit<EncoderConfig, 'labels' | 'layerPatterns'>;

const GELU_NAMES: Readonly<Record<string, LinearActivation>> = {
  gelu: 'gelu',
  gelu_new: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  gelu_fast: 'gelu_tanh',
};

/** An int or an [h, w] pair (Hugging Face accepts both for image_size and patch_size). */
function readPair(obj: JsonObject, key: string, file: string, fallback: [number, number]): [number, number] {
  const value = obj[key];
  if (Array.isArray(value) && value.length === 2 && value.every((v) => Number.isSafeInteger(v) && v >= 1)) {
    return [value[0] as number, value[1] as number];
  }
  const n = optionalPositiveInt(obj, key, file, null);
  return n === null ? fallback : [n, n];
}

function readActivation(obj: JsonObject, file: string, fallback: LinearActivation): LinearActivation {
  const name = optionalString(obj, 'hidden_act', file, null);
  if (name === null) return fallback;
  const act = GELU_NAMES[name];
  if (!act) {
    throw new FormatError(file, `'hidden_act': expected one of ${Object.keys(GELU_NAMES).join(', ')}, received '${name}'`);
  }
  return act;
}

function checkEncoderConfig(c: EncoderConfig, file: string): void {
  if (c.hiddenSize % c.numAttentionHeads !== 0) {
    throw new FormatError(file, `'hidden_size' (${c.hiddenSize}) must be a multiple of 'num_attention_heads' (${c.numAttentionHeads})`);
  }
  if (c.hiddenSize / c.numAttentionHeads > MAX_HEAD_DIM) {
    throw new FormatError(file, `head size hidden_size / num_attention_heads = ${c.hiddenSize / c.numAttentionHeads} exceeds ${MAX_HEAD_DIM}`);
  }
  if (c.imageSize[0] < c.patchSize[0] || c.imageSize[1] < c.patchSize[1]) {
    throw new FormatError(file, `'image_size' [${c.imageSize.join(', ')}] is smaller than 'patch_size' [${c.patchSize.join(', ')}]`);
  }
  if (!(c.layerNormEps > 0)) throw new FormatError(file, `'layer_norm_eps': expected a positive number, received ${c.layerNormEps}`);
}

/** Reads and checks the shared fields of config.json (`file` names it in errors). */
export function readEncoderConfig(obj: JsonObject, file: string, d: EncoderDefaults): EncoderConfig {
  const config: EncoderConfig = {
    hiddenSize: optionalPositiveInt(obj, 'hidden_size', file, d.hiddenSize),
    numHiddenLayers: optionalPositiveInt(obj, 'num_hidden_layers', file, d.numHiddenLayers),
    numAttentionHeads: optionalPositiveInt(obj, 'num_attention_heads', file, d.numAttentionHeads),
    intermediateSize: optionalPositiveInt(obj, 'intermediate_size', file, d.intermediateSize),
    imageSize: readPair(obj, 'image_size', file, d.imageSize),
    patchSize: readPair(obj, 'patch_size', file, d.patchSize),
    numChannels: optionalPositiveInt(obj, 'num_channels', file, d.numChannels),
    layerNormEps: optionalNumber(obj, 'layer_norm_eps', file, d.layerNormEps),
    hiddenAct: readActivation(obj, file, d.hiddenAct),
    qkvBias: optionalBoolean(obj, 'qkv_bias', file, d.qkvBias),
    labels: readLabels(obj, file),
    layerPatterns: [],
  };
  checkEncoderConfig(config, file);
  config.layerPatterns = readAttentionPatterns(obj, file, config.numHiddenLayers);
  return config;
}
