/**
 * Hugging Face's ViTForImageClassification as an ONNX model built in memory from weights with
 * Hugging Face's parameter names (vit-weights.ts): the onnxruntime baseline of the ViT benchmark.
 *
 * The graph is what torch.onnx.export of the Hugging Face model gives, in spirit, with plain
 * ONNX ops only (no com.microsoft contrib ops; onnxruntime's optimizer may fuse the patterns
 * itself, e.g. into Attention, Gelu or SkipLayerNormalization):
 *   pixel_values [B, C, H, W]
 *   -> Conv (kernel = stride = patch) -> Reshape [B, h, N] -> Transpose [B, N, h]
 *   -> Concat(Expand(cls_token, [B, 1, h]), patches) -> Add position_embeddings
 *   -> per layer: LayerNormalization -> q, k, v = MatMul(x, W^T) (+ bias)
 *        -> Reshape [B, T, heads, d] -> Transpose -> MatMul(q, k^T) -> Div sqrt(d) -> Softmax
 *        -> MatMul v -> Transpose -> Reshape [B, T, h] -> MatMul + Add (output dense) -> Add residual
 *        -> LayerNormalization -> MatMul + Add -> GELU (erf or tanh form) -> MatMul + Add -> Add residual
 *   -> LayerNormalization -> Gather token 0 -> Gemm (classifier) -> logits [B, labels]
 * B is symbolic ('batch'): every Reshape copies it with 0, and the class token's Expand takes
 * it from Shape(pixel_values).
 */
import { attr, buildOnnxModel } from '../io/onnx-builder';
import type { TensorLike } from '../tensor';
import { GraphBuilder, gelu, layerNorm, linear, scaledDotProduct } from './onnx-graph';
import type { ResolvedViTConfig, HfViTConfig } from './vit-weights';
import { resolveViTConfig, vitLayerPrefix } from './vit-weights';

/** The graph's input [batch, C, H, W] and output [batch, labels]. */
export const VIT_INPUT = 'pixel_values';
export const VIT_OUTPUT = 'logits';

export interface ViTOnnxOptions {
  /** The default ONNX domain's opset; 17 (the first with LayerNormalization) or later. Default 17. */
  opset?: number;
  /**
   * The input's spatial size; default the config's image_size. Positions are not interpolated,
   * so (H / patch) * (W / patch) must equal the position embeddings' patch count.
   */
  inputHeight?: number;
  inputWidth?: number;
}

interface LayerConstants {
  /** [0, 0, heads, d] and [0, 0, h]: Reshape's 0 copies B and T. */
  splitShape: string;
  mergeShape: string;
  sqrtHeadDim: string;
}

/** One pre-norm encoder layer on x [B, T, h] (Hugging Face's ViTLayer). */
function encoderLayer(g: GraphBuilder, x: string, index: number, c: ResolvedViTConfig, k: LayerConstants): string {
  const p = vitLayerPrefix(index);
  const at = (name: string): string => `layer${index}.${name}`;
  const normed = layerNorm(g, x, `${p}.layernorm_before`, c.hidden, c.eps, at('ln_before'));
  const heads = (proj: string, perm: readonly number[]): string => {
    const flat = linear(g, normed, `${p}.attention.attention.${proj}`, c.hidden, c.hidden, c.qkvBias, at(proj));
    const split = g.op('Reshape', [flat, k.splitShape], at(`${proj}_split`)); // [B, T, heads, d]
    return g.op('Transpose', [split], at(`${proj}_heads`), { perm: attr.ints(perm) });
  };
  const q = heads('query', [0, 2, 1, 3]); // [B, heads, T, d]
  const kT = heads('key', [0, 2, 3, 1]); // [B, heads, d, T]
  const v = heads('value', [0, 2, 1, 3]); // [B, heads, T, d]
  const context = scaledDotProduct(g, q, kT, v, k.sqrtHeadDim, at('context')); // [B, heads, T, d]
  const merged = g.op('Transpose', [context], at('context_bthd'), { perm: attr.ints([0, 2, 1, 3]) });
  const flat = g.op('Reshape', [merged, k.mergeShape], at('context_flat')); // [B, T, h]
  const attended = linear(g, flat, `${p}.attention.output.dense`, c.hidden, c.hidden, true, at('attention_out'));
  const residual = g.op('Add', [attended, x], at('residual1'));
  const normed2 = layerNorm(g, residual, `${p}.layernorm_after`, c.hidden, c.eps, at('ln_after'));
  const up = linear(g, normed2, `${p}.intermediate.dense`, c.intermediate, c.hidden, true, at('intermediate'));
  const act = gelu(g, up, c.act, at('gelu'));
  const down = linear(g, act, `${p}.output.dense`, c.hidden, c.intermediate, true, at('output'));
  return g.op('Add', [down, residual], at('residual2'));
}

