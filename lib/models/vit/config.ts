/**
 * The ViT configuration, read from a Hugging Face config.json (model_type "vit"): the field names
 * and defaults of transformers' ViTConfig.
 */
import { jsonObject } from '../../io/json-file';
import type { EncoderConfig, EncoderDefaults } from '../encoder-config';
import { readEncoderConfig } from '../encoder-config';

export type ViTConfig = EncoderConfig;

/** transformers' ViTConfig defaults (google/vit-base-patch16-224). */
export const VIT_DEFAULTS: EncoderDefaults = {
  hiddenSize: 768,
  numHiddenLayers: 12,
  numAttentionHeads: 12,
  intermediateSize: 3072,
  imageSize: [224, 224],
  patchSize: [16, 16],
  numChannels: 3,
  layerNormEps: 1e-12,
  hiddenAct: 'gelu',
  qkvBias: true,
};

/** Parses a config.json object; `file` names it in errors. */
export function parseViTConfig(json: unknown, file: string): ViTConfig {
  return readEncoderConfig(jsonObject(json, file, 'config'), file, VIT_DEFAULTS);
}
