/**
 * TimeSformer's divided space-time layer (modeling_timesformer.py, attention_type
 * "divided_space_time") on tessera's kernels, with the tokens left where they are:
 *   h: [B, N, C], N = 1 + P*T, patch-major (token 1 + p*T + t), class token at 0.
 *   1. temporal: patches attend along time (axial axes [2] of the [gh, gw, T] grid, the class
 *      token excluded); h[1:] += temporal_dense(output.dense(ctx)) — the two projections are
 *      composed into one at load time.
 *   2. spatial: each patch attends to its frame's patches and the class token (axial axes
 *      [0, 1], class token global); the class token attends once per frame (its frame's patches
 *      and itself: a T x N mask) and the T projected results are averaged. The projection is
 *      linear, so that mean is out(sum of the T contexts) with alpha = 1/T: T - 1 adds and one
 *      GEMM row per item, with the output projection's own packed weight.
 *   3. the MLP, as in every block.
 */
import { addArgs } from '../../ops/add';
import { attentionArgs } from '../../ops/attention';
import type { TensorLike } from '../../tensor';
import { Tensor } from '../../tensor';
import { linearSync, packWeight } from '../../ops/linear';
import { MultiHeadAttention } from '../../nn/attention';
import type { BlockBuffers, PatternFor } from '../../nn/block';
import { LayerNorm } from '../../nn/layer-norm';
import { Linear } from '../../nn/linear';
import { Mlp } from '../../nn/mlp';
import type { Program } from '../../nn/program';
import { rowsView } from '../../nn/program';
import type { Weights } from '../../nn/weights';
import type { EncoderConfig } from '../encoder-config';

/** Buffers of a divided layer: the block's, plus the class token's per-frame contexts and their sum. */
export interface DividedBuffers extends BlockBuffers {
  frames: number;
  /** [B*T*C] */
  clsContext: Float32Array;
  /** [B*C] */
  clsSum: Float32Array;
}

/** out = second(first(x)) as one Linear: W = W2 W1, b = W2 b1 + b2 (computed with the GEMM). */
function compose(first: { weight: Tensor; bias: Tensor }, second: { weight: Tensor; bias: Tensor }): Linear {
  const weight = linearSync(second.weight, packWeight(first.weight, 'in_out'));
  const bias = linearSync({ data: first.bias.data, shape: [1, first.bias.shape[0]] }, packWeight(second.weight, 'out_in'), { bias: second.bias.data });
  return new Linear(weight, bias);
}

/** T x N bits: row t allows the class token and frame t's patches (tokens 1 + p*T + t). */
export function classTokenMask(patches: number, frames: number): Uint8Array {
  const n = 1 + patches * frames;
  const bits = new Uint8Array(frames * n);
  for (let t = 0; t < frames; t++) {
    bits[t * n] = 1;
    for (let p = 0; p < patches; p++) bits[t * n + 1 + p * frames + t] = 1;
  }
  return bits;
}

export class DividedSpaceTimeBlock {
  constructor(
    readonly temporalNorm: LayerNorm,
    /** Temporal attention's fused qkv and its composed output projection (output.dense then temporal_dense). */
    readonly temporal: MultiHeadAttention,
    readonly spatialNorm: LayerNorm,
    readonly spatial: MultiHeadAttention,
    readonly mlpNorm: LayerNorm,
    readonly mlp: Mlp,
    /** The patches' spatial pattern on the [gh, gw, T] grid; default: axial axes [0, 1] (their frame). */
    private readonly spatialPattern?: PatternFor,
  ) {}

  /** One layer's weights (Hugging Face TimesformerLayer names under `weights`' prefix). */
  static load(weights: Weights, c: EncoderConfig, spatialPattern?: PatternFor): DividedSpaceTimeBlock {
    const h = c.hiddenSize;
    const norm = (name: string): LayerNorm => LayerNorm.load(weights, name, h, c.layerNormEps);
    const attention = (name: string): MultiHeadAttention =>
      MultiHeadAttention.loadFused(weights, { qkv: `${name}.attention.qkv`, output: `${name}.output.dense` }, h, c.numAttentionHeads, c.qkvBias);
    const temporal = attention('temporal_attention');
    const output = { weight: weights.get('temporal_attention.output.dense.weight', [h, h]), bias: weights.get('temporal_attention.output.dense.bias', [h]) };
    const dense = { weight: weights.get('temporal_dense.weight', [h, h]), bias: weights.get('temporal_dense.bias', [h]) };
    const mlp = Mlp.load(weights, { up: 'intermediate.dense', down: 'output.dense' }, h, c.intermediateSize, c.hiddenAct);
    return new DividedSpaceTimeBlock(
      norm('temporal_layernorm'),
      new MultiHeadAttention(temporal.qkv, compose(output, dense), c.numAttentionHeads),
      norm('layernorm_before'),
      attention('attention'),
      norm('layernorm_after'),
      mlp,
      spatialPattern,
    );
  }

