/**
 * The ViT backbone (Hugging Face's ViTEmbeddings + ViTEncoder + final layernorm):
 *   pixels [B, C, H, W] -> patch tokens + class token + position embeddings -> L pre-norm blocks
 *   -> hidden [B, N, hidden] with N = 1 + (H / ph) * (W / pw).
 * Position embeddings are resampled bicubically when the input's patch grid differs from the
 * config's (Hugging Face's interpolate_pos_encoding).
 */
import { MultiHeadAttention } from '../../nn/attention';
import type { BlockBuffers } from '../../nn/block';
import { TransformerBlock, allocateBlockBuffers } from '../../nn/block';
import { emitClassTokens } from '../../nn/class-token';
import { LayerNorm } from '../../nn/layer-norm';
import { Mlp } from '../../nn/mlp';
import type { PatchEmbed } from '../../nn/patch-embed';
import { interpolateGrid2d } from '../../nn/position';
import type { Program } from '../../nn/program';
import { rowsView } from '../../nn/program';
import { RECENT_SHAPES } from '../../nn/program-cache';
import { RecentCache } from '../../nn/recent-cache';
import type { Weights } from '../../nn/weights';
import type { TensorLike } from '../../tensor';
import { loadPatchEmbeddings } from '../patch-embeddings';
import type { ViTConfig } from './config';

/** Reads one encoder layer (weights scoped to `encoder.layer.<i>.`). */
export type BlockLoader = (weights: Weights, config: ViTConfig, layer: number) => TransformerBlock;

/** Hugging Face's ViTLayer. */
export function loadViTBlock(weights: Weights, c: ViTConfig, layer: number): TransformerBlock {
  const h = c.hiddenSize;
  const norm = (name: string): LayerNorm => LayerNorm.load(weights, name, h, c.layerNormEps);
  const attention = MultiHeadAttention.loadSeparate(
    weights,
    { query: 'attention.attention.query', key: 'attention.attention.key', value: 'attention.attention.value', output: 'attention.output.dense' },
    h,
    c.numAttentionHeads,
    c.qkvBias,
  );
  const mlp = Mlp.load(weights, { up: 'intermediate.dense', down: 'output.dense' }, h, c.intermediateSize, c.hiddenAct);
  const pattern = c.layerPatterns[layer];
  return new TransformerBlock([{ norm: norm('layernorm_before'), attention, ...(pattern ? { pattern } : {}) }], norm('layernorm_after'), mlp);
}

export class ViTEncoder {
  private readonly positionCache = new RecentCache<Float32Array>(RECENT_SHAPES);

  constructor(
    readonly config: ViTConfig,
    readonly patchEmbed: PatchEmbed,
    /** [hidden]: cls_token + the class position embedding. */
    readonly classRow: Float32Array,
    /** [1 + gh * gw, hidden]: the config's grid. */
    readonly positions: Float32Array,
    readonly blocks: readonly TransformerBlock[],
    readonly norm: LayerNorm,
  ) {}

  /** Weights named like Hugging Face's ViTModel under `weights`' prefix ('' or 'vit.'). */
  static load(config: ViTConfig, weights: Weights, loadBlock: BlockLoader = loadViTBlock): ViTEncoder {
    const c = config;
    const { patchEmbed, positions, cls } = loadPatchEmbeddings(c, weights);
    const blocks = Array.from({ length: c.numHiddenLayers }, (_, i) => loadBlock(weights.scope(`encoder.layer.${i}.`), c, i));
    const norm = LayerNorm.load(weights, 'layernorm', c.hiddenSize, c.layerNormEps);
    return new ViTEncoder(config, patchEmbed, cls, positions, blocks, norm);
  }

  get hiddenSize(): number {
    return this.config.hiddenSize;
  }

  /** Patch position rows [P, hidden] for a patch grid, resampled from the config's grid when they differ. */
  private patchPositions(grid: readonly [number, number]): Float32Array {
    return this.positionCache.get(grid.join('x'), () => {
      const h = this.hiddenSize;
      const base = this.patchEmbed.patchGrid(this.config.imageSize) as [number, number];
      const stored = this.positions.subarray(h);
      return base[0] === grid[0] && base[1] === grid[1] ? stored : interpolateGrid2d(stored, base, grid, h);
    });
  }

  /**
   * Adds the embeddings and every block for pixels [B, C, H, W]; the returned buffers' `h` holds
   * the last block's output [B*N, hidden] (before the final layernorm) once the program ran.
   */
  emit(program: Program, pixels: TensorLike): BlockBuffers {
    const [batch, , height, width] = pixels.shape;
    const grid = this.patchEmbed.patchGrid([height, width]) as [number, number];
    const tokens = 1 + grid[0] * grid[1];
    const h = this.hiddenSize;
    const buffers = allocateBlockBuffers(batch, tokens, grid, h, this.config.intermediateSize);
    const positions = this.patchPositions(grid);
    const scratch = new Float32Array(batch * grid[0] * grid[1] * this.patchEmbed.projection.inFeatures);
    const count = tokens - 1;
    this.patchEmbed.emit(program, pixels, scratch, (i) => ({
      out: rowsView(buffers.h, count, h, h, (i * tokens + 1) * h),
      add: rowsView(positions, count, h),
    }));
    emitClassTokens(program, buffers.h, batch, tokens, this.classRow);
    for (const block of this.blocks) block.emit(program, buffers);
    return buffers;
  }
}
