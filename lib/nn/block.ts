/**
 * The pre-norm transformer block of ViT (and of TimeSformer's and the axial model's layers):
 *   h += Attention(LN1(h));  h += MLP(LN2(h))      h: [B*N, C], updated in place.
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
  /** The residual stream [B*N*C]. */
  h: Float32Array;
  /** [B*N*C], [B*N*3C], [B*N*C], [B*N*I]. */
  norm: Float32Array;
  qkv: Float32Array;
  ctx: Float32Array;
  hidden: Float32Array;
}

/** Scratch for `blocks` over B*N tokens: their largest needs. */
export function allocateBlockBuffers(batch: number, tokens: number, channels: number, hiddenFeatures: number): BlockBuffers {
  const rows = batch * tokens;
  return {
    batch,
    tokens,
    h: new Float32Array(rows * channels),
    norm: new Float32Array(rows * channels),
    qkv: new Float32Array(rows * 3 * channels),
    ctx: new Float32Array(rows * channels),
    hidden: new Float32Array(rows * hiddenFeatures),
  };
}

export class TransformerBlock {
  constructor(
    readonly norm1: LayerNorm,
    readonly attention: MultiHeadAttention,
    readonly norm2: LayerNorm,
    readonly mlp: Mlp,
  ) {}

  emit(program: Program, b: BlockBuffers, pattern?: Pattern | CompiledPattern): void {
    const c = this.attention.channels;
    const rows = b.batch * b.tokens;
    const h = rowsView(b.h, rows, c);
    const norm = rowsView(b.norm, rows, c);
    this.norm1.emit(program, h, norm);
    this.attention.emit(program, { batch: b.batch, tokens: b.tokens, x: norm, residual: h, qkv: b.qkv, ctx: b.ctx, ...(pattern ? { pattern } : {}) });
    this.norm2.emit(program, h, norm);
    this.mlp.emit(program, norm, h, b.hidden);
  }
}
