/**
 * The pre-norm transformer block of ViT (and of TimeSformer's joint / space-only layers and the
 * axial model's layers):
 *   for each attention sub-layer: h += Attention(LN(h));  then h += MLP(LN(h))
 *   h: [B*N, C], updated in place.
 */
import type { CompiledPattern } from '../patterns/compile';
import type { Pattern } from '../patterns/types';
import type { MultiHeadAttention } from './attention';
import type { LayerNorm } from './layer-norm';
import type { Mlp } from './mlp';
import type { Program } from './program';
import { rowsView } from './program';

/** Scratch buffers shared by every block of a program (sizes in elements). */
export interface BlockBuffers {
  batch: number;
  tokens: number;
  /** The grid of the non-class tokens (e.g. [gh, gw] patches), for grid patterns. */
  grid: readonly number[];
  /** The residual stream [B*N*C]. */
  h: Float32Array;
  /** [B*N*C], [B*N*3C], [B*N*C], [B*N*I]. */
  norm: Float32Array;
  qkv: Float32Array;
  ctx: Float32Array;
  hidden: Float32Array;
}

/** Scratch for `blocks` over B*N tokens: their largest needs. */
export function allocateBlockBuffers(batch: number, tokens: number, grid: readonly number[], channels: number, hiddenFeatures: number): BlockBuffers {
  const rows = batch * tokens;
  return {
    batch,
    tokens,
    grid,
    h: new Float32Array(rows * channels),
    norm: new Float32Array(rows * channels),
    qkv: new Float32Array(rows * 3 * channels),
    ctx: new Float32Array(rows * channels),
    hidden: new Float32Array(rows * hiddenFeatures),
  };
}

/** Which keys each query sees, given the token grid of the input (e.g. [gh, gw]); undefined: all. */
export type PatternFor = (grid: readonly number[]) => Pattern | CompiledPattern | undefined;

/** One attention sub-layer: h += attention(norm(h)), with its pattern. */
export interface AttentionSublayer {
  norm: LayerNorm;
  attention: MultiHeadAttention;
  pattern?: PatternFor;
}

export class TransformerBlock {
  constructor(
    /** Applied in order (ViT: one; the axial model: rows, then columns). */
    readonly attentions: readonly AttentionSublayer[],
    readonly mlpNorm: LayerNorm,
    readonly mlp: Mlp,
  ) {}

  emit(program: Program, b: BlockBuffers): void {
    const c = this.mlp.fc2.outFeatures;
    const rows = b.batch * b.tokens;
    const h = rowsView(b.h, rows, c);
    const norm = rowsView(b.norm, rows, c);
    for (const { norm: layerNorm, attention, pattern } of this.attentions) {
      layerNorm.emit(program, h, norm);
      const p = pattern?.(b.grid);
      attention.emit(program, { batch: b.batch, tokens: b.tokens, x: norm, residual: h, qkv: b.qkv, ctx: b.ctx, ...(p ? { pattern: p } : {}) });
    }
    this.mlpNorm.emit(program, h, norm);
    this.mlp.emit(program, norm, h, b.hidden);
  }
}
