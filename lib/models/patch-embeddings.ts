/**
 * The embeddings every Hugging Face ViT-style encoder loads (ViTEmbeddings, TimesformerEmbeddings):
 * the patch projection, the position embeddings of the configured image size and the class
 * token's row.
 */
import { classTokenRow } from '../nn/class-token';
import { PatchEmbed } from '../nn/patch-embed';
import type { Weights } from '../nn/weights';
import type { EncoderConfig } from './encoder-config';

export interface PatchEmbeddings {
  patchEmbed: PatchEmbed;
  /** [patches + 1, hidden]: the class token's position, then one per patch of the config's grid. */
  positions: Float32Array;
  /** [hidden]: cls_token + its position embedding. */
  cls: Float32Array;
}

/** `embeddings.{patch_embeddings.projection, position_embeddings, cls_token}` under `weights`' prefix. */
export function loadPatchEmbeddings(config: EncoderConfig, weights: Weights): PatchEmbeddings {
  const h = config.hiddenSize;
  const patches = Math.floor(config.imageSize[0] / config.patchSize[0]) * Math.floor(config.imageSize[1] / config.patchSize[1]);
  const patchEmbed = PatchEmbed.load(weights, 'embeddings.patch_embeddings.projection', config.numChannels, h, config.patchSize);
  const positions = weights.get('embeddings.position_embeddings', [1, patches + 1, h]).data.slice(0, (patches + 1) * h);
  const cls = classTokenRow(weights.get('embeddings.cls_token', [1, 1, h]).data.subarray(0, h), positions);
  return { patchEmbed, positions, cls };
}
