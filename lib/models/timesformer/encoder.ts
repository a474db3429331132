/**
 * TimeSformer's backbone (TimesformerEmbeddings + TimesformerEncoder + final layernorm) for
 * pixel values [B, T, C, H, W]:
 *   divided_space_time, joint_space_time: one sequence per clip, N = 1 + P*T tokens in
 *     Hugging Face's patch-major order (token 1 + p*T + t), with position (per patch) and time
 *     (per frame) embeddings;
 *   space_only: one sequence per frame (B*T items of 1 + P tokens), no time embeddings.
 * When the input's patch grid or frame count differs from the config's, position and time
 * embeddings are resampled by nearest neighbour, as Hugging Face's forward does.
 */
import { MultiHeadAttention } from '../../nn/attention';
import type { BlockBuffers } from '../../nn/block';
import { TransformerBlock, allocateBlockBuffers } from '../../nn/block';
import { emitClassTokens } from '../../nn/class-token';
import { LayerNorm } from '../../nn/layer-norm';
import { Mlp } from '../../nn/mlp';
import type { PatchEmbed } from '../../nn/patch-embed';
import { nearestGrid } from '../../nn/position';
import type { Program } from '../../nn/program';
import { rowsView } from '../../nn/program';
import type { Weights } from '../../nn/weights';
import { Tensor } from '../../tensor';
import { loadPatchEmbeddings } from '../patch-embeddings';
import type { TimesformerConfig } from './config';
import type { DividedBuffers } from './divided-block';
import { DividedSpaceTimeBlock } from './divided-block';

/** The encoder's output layout: `items` sequences of `tokens` tokens in buffers.h. */
export interface EncodedTokens {
  buffers: BlockBuffers;
  items: number;
  tokens: number;
}

function loadBlock(weights: Weights, c: TimesformerConfig, layer: number): TransformerBlock | DividedSpaceTimeBlock {
  const pattern = c.layerPatterns[layer];
  if (c.attentionType === 'divided_space_time') return DividedSpaceTimeBlock.load(weights, c, pattern);
  const h = c.hiddenSize;
  const norm = (name: string): LayerNorm => LayerNorm.load(weights, name, h, c.layerNormEps);
  const attention = MultiHeadAttention.loadFused(weights, { qkv: 'attention.attention.qkv', output: 'attention.output.dense' }, h, c.numAttentionHeads, c.qkvBias);
  const mlp = Mlp.load(weights, { up: 'intermediate.dense', down: 'output.dense' }, h, c.intermediateSize, c.hiddenAct);
  return new TransformerBlock([{ norm: norm('layernorm_before'), attention, ...(pattern ? { pattern } : {}) }], norm('layernorm_after'), mlp);
}

export class TimesformerEncoder {
  constructor(
    readonly config: TimesformerConfig,
    readonly patchEmbed: PatchEmbed,
    /** [hidden]: cls_token + the class position embedding. */
    readonly classRow: Float32Array,
    /** [1 + P0, hidden] for the config's patch grid. */
    readonly positions: Float32Array,
    /** [T0, hidden], or null for space_only. */
    readonly timeEmbeddings: Float32Array | null,
    readonly blocks: readonly (TransformerBlock | DividedSpaceTimeBlock)[],
    readonly norm: LayerNorm,
  ) {}

  /** Weights named like Hugging Face's TimesformerModel under `weights`' prefix. */
  static load(config: TimesformerConfig, weights: Weights): TimesformerEncoder {
    const c = config;
    const h = c.hiddenSize;
    const { patchEmbed, positions, cls } = loadPatchEmbeddings(c, weights);
    const time = c.attentionType === 'space_only' ? null : weights.get('embeddings.time_embeddings', [1, c.numFrames, h]).data.slice(0, c.numFrames * h);
    const blocks = Array.from({ length: c.numHiddenLayers }, (_, i) => loadBlock(weights.scope(`encoder.layer.${i}.`), c, i));
    const norm = LayerNorm.load(weights, 'layernorm', h, c.layerNormEps);
    return new TimesformerEncoder(config, patchEmbed, cls, positions, time, blocks, norm);
  }

  /** Patch position rows [P, hidden] for a patch grid (nearest-resampled from the config's). */
  private patchPositions(grid: readonly [number, number]): Float32Array {
    const h = this.config.hiddenSize;
    const base = this.patchEmbed.patchGrid(this.config.imageSize);
    const stored = this.positions.subarray(h);
    return base[0] === grid[0] && base[1] === grid[1] ? stored : nearestGrid(stored, base, grid, h);
  }

  /** Per frame t, the rows added to its patches: positions + time[t] ([T, P, hidden]). */
  private patchEmbeddings(grid: readonly [number, number], frames: number): Float32Array {
    const h = this.config.hiddenSize;
    const positions = this.patchPositions(grid);
    const patches = grid[0] * grid[1];
    const out = new Float32Array(frames * patches * h);
    const time = this.timeEmbeddings;
    const times = time ? (frames === this.config.numFrames ? time : nearestGrid(time, [this.config.numFrames], [frames], h)) : null;
    for (let t = 0; t < frames; t++) {
      for (let i = 0; i < patches * h; i++) out[t * patches * h + i] = positions[i] + (times ? times[t * h + (i % h)] : 0);
    }
    return out;
  }

  /** Embeddings and every block for pixels [B, T, C, H, W]; buffers.h holds the result (before the final layernorm). */
  emit(program: Program, pixels: Tensor): EncodedTokens {
    const [batch, frames, channels, height, width] = pixels.shape;
    const h = this.config.hiddenSize;
    const grid = this.patchEmbed.patchGrid([height, width]) as [number, number];
    const patches = grid[0] * grid[1];
    const perFrame = this.config.attentionType === 'space_only';
    const items = perFrame ? batch * frames : batch;
    const tokens = perFrame ? 1 + patches : 1 + patches * frames;
    const buffers = allocateBlockBuffers(items, tokens, perFrame ? grid : [...grid, frames], h, this.config.intermediateSize);
    const added = this.patchEmbeddings(grid, frames);
    const images = new Tensor(pixels.data, [batch * frames, channels, height, width]);
    const scratch = new Float32Array(batch * frames * patches * this.patchEmbed.projection.inFeatures);
    this.patchEmbed.emit(program, images, scratch, (i) => {
      const [b, t] = [Math.floor(i / frames), i % frames];
      const out = perFrame ? rowsView(buffers.h, patches, h, h, (i * tokens + 1) * h) : rowsView(buffers.h, patches, h, frames * h, (b * tokens + 1 + t) * h);
      return { out, add: rowsView(added, patches, h, h, t * patches * h) };
    });
    emitClassTokens(program, buffers.h, items, tokens, this.classRow);
    const divided: DividedBuffers = { ...buffers, frames, clsContext: new Float32Array(batch * frames * h), clsSum: new Float32Array(batch * h) };
    for (const block of this.blocks) {
      if (block instanceof DividedSpaceTimeBlock) block.emit(program, divided);
      else block.emit(program, buffers);
    }
    return { buffers, items, tokens };
  }
}
