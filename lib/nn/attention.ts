/**
 * MultiHeadAttention with a fused QKV projection: x [B*N, C] -> qkv [B, N, 3, H, D] (one GEMM),
 * the attention kernel reads q, k and v as strided views of that buffer (no transposes), writes
 * ctx [B, N, H, D], and the output projection adds the result onto the residual stream in place.
 */
import { attentionArgs } from '../ops/attention';
import type { CompiledPattern } from '../patterns/compile';
import type { Pattern } from '../patterns/types';
import { Tensor, shapeSize } from '../tensor';
import type { TensorLike } from '../tensor';
import { Linear } from './linear';
import type { Program } from './program';
import { rowsView } from './program';
import type { Weights } from './weights';

/** Buffers and sizes of one attention call inside a program. */
export interface AttentionBuffers {
  batch: number;
  tokens: number;
  /** Layer input (already normalized): [B*N, C]. */
  x: TensorLike;
  /** Residual stream [B*N, C]: the output projection is added onto it in place. */
  residual: TensorLike;
  /** Scratch [B*N*3C] and [B*N*C]. */
  qkv: Float32Array;
  ctx: Float32Array;
  /** Which keys each query sees (default: all). */
  pattern?: Pattern | CompiledPattern;
}

export class MultiHeadAttention {
  constructor(
    /** [3C, C] rows: query, then key, then value. */
    readonly qkv: Linear,
    readonly output: Linear,
    readonly heads: number,
  ) {}

  get channels(): number {
    return this.output.outFeatures;
  }

  /**
   * Hugging Face's separate projections `<name>.{query,key,value}` fused into one [3C, C] weight
   * (and [3C] bias when `bias`), and the output projection `<outName>`.
   */
  static loadSeparate(weights: Weights, names: { query: string; key: string; value: string; output: string }, channels: number, heads: number, bias: boolean): MultiHeadAttention {
    const parts = [names.query, names.key, names.value];
    const weight = concatRows(parts.map((p) => weights.get(`${p}.weight`, [channels, channels])));
    const fusedBias = bias ? concatRows(parts.map((p) => weights.get(`${p}.bias`, [channels]))) : null;
    const output = Linear.load(weights, names.output, channels, channels);
    return new MultiHeadAttention(new Linear(weight, fusedBias), output, heads);
  }

  /** One fused projection `<names.qkv>` [3C, C] (rows: query, key, value) and `<names.output>`. */
  static loadFused(weights: Weights, names: { qkv: string; output: string }, channels: number, heads: number, bias: boolean): MultiHeadAttention {
    const qkv = Linear.load(weights, names.qkv, channels, 3 * channels, bias ? 'required' : 'none');
    return new MultiHeadAttention(qkv, Linear.load(weights, names.output, channels, channels), heads);
  }

  /**
   * q, k and v of tokens [first, first + count) of each item, as [B, count, H, D] views of
   * qkv [B, N, 3, H, D] (no copies).
   */
  qkvViews(qkv: Float32Array, batch: number, tokens: number, first = 0, count = tokens - first): [TensorLike, TensorLike, TensorLike] {
    const c = this.channels;
    const d = c / this.heads;
    const shape = [batch, count, this.heads, d];
    const strides = [tokens * 3 * c, 3 * c, d, 1];
    const part = (i: number): TensorLike => ({ data: qkv.subarray(first * 3 * c + i * c), shape, strides });
    return [part(0), part(1), part(2)];
  }

  emit(program: Program, b: AttentionBuffers): void {
    const c = this.channels;
    const d = c / this.heads;
    const rows = b.batch * b.tokens;
    this.qkv.emit(program, b.x, rowsView(b.qkv, rows, 3 * c));
    const [q, k, v] = this.qkvViews(b.qkv, b.batch, b.tokens);
    const ctx = { data: b.ctx.subarray(0, rows * c), shape: [b.batch, b.tokens, this.heads, d] };
    const { args } = attentionArgs(q, k, v, { out: ctx, ...(b.pattern ? { pattern: b.pattern } : {}) });
    program.add('attention', args);
    this.output.emit(program, rowsView(b.ctx, rows, c), b.residual, { residual: b.residual });
  }
}

/** Stacks contiguous tensors along their first axis: [n_i, ...rest] -> [sum n_i, ...rest]. */
export function concatRows(parts: readonly Tensor[]): Tensor {
  const sizes = parts.map((t) => shapeSize(t.shape));
  const data = new Float32Array(sizes.reduce((a, b) => a + b, 0));
  let offset = 0;
  parts.forEach((t, i) => {
    data.set(t.data.subarray(0, sizes[i]), offset);
    offset += sizes[i];
  });
  const rows = parts.reduce((n, t) => n + t.shape[0], 0);
  return new Tensor(data, [rows, ...parts[0].shape.slice(1)]);
}
