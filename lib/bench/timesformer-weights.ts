/**
 * Hugging Face TimeSformer configs and reproducible synthetic weights for the TimeSformer
 * benchmark: the parameter names and shapes of Hugging Face's TimesformerForVideoClassification
 * state dict, in its order, so one Map feeds tessera's loader (lib/models/timesformer) and the
 * ONNX baseline graph (timesformer-onnx.ts). h = hidden, P = patches per frame:
 *   timesformer.embeddings.cls_token                          [1, 1, h]
 *   timesformer.embeddings.position_embeddings                [1, P + 1, h]
 *   timesformer.embeddings.time_embeddings                    [1, num_frames, h]  (not for space_only)
 *   timesformer.embeddings.patch_embeddings.projection.weight [h, C, ph, pw]      (+ .bias [h])
 *   timesformer.encoder.layer.N.attention.attention.qkv.weight [3h, h]            (+ .bias [3h] if qkv_bias)
 *   timesformer.encoder.layer.N.attention.output.dense.{weight [h, h], bias [h]}
 *   timesformer.encoder.layer.N.intermediate.dense.{weight [inter, h], bias [inter]}
 *   timesformer.encoder.layer.N.output.dense.{weight [h, inter], bias [h]}
 *   timesformer.encoder.layer.N.layernorm_{before,after}.{weight, bias} [h]
 *   divided_space_time only, per layer:
 *   timesformer.encoder.layer.N.temporal_layernorm.{weight, bias} [h]
 *   timesformer.encoder.layer.N.temporal_attention.attention.qkv.weight [3h, h] (+ .bias [3h] if qkv_bias)
 *   timesformer.encoder.layer.N.temporal_attention.output.dense.{weight [h, h], bias [h]}
 *   timesformer.encoder.layer.N.temporal_dense.{weight [h, h], bias [h]}
 *   timesformer.layernorm.{weight, bias} [h]
 *   classifier.{weight [labels, h], bias [labels]}
 */
import type { TimesformerAttentionType } from '../models/timesformer/config';
import { ATTENTION_TYPES } from '../models/timesformer/config';
import type { Tensor } from '../tensor';
import { shapeSize } from '../tensor';
import type { HfViTConfig, ResolvedViTConfig, SyntheticViTOptions, ViTParameter } from './vit-weights';
import { parameterAdders, resolveViTConfig, syntheticTensors } from './vit-weights';

/**
 * A Hugging Face TimeSformer config.json as parsed (transformers' TimesformerConfig keys): ViT's
 * keys plus num_frames and attention_type. Optional keys take Hugging Face's defaults
 * (layer_norm_eps 1e-6 here).
 */
export interface HfTimesformerConfig extends HfViTConfig {
  /** Default 8. */
  num_frames?: number;
  /** Default 'divided_space_time'. */
  attention_type?: string;
}

/** An HfTimesformerConfig with defaults applied, validated, and the derived sizes. */
export interface ResolvedTimesformerConfig extends ResolvedViTConfig {
  /** num_frames: the frames the time embeddings were trained for. */
  frames: number;
  attentionType: TimesformerAttentionType;
}

/** facebook/timesformer-base-finetuned-k400 (Kinetics-400, 8 frames of 224x224, divided space-time). */
export const TIMESFORMER_BASE_CONFIG: Readonly<HfTimesformerConfig> = Object.freeze({
  model_type: 'timesformer',
  architectures: ['TimesformerForVideoClassification'],
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: 'gelu',
  patch_size: 16,
  image_size: 224,
  num_channels: 3,
  num_frames: 8,
  layer_norm_eps: 1e-6,
  qkv_bias: true,
  attention_type: 'divided_space_time',
  num_labels: 400,
});

const LABEL = 'TimeSformer config';

/** Defaults applied, every field checked (errors name the key, the expectation and the value). */
export function resolveTimesformerConfig(config: HfTimesformerConfig): ResolvedTimesformerConfig {
  const base = resolveViTConfig(config, LABEL, 1e-6);
  const frames = config.num_frames ?? 8;
  if (typeof frames !== 'number' || !Number.isInteger(frames) || frames < 1) {
    throw new RangeError(`${LABEL}: num_frames must be a positive integer, received ${JSON.stringify(frames)}`);
  }
  const attentionType = config.attention_type ?? 'divided_space_time';
  if (!(ATTENTION_TYPES as readonly string[]).includes(attentionType)) {
    throw new RangeError(`${LABEL}: attention_type must be one of ${ATTENTION_TYPES.join(', ')}, received ${JSON.stringify(attentionType)}`);
  }
  return { ...base, frames, attentionType: attentionType as TimesformerAttentionType };
}

/** The prefix of encoder layer `index`'s parameters. */
export function timesformerLayerPrefix(index: number): string {
  return `timesformer.encoder.layer.${index}`;
}

/** Every parameter of TimesformerForVideoClassification for this config, in the state dict's order. */
export function timesformerParameters(config: HfTimesformerConfig): ViTParameter[] {
  const c = resolveTimesformerConfig(config);
  const h = c.hidden;
  const params: ViTParameter[] = [
    { name: 'timesformer.embeddings.cls_token', shape: [1, 1, h], kind: 'embedding' },
    { name: 'timesformer.embeddings.position_embeddings', shape: [1, c.tokens, h], kind: 'embedding' },
  ];
  if (c.attentionType !== 'space_only') params.push({ name: 'timesformer.embeddings.time_embeddings', shape: [1, c.frames, h], kind: 'embedding' });
  params.push(
    { name: 'timesformer.embeddings.patch_embeddings.projection.weight', shape: [h, c.channels, c.patch[0], c.patch[1]], kind: 'matrix' },
    { name: 'timesformer.embeddings.patch_embeddings.projection.bias', shape: [h], kind: 'bias' },
  );
  const { linear, norm } = parameterAdders(params, h);
  for (let layer = 0; layer < c.layers; layer++) {
    const p = timesformerLayerPrefix(layer);
    linear(`${p}.attention.attention.qkv`, 3 * h, h, c.qkvBias);
    linear(`${p}.attention.output.dense`, h, h);
    linear(`${p}.intermediate.dense`, c.intermediate, h);
    linear(`${p}.output.dense`, h, c.intermediate);
    norm(`${p}.layernorm_before`);
    norm(`${p}.layernorm_after`);
    if (c.attentionType === 'divided_space_time') {
      norm(`${p}.temporal_layernorm`);
      linear(`${p}.temporal_attention.attention.qkv`, 3 * h, h, c.qkvBias);
      linear(`${p}.temporal_attention.output.dense`, h, h);
      linear(`${p}.temporal_dense`, h, h);
    }
  }
  norm('timesformer.layernorm');
  linear('classifier', c.labels, h);
  return params;
}

/** The number of parameters of TimesformerForVideoClassification for this config. */
export function timesformerParameterCount(config: HfTimesformerConfig): number {
  return timesformerParameters(config).reduce((sum, p) => sum + shapeSize(p.shape), 0);
}

/**
 * Random TimesformerForVideoClassification weights with Hugging Face's names and shapes (see the
 * file's header), the same for the same config and seed, at the scales of syntheticViTWeights
 * (the time embeddings count as embeddings: truncated normal with options.std, default 0.02).
 */
export function syntheticTimesformerWeights(config: HfTimesformerConfig, seed: number, options: SyntheticViTOptions = {}): Map<string, Tensor> {
  return syntheticTensors(timesformerParameters(config), seed, options, 'syntheticTimesformerWeights');
}