function checkInputSide(key: string, value: number, patch: number): void {
  if (!Number.isInteger(value) || value < 1 || value % patch !== 0) {
    throw new RangeError(`buildViTOnnx: options.${key} must be a positive multiple of the patch size ${patch}, received ${value}`);
  }
}

/**
 * The ONNX model (serialized ModelProto) of ViTForImageClassification with these weights:
 * input `pixel_values` [batch, C, H, W] (batch symbolic) -> output `logits` [batch, labels].
 * Throws (naming it) on a missing weight or one of the wrong shape.
 */
export function buildViTOnnx(config: HfViTConfig, weights: ReadonlyMap<string, TensorLike>, options: ViTOnnxOptions = {}): Uint8Array {
  const c = resolveViTConfig(config);
  const opset = options.opset ?? 17;
  if (!Number.isInteger(opset) || opset < 17) {
    throw new RangeError(`buildViTOnnx: options.opset must be an integer >= 17 (LayerNormalization), received ${opset}`);
  }
  const height = options.inputHeight ?? c.image[0];
  const width = options.inputWidth ?? c.image[1];
  checkInputSide('inputHeight', height, c.patch[0]);
  checkInputSide('inputWidth', width, c.patch[1]);
  const patches = (height / c.patch[0]) * (width / c.patch[1]);
  if (patches + 1 !== c.tokens) {
    throw new RangeError(
      `buildViTOnnx: a ${height}x${width} input gives ${patches} patches, but the position embeddings have ${c.tokens - 1} (image_size [${c.image.join(', ')}]); positions are not interpolated`,
    );
  }

  const g = new GraphBuilder(weights, 'buildViTOnnx');
  g.name(VIT_INPUT);
  const h = c.hidden;

  // Embeddings: [B, C, H, W] -> [B, h, gh, gw] -> [B, h, N] -> [B, N, h]; cls first, + positions.
  const convWeight = g.param('vit.embeddings.patch_embeddings.projection.weight', [h, c.channels, c.patch[0], c.patch[1]]);
  const convBias = g.param('vit.embeddings.patch_embeddings.projection.bias', [h]);
  const conv = g.op('Conv', [VIT_INPUT, convWeight, convBias], 'patch_conv', {
    kernel_shape: attr.ints(c.patch),
    strides: attr.ints(c.patch),
  });
  const flat = g.op('Reshape', [conv, g.ints('shape_b_h_n', [0, h, -1])], 'patch_flat');
  const tokens = g.op('Transpose', [flat], 'patch_tokens', { perm: attr.ints([0, 2, 1]) });
  const batch = g.op('Shape', [VIT_INPUT], 'batch_size', { start: attr.int(0), end: attr.int(1) }); // [B]
  const clsShape = g.op('Concat', [batch, g.ints('one_h', [1, h])], 'cls_shape', { axis: attr.int(0) }); // [B, 1, h]
  const cls = g.op('Expand', [g.param('vit.embeddings.cls_token', [1, 1, h]), clsShape], 'cls_tokens');
  const joined = g.op('Concat', [cls, tokens], 'tokens_with_cls', { axis: attr.int(1) });
  let x = g.op('Add', [joined, g.param('vit.embeddings.position_embeddings', [1, c.tokens, h])], 'embeddings');

  const constants: LayerConstants = {
    splitShape: g.ints('shape_b_t_heads_d', [0, 0, c.heads, c.headDim]),
    mergeShape: g.ints('shape_b_t_h', [0, 0, h]),
    sqrtHeadDim: g.scalar('sqrt_head_dim', Math.sqrt(c.headDim)),
  };
  for (let layer = 0; layer < c.layers; layer++) x = encoderLayer(g, x, layer, c, constants);

  // Final LayerNorm, the class token ([B, h]), the classifier.
  const normed = layerNorm(g, x, 'vit.layernorm', c.hidden, c.eps, 'last_hidden_state');
  const pooled = g.op('Gather', [normed, g.int('cls_index', 0)], 'cls_output', { axis: attr.int(1) });
  g.name(VIT_OUTPUT);
  g.nodes.push({
    opType: 'Gemm',
    name: 'Gemm:classifier',
    inputs: [pooled, g.param('classifier.weight', [c.labels, h]), g.param('classifier.bias', [c.labels])],
    outputs: [VIT_OUTPUT],
    attributes: { transB: attr.int(1) },
  });

  return buildOnnxModel({
    producerName: 'tessera vit-onnx',
    opsets: [{ domain: '', version: opset }],
    graph: {
      name: 'vit_for_image_classification',
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [{ name: VIT_INPUT, dims: ['batch', c.channels, height, width] }],
      outputs: [{ name: VIT_OUTPUT, dims: ['batch', c.labels] }],
    },
  });
}
