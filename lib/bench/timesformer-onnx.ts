/**
 * Hugging Face's TimesformerForVideoClassification as an ONNX model built in memory from weights
 * with Hugging Face's parameter names (timesformer-weights.ts): the onnxruntime baseline of the
 * TimeSformer benchmark. Plain ONNX ops only (no com.microsoft contrib ops), in the structure of
 * modeling_timesformer.py (docs/models.md, test/fixtures/README.md); h = hidden, d = h / heads,
 * P = patches per frame, T = frames, B symbolic ('batch'):
 *
 *   pixel_values [B, T, C, H, W] -> Reshape [B*T, C, H, W] -> Conv (kernel = stride = patch)
 *   divided_space_time, joint_space_time: one sequence of 1 + P*T tokens per clip, patch-major
 *     -> Reshape [B, T, h, P] -> Transpose [B, P, T, h] -> Reshape [B, P*T, h]
 *     -> Add (position_embeddings[1 + p] + time_embeddings[t], folded into one [P*T, h] constant)
 *     -> Concat(Expand(cls_token + position_embeddings[0], [B, 1, h]), patches): token 1 + p*T + t
 *   space_only: one sequence of 1 + P tokens per frame ([B*T, 1 + P, h]), positions only
 *   self-attention (TimesformerSelfAttention) on x [S, L, h]: MatMul(x, qkv^T) (+ bias)
 *     -> Reshape [S, L, 3, heads, d] -> Transpose [3, S, heads, L, d] -> Gather q, k, v
 *     -> MatMul(q, k^T) -> Div sqrt(d) -> Softmax -> MatMul v -> Transpose -> Reshape [S, L, h]
 *   joint / space_only layer: x += output.dense(attn(layernorm_before(x)));
 *     x += output.dense(GELU(intermediate.dense(layernorm_after(x))))
 *   divided layer (x = [cls; X], X the P*T patch tokens):
 *     temporal: Reshape X [B*P, T, h] (each patch's T tokens) -> temporal_layernorm
 *       -> temporal_attention (+ its output.dense) -> temporal_dense -> Xt = X + that
 *     spatial: Xt -> Reshape [B, P, T, h] -> Transpose [B, T, P, h] -> Reshape [B*T, P, h];
 *       the layer input's class token repeated per frame (Expand [B, T, 1, h] -> [B*T, 1, h])
 *       -> Concat [B*T, 1 + P, h] -> layernorm_before -> attention (+ output.dense) = Rs
 *     cls' = cls + ReduceMean over the T frames of Rs[:, 0]; X' = Xt + Rs[:, 1:] back in
 *       patch-major order; x = Concat(cls', X') -> the MLP as above
 *   -> LayerNormalization (timesformer.layernorm) -> Gather token 0 -> Gemm (classifier)
 *   -> logits [B, labels] (space_only: one row per frame, [B*T, labels], as Hugging Face does)
 *
 * Other frame counts and frame sizes: the time embeddings and the patch positions are resampled
 * by nearest neighbour when the graph is built (as Hugging Face's forward does at run time), and
 * divided layers group tokens by the input's real frame count (as tessera and the original
 * TimeSformer do; Hugging Face regroups by config.num_frames, docs/models.md).
 */
import { attr, buildOnnxModel } from '../io/onnx-builder';
import { nearestGrid } from '../nn/position';
import type { TensorLike } from '../tensor';
import { GraphBuilder, gelu, layerNorm, linear, scaledDotProduct } from './onnx-graph';
import type { ViTOrtOptions, ViTOrtSession } from './vit-ort';
import { createPixelSession } from './vit-ort';
import type { HfTimesformerConfig, ResolvedTimesformerConfig } from './timesformer-weights';
import { resolveTimesformerConfig, timesformerLayerPrefix } from './timesformer-weights';

/** The graph's input [batch, T, C, H, W] and output [batch, labels] ([batch * T, labels] for space_only). */
export const TIMESFORMER_INPUT = 'pixel_values';
export const TIMESFORMER_OUTPUT = 'logits';

const CALLER = 'buildTimesformerOnnx';
/** Slice's "to the end". */
const INT64_MAX = Number.MAX_SAFE_INTEGER;