  /** The sum of the class token's T frame contexts: [B, C] (frame 0's rows when T = 1). */
  private classContextSum(program: Program, b: DividedBuffers, c: number): TensorLike {
    const frame = (t: number): TensorLike => rowsView(b.clsContext, b.batch, c, b.frames * c, t * c);
    if (b.frames === 1) return frame(0);
    const sum = rowsView(b.clsSum, b.batch, c);
    for (let t = 1; t < b.frames; t++) program.add('add', addArgs(t === 1 ? frame(0) : sum, frame(t), { out: sum }).args);
    return sum;
  }

  emit(program: Program, b: DividedBuffers): void {
    const c = this.spatial.channels;
    const n = b.tokens;
    const rows = b.batch * n;
    const h = rowsView(b.h, rows, c);
    const norm = rowsView(b.norm, rows, c);
    const patchRows = (data: Float32Array, item: number): TensorLike => rowsView(data, n - 1, c, c, (item * n + 1) * c);
    const grid = b.grid;
    const heads = this.spatial.heads;
    const headShape = (tokens: number): number[] => [b.batch, tokens, heads, c / heads];

    // 1. temporal attention over the patches (tokens 1..N-1 of each item)
    this.temporalNorm.emit(program, h, norm);
    this.temporal.qkv.emit(program, norm, rowsView(b.qkv, rows, 3 * c));
    const [tq, tk, tv] = this.temporal.qkvViews(b.qkv, b.batch, n, 1);
    const temporalOut = { data: b.ctx.subarray(c), shape: headShape(n - 1), strides: [n * c, c, c / heads, 1] };
    program.add('attention', attentionArgs(tq, tk, tv, { out: temporalOut, pattern: { type: 'axial', grid, axes: [2] } }).args);
    for (let i = 0; i < b.batch; i++) this.temporal.output.emit(program, patchRows(b.ctx, i), patchRows(b.h, i), { residual: patchRows(b.h, i) });

    // 2. spatial attention: patches within their frame (+ the class token), the class token per frame
    this.spatialNorm.emit(program, h, norm);
    this.spatial.qkv.emit(program, norm, rowsView(b.qkv, rows, 3 * c));
    const [sq, sk, sv] = this.spatial.qkvViews(b.qkv, b.batch, n);
    const spatialPattern = this.spatialPattern?.(grid) ?? { type: 'axial' as const, grid, axes: [0, 1], offset: 1 };
    program.add('attention', attentionArgs(sq, sk, sv, { out: { data: b.ctx.subarray(0, rows * c), shape: headShape(n) }, pattern: spatialPattern }).args);
    const clsQuery = { data: sq.data, shape: headShape(b.frames), strides: [n * 3 * c, 0, c / heads, 1] };
    const clsOut = { data: b.clsContext.subarray(0, b.batch * b.frames * c), shape: headShape(b.frames) };
    const mask = { type: 'mask' as const, bits: classTokenMask(grid[0] * grid[1], b.frames) };
    program.add('attention', attentionArgs(clsQuery, sk, sv, { out: clsOut, pattern: mask }).args);
    for (let i = 0; i < b.batch; i++) this.spatial.output.emit(program, patchRows(b.ctx, i), patchRows(b.h, i), { residual: patchRows(b.h, i) });
    const clsRows = rowsView(b.h, b.batch, c, n * c);
    this.spatial.output.emit(program, this.classContextSum(program, b, c), clsRows, { residual: clsRows, alpha: 1 / b.frames });

    // 3. MLP
    this.mlpNorm.emit(program, h, norm);
    this.mlp.emit(program, norm, h, b.hidden);
  }
}
