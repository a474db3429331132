/**
 * Matched parameters under Hugging Face names: linear layers and LayerNorms as `name.weight` /
 * `name.bias`, q / k / v as ViT's separate query, key, value or TimeSformer's fused qkv, and
 * whole pre-norm layers as ViTLayer / TimesformerLayer parameters.
 */
import { Tensor } from '../../tensor';
import type { AttentionMatch, Projection } from './attention-match';
import type { BlockMatch } from './block-match';
import type { LayerNormMatch } from './layernorm-match';
import { concatRows } from './weight-math';

/** A bias, or zeros when the layer has none (the same function as no bias). */
export function biasOrZeros(bias: Tensor | null, size: number): Tensor {
  return bias ?? Tensor.zeros([size]);
}

/** Adds `name.weight` and `name.bias` (zeros when absent) of a projection. */
export function putLinear(weights: Map<string, Tensor>, name: string, p: Projection): void {
  weights.set(`${name}.weight`, p.weight);
  weights.set(`${name}.bias`, biasOrZeros(p.bias, p.weight.shape[0]));
}

export function putLayerNorm(weights: Map<string, Tensor>, name: string, norm: LayerNormMatch): void {
  weights.set(`${name}.weight`, norm.weight);
  weights.set(`${name}.bias`, norm.bias);
}

/** Whether any q, k or v projection of the layers has a bias (Hugging Face's qkv_bias). */
export function hasQkvBias(attentions: readonly AttentionMatch[]): boolean {
  return attentions.some((a) => [a.query, a.key, a.value].some((p) => p.bias !== null));
}

/** Adds the q, k, v projections under separate names (ViT) or as one fused `fusedName` (TimeSformer). */
export function putQkv(weights: Map<string, Tensor>, a: AttentionMatch, names: { query: string; key: string; value: string } | { fused: string }, withBias: boolean): void {
  const parts = [a.query, a.key, a.value];
  if ('fused' in names) {
    weights.set(`${names.fused}.weight`, concatRows(parts.map((p) => p.weight)));
    if (withBias) weights.set(`${names.fused}.bias`, concatRows(parts.map((p) => biasOrZeros(p.bias, p.weight.shape[0]))));
    return;
  }
  [names.query, names.key, names.value].forEach((name, i) => {
    weights.set(`${name}.weight`, parts[i].weight);
    if (withBias) weights.set(`${name}.bias`, biasOrZeros(parts[i].bias, parts[i].weight.shape[0]));
  });
}

/** Adds a layer's parameters under Hugging Face ViT / TimeSformer layer names (prefix ends with '.'). */
export function putBlock(weights: Map<string, Tensor>, prefix: string, b: BlockMatch, qkv: 'separate' | 'fused', withBias: boolean): void {
  putLayerNorm(weights, `${prefix}layernorm_before`, b.before);
  const attention = `${prefix}attention.attention`;
  putQkv(weights, b.attention, qkv === 'fused' ? { fused: `${attention}.qkv` } : { query: `${attention}.query`, key: `${attention}.key`, value: `${attention}.value` }, withBias);
  putLinear(weights, `${prefix}attention.output.dense`, b.attention.output);
  putLayerNorm(weights, `${prefix}layernorm_after`, b.after);
  putLinear(weights, `${prefix}intermediate.dense`, b.mlp.up);
  putLinear(weights, `${prefix}output.dense`, b.mlp.down);
}