export interface TimesformerOnnxOptions {
  /** The default ONNX domain's opset; 17 (the first with LayerNormalization) or later. Default 17. */
  opset?: number;
  /** Frames per clip of the input; default the config's num_frames (other counts resample the time embeddings). */
  frames?: number;
  /** The input's frame size; default the config's image_size (other sizes resample the patch positions). */
  inputHeight?: number;
  inputWidth?: number;
}

/** The sizes of one graph: the config's, and the input's frames and patch grid. */
interface Sizes {
  c: ResolvedTimesformerConfig;
  frames: number;
  grid: [number, number];
  /** Patches per frame. */
  patches: number;
  opset: number;
}

interface Constants {
  /** [0, 0, 3, heads, d]: Reshape's 0 copies the two leading dims. */
  splitQkv: string;
  /** [0, 0, h] */
  merge: string;
  sqrtHeadDim: string;
  /** Slice's starts/ends [0], [1], [INT64_MAX] on axes [1] (made on first use: only divided layers slice). */
  slice: () => { zero: string; one: string; end: string; axis1: string };
}

/** TimesformerSelfAttention + TimeSformerAttention's output.dense on x [S, L, h]. */
function attention(g: GraphBuilder, x: string, prefix: string, s: Sizes, k: Constants, output: string): string {
  const h = s.c.hidden;
  const qkv = linear(g, x, `${prefix}.attention.qkv`, 3 * h, h, s.c.qkvBias, `${output}_qkv`); // [S, L, 3h]
  const split = g.op('Reshape', [qkv, k.splitQkv], `${output}_qkv_split`); // [S, L, 3, heads, d]
  const heads = g.op('Transpose', [split], `${output}_qkv_heads`, { perm: attr.ints([2, 0, 3, 1, 4]) }); // [3, S, heads, L, d]
  const part = (index: number, name: string): string => g.op('Gather', [heads, g.int(`${output}_${name}_index`, index)], `${output}_${name}`, { axis: attr.int(0) });
  const q = part(0, 'query');
  const kT = g.op('Transpose', [part(1, 'key')], `${output}_key_t`, { perm: attr.ints([0, 1, 3, 2]) }); // [S, heads, d, L]
  const v = part(2, 'value');
  const context = scaledDotProduct(g, q, kT, v, k.sqrtHeadDim, `${output}_context`); // [S, heads, L, d]
  const merged = g.op('Transpose', [context], `${output}_context_slhd`, { perm: attr.ints([0, 2, 1, 3]) });
  const flat = g.op('Reshape', [merged, k.merge], `${output}_context_flat`); // [S, L, h]
  return linear(g, flat, `${prefix}.output.dense`, h, h, true, output);
}

/** x += output.dense(GELU(intermediate.dense(layernorm_after(x)))). */
function mlp(g: GraphBuilder, x: string, p: string, s: Sizes, at: (name: string) => string): string {
  const { hidden: h, intermediate } = s.c;
  const normed = layerNorm(g, x, `${p}.layernorm_after`, h, s.c.eps, at('ln_after'));
  const up = linear(g, normed, `${p}.intermediate.dense`, intermediate, h, true, at('intermediate'));
  const down = linear(g, gelu(g, up, s.c.act, at('gelu')), `${p}.output.dense`, h, intermediate, true, at('output'));
  return g.op('Add', [down, x], at('residual2'));
}

/** A joint_space_time or space_only layer on x [S, L, h]. */
function plainLayer(g: GraphBuilder, x: string, index: number, s: Sizes, k: Constants): string {
  const p = timesformerLayerPrefix(index);
  const at = (name: string): string => `layer${index}.${name}`;
  const normed = layerNorm(g, x, `${p}.layernorm_before`, s.c.hidden, s.c.eps, at('ln_before'));
  const residual = g.op('Add', [attention(g, normed, `${p}.attention`, s, k, at('attention')), x], at('residual1'));
  return mlp(g, residual, p, s, at);
}

/** ReduceMean over axis 1, keeping it (axes an attribute before opset 18, an input from 18). */
function meanOverAxis1(g: GraphBuilder, x: string, s: Sizes, output: string): string {
  if (s.opset >= 18) return g.op('ReduceMean', [x, g.ints(`${output}_axes`, [1])], output, { keepdims: attr.int(1) });
  return g.op('ReduceMean', [x], output, { axes: attr.ints([1]), keepdims: attr.int(1) });
}

