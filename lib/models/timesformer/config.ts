/**
 * The TimeSformer configuration, read from a Hugging Face config.json (model_type
 * "timesformer"): transformers' TimesformerConfig field names and defaults.
 */
import { FormatError } from '../../errors';
import { jsonObject, optionalPositiveInt, optionalString } from '../../io/json-file';
import type { EncoderConfig, EncoderDefaults } from '../encoder-config';
import { readEncoderConfig } from '../encoder-config';
import { VIT_DEFAULTS } from '../vit/config';

export const ATTENTION_TYPES = ['divided_space_time', 'joint_space_time', 'space_only'] as const;
export type TimesformerAttentionType = (typeof ATTENTION_TYPES)[number];

export interface TimesformerConfig extends EncoderConfig {
  /** Frames per clip the time embeddings were trained for. */
  numFrames: number;
  attentionType: TimesformerAttentionType;
}

/** transformers' TimesformerConfig defaults (facebook/timesformer-base-finetuned-k400): ViT's, with eps 1e-6. */
export const TIMESFORMER_DEFAULTS: EncoderDefaults = { ...VIT_DEFAULTS, layerNormEps: 1e-6 };

export function parseTimesformerConfig(json: unknown, file: string): TimesformerConfig {
  const obj = jsonObject(json, file, 'config');
  const attentionType = optionalString(obj, 'attention_type', file, 'divided_space_time');
  if (!(ATTENTION_TYPES as readonly string[]).includes(attentionType)) {
    throw new FormatError(file, `'attention_type': expected one of ${ATTENTION_TYPES.join(', ')}, received '${attentionType}'`);
  }
  return {
    ...readEncoderConfig(obj, file, TIMESFORMER_DEFAULTS),
    numFrames: optionalPositiveInt(obj, 'num_frames', file, 8),
    attentionType: attentionType as TimesformerAttentionType,
  };
}
