/**
 * The ViT configuration, read from a Hugging Face config.json (model_type "vit"): the field names
 * and defaults of transformers' ViTConfig.
 */
import { FormatError } from '../../errors';
import type { JsonObject } from '../../io/json-file';
import { jsonObject, optionalBoolean, optionalNumber, optionalPositiveInt, optionalString } from '../../io/json-file';
import type { LinearActivation } from '../../ops/linear';
import { readLabels } from '../labels';

export interface ViTConfig {
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
}

const GELU_NAMES: Readonly<Record<string, LinearActivation>> = {
  gelu: 'gelu',
  gelu_new: 'gelu_tanh',
  gelu_pytorch_tanh: 'gelu_tanh',
  gelu_fast: 'gelu_tanh',
};

/** An int or an [h, w] pair (Hugging Face accepts both for image_size and patch_size). */
function readPair(obj: JsonObject, key: string, file: string, fallback: number): [number, number] {
  const value = obj[key];
  if (Array.isArray(value) && value.length === 2 && value.every((v) => Number.isSafeInteger(v) && v >= 1)) {
    return [value[0] as number, value[1] as number];
  }
  const n = optionalPositiveInt(obj, key, file, fallback);
  return [n, n];
}

function readActivation(obj: JsonObject, file: string): LinearActivation {
  const name = optionalString(obj, 'hidden_act', file, 'gelu');
  const act = GELU_NAMES[name];
  if (!act) {
    throw new FormatError(file, `'hidden_act': expected one of ${Object.keys(GELU_NAMES).join(', ')}, received '${name}'`);
  }
  return act;
}

/** Parses a config.json object; `file` names it in errors. */
export function parseViTConfig(json: unknown, file: string): ViTConfig {
  const obj = jsonObject(json, file, 'config');
  const config: ViTConfig = {
    hiddenSize: optionalPositiveInt(obj, 'hidden_size', file, 768),
    numHiddenLayers: optionalPositiveInt(obj, 'num_hidden_layers', file, 12),
    numAttentionHeads: optionalPositiveInt(obj, 'num_attention_heads', file, 12),
    intermediateSize: optionalPositiveInt(obj, 'intermediate_size', file, 3072),
    imageSize: readPair(obj, 'image_size', file, 224),
    patchSize: readPair(obj, 'patch_size', file, 16),
    numChannels: optionalPositiveInt(obj, 'num_channels', file, 3),
    layerNormEps: optionalNumber(obj, 'layer_norm_eps', file, 1e-12),
    hiddenAct: readActivation(obj, file),
    qkvBias: optionalBoolean(obj, 'qkv_bias', file, true),
    labels: readLabels(obj, file),
  };
  checkViTConfig(config, file);
  return config;
}

function checkViTConfig(c: ViTConfig, file: string): void {
  if (c.hiddenSize % c.numAttentionHeads !== 0) {
    throw new FormatError(file, `'hidden_size' (${c.hiddenSize}) must be a multiple of 'num_attention_heads' (${c.numAttentionHeads})`);
  }
  if (c.hiddenSize / c.numAttentionHeads > 256) {
    throw new FormatError(file, `head size hidden_size / num_attention_heads = ${c.hiddenSize / c.numAttentionHeads} exceeds 256`);
  }
  if (c.imageSize[0] < c.patchSize[0] || c.imageSize[1] < c.patchSize[1]) {
    throw new FormatError(file, `'image_size' [${c.imageSize.join(', ')}] is smaller than 'patch_size' [${c.patchSize.join(', ')}]`);
  }
  if (!(c.layerNormEps > 0)) throw new FormatError(file, `'layer_norm_eps': expected a positive number, received ${c.layerNormEps}`);
}