/** A divided_space_time layer on x [B, 1 + P*T, h] (patch-major tokens). */
function dividedLayer(g: GraphBuilder, x: string, index: number, s: Sizes, k: Constants): string {
  const p = timesformerLayerPrefix(index);
  const at = (name: string): string => `layer${index}.${name}`;
  const { hidden: h, eps } = s.c;
  const [frames, patches] = [s.frames, s.patches];
  const { zero, one, end, axis1 } = k.slice();
  const cls = g.op('Slice', [x, zero, one, axis1], at('cls')); // [B, 1, h]
  const tokens = g.op('Slice', [x, one, end, axis1], at('patches')); // [B, P*T, h]

  // temporal: each patch's T tokens (consecutive in patch-major order); the class token takes no part
  const byPatch = g.op('Reshape', [tokens, g.ints(at('shape_bp_t_h'), [-1, frames, h])], at('temporal_in')); // [B*P, T, h]
  const temporalNormed = layerNorm(g, byPatch, `${p}.temporal_layernorm`, h, eps, at('temporal_ln'));
  const temporal = attention(g, temporalNormed, `${p}.temporal_attention`, s, k, at('temporal_attention'));
  const dense = linear(g, temporal, `${p}.temporal_dense`, h, h, true, at('temporal_dense'));
  const temporalTokens = g.op('Reshape', [dense, g.ints(at('shape_b_pt_h'), [-1, patches * frames, h])], at('temporal_tokens'));
  const updated = g.op('Add', [tokens, temporalTokens], at('temporal_residual')); // Xt [B, P*T, h]

  // spatial: per frame, the layer input's class token and that frame's (updated) patches
  const grid = g.op('Reshape', [updated, g.ints(at('shape_b_p_t_h'), [-1, patches, frames, h])], at('patch_grid'));
  const frameMajor = g.op('Transpose', [grid], at('frame_major'), { perm: attr.ints([0, 2, 1, 3]) }); // [B, T, P, h]
  const perFrame = g.op('Reshape', [frameMajor, g.ints(at('shape_bt_p_h'), [-1, patches, h])], at('frame_patches')); // [B*T, P, h]
  const cls4 = g.op('Reshape', [cls, g.ints(at('shape_b_1_1_h'), [-1, 1, 1, h])], at('cls_4d'));
  const clsRepeated = g.op('Expand', [cls4, g.ints(at('shape_1_t_1_1'), [1, frames, 1, 1])], at('cls_per_frame')); // [B, T, 1, h]
  const clsFrames = g.op('Reshape', [clsRepeated, g.ints(at('shape_bt_1_h'), [-1, 1, h])], at('cls_frames')); // [B*T, 1, h]
  const sequences = g.op('Concat', [clsFrames, perFrame], at('spatial_in'), { axis: attr.int(1) }); // [B*T, 1 + P, h]
  const spatialNormed = layerNorm(g, sequences, `${p}.layernorm_before`, h, eps, at('ln_before'));
  const spatial = attention(g, spatialNormed, `${p}.attention`, s, k, at('attention')); // [B*T, 1 + P, h]

  // the class token: the mean of its T per-frame results; the patches: back to patch-major order
  const clsOut = g.op('Slice', [spatial, zero, one, axis1], at('spatial_cls')); // [B*T, 1, h]
  const clsByClip = g.op('Reshape', [clsOut, g.ints(at('shape_b_t_h'), [-1, frames, h])], at('spatial_cls_clip')); // [B, T, h]
  const clsMean = meanOverAxis1(g, clsByClip, s, at('spatial_cls_mean')); // [B, 1, h]
  const patchOut = g.op('Slice', [spatial, one, end, axis1], at('spatial_patches')); // [B*T, P, h]
  const patchGrid = g.op('Reshape', [patchOut, g.ints(at('shape_b_t_p_h'), [-1, frames, patches, h])], at('spatial_grid'));
  const patchMajor = g.op('Transpose', [patchGrid], at('spatial_patch_major'), { perm: attr.ints([0, 2, 1, 3]) }); // [B, P, T, h]
  const patchTokens = g.op('Reshape', [patchMajor, g.ints(at('shape_b_pt_h_2'), [-1, patches * frames, h])], at('spatial_tokens'));
  const newCls = g.op('Add', [cls, clsMean], at('cls_residual'));
  const newPatches = g.op('Add', [updated, patchTokens], at('spatial_residual'));
  const joined = g.op('Concat', [newCls, newPatches], at('residual1'), { axis: attr.int(1) }); // [B, 1 + P*T, h]
  return mlp(g, joined, p, s, at);
}

