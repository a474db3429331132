/**
 * tessera's axial-attention ViT (Ho et al. 2019, "Axial Attention in Multidimensional
 * Transformers", applied to a ViT's patch grid): ViT's embeddings, classifier and MLPs, but each
 * layer attends along the rows of the patch grid, then along its columns; the class token is
 * global (it sees every token and every token sees it). Config: a ViT config.json with
 * model_type "axial_vit". Parameters (documented in docs/models.md):
 *   axial_vit.embeddings.*                      exactly ViT's
 *   axial_vit.encoder.layer.N.row_layernorm, row_attention.attention.{query,key,value},
 *     row_attention.output.dense, column_layernorm, column_attention.attention.{query,key,value},
 *     column_attention.output.dense, layernorm_after, intermediate.dense, output.dense
 *   axial_vit.layernorm, classifier
 * Per layer: x += RowAttention(row_layernorm(x)); x += ColumnAttention(column_layernorm(x));
 * x += MLP(layernorm_after(x)). The row and column patterns run on the axial kernels.
 */
import { MultiHeadAttention } from '../../nn/attention';
import type { PatternFor } from '../../nn/block';
import { TransformerBlock } from '../../nn/block';
import { LayerNorm } from '../../nn/layer-norm';
import { Mlp } from '../../nn/mlp';
import type { Weights } from '../../nn/weights';
import type { ImageProcessorConfig } from '../../preprocess/image-config';
import { patternPerGrid } from '../attention-config';
import type { ViTConfig } from '../vit/config';
import { ViTEncoder } from '../vit/encoder';
import { ViTForImageClassification, loadClassifier } from '../vit/model';

/** Attention along one axis of the [gh, gw] patch grid (0: columns, 1: rows), class token global. */
function axisPattern(axis: number): PatternFor {
  return patternPerGrid((grid) => ({ type: 'axial', grid, axes: [axis], offset: 1 }), 1);
}

function loadAxialBlock(weights: Weights, c: ViTConfig): TransformerBlock {
  const h = c.hiddenSize;
  const norm = (name: string): LayerNorm => LayerNorm.load(weights, name, h, c.layerNormEps);
  const attention = (name: string): MultiHeadAttention =>
    MultiHeadAttention.loadSeparate(
      weights,
      { query: `${name}.attention.query`, key: `${name}.attention.key`, value: `${name}.attention.value`, output: `${name}.output.dense` },
      h,
      c.numAttentionHeads,
      c.qkvBias,
    );
  const mlp = Mlp.load(weights, { up: 'intermediate.dense', down: 'output.dense' }, h, c.intermediateSize, c.hiddenAct);
  return new TransformerBlock(
    [
      { norm: norm('row_layernorm'), attention: attention('row_attention'), pattern: axisPattern(1) },
      { norm: norm('column_layernorm'), attention: attention('column_attention'), pattern: axisPattern(0) },
    ],
    norm('layernorm_after'),
    mlp,
  );
}

export class AxialViTForImageClassification extends ViTForImageClassification {
  /** Weights named as above (`axial_vit.*`, `classifier.*`). */
  static override load(config: ViTConfig, weights: Weights, preprocessor?: ImageProcessorConfig): AxialViTForImageClassification {
    const encoder = ViTEncoder.load(config, weights.scope('axial_vit.'), loadAxialBlock);
    return new AxialViTForImageClassification(config, encoder, loadClassifier(config, weights), preprocessor);
  }
}