function checkSide(key: string, value: number, patch: number): void {
  if (!Number.isInteger(value) || value < patch) {
    throw new RangeError(`${CALLER}: options.${key} must be an integer of at least the patch size ${patch}, received ${value}`);
  }
}

function sizes(config: HfTimesformerConfig, options: TimesformerOnnxOptions): Sizes {
  const c = resolveTimesformerConfig(config);
  const opset = options.opset ?? 17;
  if (!Number.isInteger(opset) || opset < 17) {
    throw new RangeError(`${CALLER}: options.opset must be an integer >= 17 (LayerNormalization), received ${opset}`);
  }
  const frames = options.frames ?? c.frames;
  if (!Number.isInteger(frames) || frames < 1) throw new RangeError(`${CALLER}: options.frames must be a positive integer, received ${frames}`);
  const height = options.inputHeight ?? c.image[0];
  const width = options.inputWidth ?? c.image[1];
  checkSide('inputHeight', height, c.patch[0]);
  checkSide('inputWidth', width, c.patch[1]);
  // Conv with kernel = stride = patch drops any remainder, as PyTorch's does.
  const grid: [number, number] = [Math.floor(height / c.patch[0]), Math.floor(width / c.patch[1])];
  return { c, frames, grid, patches: grid[0] * grid[1], opset };
}

/**
 * What the embeddings add, constant-folded: the class row cls_token + position_embeddings[0]
 * [h], and per patch token the patch position (resampled to the input grid) plus, except for
 * space_only, the time embedding of its frame (resampled to the input's frames): [P*T, h] in
 * patch-major order, or [P, h] for space_only.
 */
function embeddingConstants(g: GraphBuilder, s: Sizes): { clsRow: Float32Array; patchRows: Float32Array } {
  const { c, grid, frames, patches } = s;
  const h = c.hidden;
  const cls = g.weight('timesformer.embeddings.cls_token', [1, 1, h]);
  const table = g.weight('timesformer.embeddings.position_embeddings', [1, c.tokens, h]);
  const clsRow = new Float32Array(h);
  for (let i = 0; i < h; i++) clsRow[i] = cls[i] + table[i];
  const stored = table.subarray(h);
  const positions = grid[0] === c.grid[0] && grid[1] === c.grid[1] ? stored : nearestGrid(stored, c.grid, grid, h);
  if (c.attentionType === 'space_only') return { clsRow, patchRows: positions.slice() };
  const time = g.weight('timesformer.embeddings.time_embeddings', [1, c.frames, h]);
  const times = frames === c.frames ? time : nearestGrid(time, [c.frames], [frames], h);
  const patchRows = new Float32Array(patches * frames * h);
  for (let p = 0; p < patches; p++) {
    for (let t = 0; t < frames; t++) {
      const row = (p * frames + t) * h;
      for (let i = 0; i < h; i++) patchRows[row + i] = positions[p * h + i] + times[t * h + i];
    }
  }
  return { clsRow, patchRows };
}

/**
 * The ONNX model (serialized ModelProto) of TimesformerForVideoClassification with these
 * weights (attention_type divided_space_time, joint_space_time or space_only): input
 * `pixel_values` [batch, T, C, H, W] (batch symbolic) -> output `logits` [batch, labels]
 * (space_only: [batch * T, labels]). Throws (naming it) on a missing weight or one of the wrong shape.
 */
export function buildTimesformerOnnx(config: HfTimesformerConfig, weights: ReadonlyMap<string, TensorLike>, options: TimesformerOnnxOptions = {}): Uint8Array {
  const s = sizes(config, options);
  const { c, frames, patches } = s;
  const h = c.hidden;
  const [height, width] = [options.inputHeight ?? c.image[0], options.inputWidth ?? c.image[1]];
  const g = new GraphBuilder(weights, CALLER);
  g.name(TIMESFORMER_INPUT);
  const { clsRow, patchRows } = embeddingConstants(g, s);

  // Patch embedding of the B*T frames: [B*T, h, gh, gw]
  const images = g.op('Reshape', [TIMESFORMER_INPUT, g.ints('shape_bt_c_h_w', [-1, c.channels, height, width])], 'frames');
  const conv = g.op('Conv', [images, g.param('timesformer.embeddings.patch_embeddings.projection.weight', [h, c.channels, c.patch[0], c.patch[1]]), g.param('timesformer.embeddings.patch_embeddings.projection.bias', [h])], 'patch_conv', {
    kernel_shape: attr.ints(c.patch),
    strides: attr.ints(c.patch),
  });
  const spaceOnly = c.attentionType === 'space_only';
  let tokens: string;
  let sequences: string; // what gives the class token's leading dim: pixel_values (B) or the conv (B*T)
  if (spaceOnly) {
    const flat = g.op('Reshape', [conv, g.ints('shape_bt_h_p', [0, h, -1])], 'patch_flat');
    const perFrame = g.op('Transpose', [flat], 'patch_tokens', { perm: attr.ints([0, 2, 1]) }); // [B*T, P, h]
    tokens = g.op('Add', [perFrame, g.initializer('patch_position_embeddings', [patches, h], patchRows)], 'patch_embeddings');
    sequences = conv;
  } else {
    const byClip = g.op('Reshape', [conv, g.ints('shape_b_t_h_p', [-1, frames, h, patches])], 'patch_flat'); // [B, T, h, P]
    const patchMajor = g.op('Transpose', [byClip], 'patch_major', { perm: attr.ints([0, 3, 1, 2]) }); // [B, P, T, h]
    const flat = g.op('Reshape', [patchMajor, g.ints('shape_b_pt_h', [-1, patches * frames, h])], 'patch_tokens');
    tokens = g.op('Add', [flat, g.initializer('patch_position_time_embeddings', [patches * frames, h], patchRows)], 'patch_embeddings');
    sequences = TIMESFORMER_INPUT;
  }
  const leading = g.op('Shape', [sequences], 'sequence_count', { start: attr.int(0), end: attr.int(1) });
  const clsShape = g.op('Concat', [leading, g.ints('one_h', [1, h])], 'cls_shape', { axis: attr.int(0) });
  const cls = g.op('Expand', [g.initializer('cls_embedding', [1, 1, h], clsRow), clsShape], 'cls_tokens');
  let x = g.op('Concat', [cls, tokens], 'embeddings', { axis: attr.int(1) });

  let slice: ReturnType<Constants['slice']> | undefined;
  const constants: Constants = {
    splitQkv: g.ints('shape_qkv_split', [0, 0, 3, c.heads, c.headDim]),
    merge: g.ints('shape_merge', [0, 0, h]),
    sqrtHeadDim: g.scalar('sqrt_head_dim', Math.sqrt(c.headDim)),
    slice: () => (slice ??= { zero: g.ints('slice_zero', [0]), one: g.ints('slice_one', [1]), end: g.ints('slice_end', [INT64_MAX]), axis1: g.ints('slice_axis1', [1]) }),
  };
  for (let layer = 0; layer < c.layers; layer++) {
    x = c.attentionType === 'divided_space_time' ? dividedLayer(g, x, layer, s, constants) : plainLayer(g, x, layer, s, constants);
  }

  const normed = layerNorm(g, x, 'timesformer.layernorm', h, c.eps, 'last_hidden_state');
  const pooled = g.op('Gather', [normed, g.int('cls_index', 0)], 'cls_output', { axis: attr.int(1) });
  g.name(TIMESFORMER_OUTPUT);
  g.nodes.push({
    opType: 'Gemm',
    name: 'Gemm:classifier',
    inputs: [pooled, g.param('classifier.weight', [c.labels, h]), g.param('classifier.bias', [c.labels])],
    outputs: [TIMESFORMER_OUTPUT],
    attributes: { transB: attr.int(1) },
  });

  return buildOnnxModel({
    producerName: 'tessera timesformer-onnx',
    opsets: [{ domain: '', version: s.opset }],
    graph: {
      name: 'timesformer_for_video_classification',
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [{ name: TIMESFORMER_INPUT, dims: ['batch', frames, c.channels, height, width] }],
      outputs: [{ name: TIMESFORMER_OUTPUT, dims: [spaceOnly ? 'batch_x_frames' : 'batch', c.labels] }],
    },
  });
}

/** An onnxruntime session of a TimeSformer graph (intraOpNumThreads default 2, interOpNumThreads 1, sequential). */
export function createTimesformerSession(model: Uint8Array, options: ViTOrtOptions = {}): Promise<ViTOrtSession> {
  return createPixelSession(model, { name: 'TimeSformer', layout: ['B', 'T', 'C', 'H', 'W'] }, options, 'createTimesformerSession');
}
