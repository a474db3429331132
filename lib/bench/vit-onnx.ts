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
import type { Initializer, NodeSpec } from '../io/onnx-builder';
import { attr, buildOnnxModel } from '../io/onnx-builder';
import type { TensorLike } from '../tensor';
import { shapeSize } from '../tensor';
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

/** Elements of a tensor in row-major order (a copy only when it is a strided view). */
function contiguousData(name: string, t: TensorLike): Float32Array {
  const size = shapeSize(t.shape);
  const strides = t.strides;
  let contiguous = true;
  if (strides) {
    let step = 1;
    for (let i = t.shape.length - 1; i >= 0; i--) {
      if (t.shape[i] !== 1 && strides[i] !== step) contiguous = false;
      step *= t.shape[i];
    }
  }
  if (contiguous) {
    if (t.data.length < size) throw new RangeError(`ViT weight ${name}: shape [${t.shape.join(', ')}] needs ${size} values, data has ${t.data.length}`);
    return t.data.length === size ? t.data : t.data.subarray(0, size);
  }
  const out = new Float32Array(size);
  const index = new Array<number>(t.shape.length).fill(0);
  for (let i = 0; i < size; i++) {
    let offset = 0;
    for (let d = 0; d < index.length; d++) offset += index[d] * strides![d];
    if (offset >= t.data.length) throw new RangeError(`ViT weight ${name}: strides [${strides!.join(', ')}] read past its ${t.data.length} values`);
    out[i] = t.data[offset];
    for (let d = index.length - 1; d >= 0; d--) {
      if (++index[d] < t.shape[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

/** A [rows, cols] matrix transposed to [cols, rows]. */
function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  }
  return out;
}

/** Collects nodes and initializers, and hands out unique value names. */
class GraphBuilder {
  readonly nodes: NodeSpec[] = [];
  readonly initializers: Initializer[] = [];
  private readonly used = new Set<string>();
  private readonly scalars = new Map<string, string>();
  private readonly weights: ReadonlyMap<string, TensorLike>;

  constructor(weights: ReadonlyMap<string, TensorLike>) {
    this.weights = weights;
  }

  /** A fresh value name based on `base`. */
  name(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Adds one node and returns its (single) output's name. */
  op(opType: string, inputs: readonly string[], output: string, attributes?: NodeSpec['attributes']): string {
    const out = this.name(output);
    this.nodes.push({ opType, inputs, outputs: [out], name: `${opType}:${out}`, attributes });
    return out;
  }

  /** A Constant node holding int64 values (1-D) or one int64 scalar. */
  ints(base: string, values: readonly number[]): string {
    return this.op('Constant', [], base, { value_ints: attr.ints(values) });
  }

  int(base: string, value: number): string {
    return this.op('Constant', [], base, { value_int: attr.int(value) });
  }

  /** An fp32 initializer. */
  initializer(base: string, dims: readonly number[], data: Float32Array): string {
    const name = this.name(base);
    this.initializers.push({ name, dims, data });
    return name;
  }

  /** An fp32 scalar initializer, shared by every use of the same value. */
  scalar(base: string, value: number): string {
    const key = `${base}=${value}`;
    let name = this.scalars.get(key);
    if (name === undefined) {
      name = this.initializer(base, [], Float32Array.of(value));
      this.scalars.set(key, name);
    }
    return name;
  }

  /** The weight `name`, checked to exist with `shape`, as contiguous data. */
  weight(name: string, shape: readonly number[]): Float32Array {
    const t = this.weights.get(name);
    if (t === undefined) throw new RangeError(`buildViTOnnx: missing weight ${name} [${shape.join(', ')}]`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new RangeError(`buildViTOnnx: weight ${name} must have shape [${shape.join(', ')}], received [${t.shape.join(', ')}]`);
    }
    return contiguousData(name, t);
  }

  /** The weight `name` stored as an initializer under its own name. */
  param(name: string, shape: readonly number[]): string {
    return this.initializer(name, shape, this.weight(name, shape));
  }
}

/** nn.Linear(in -> out) on x [..., in]: MatMul with the transposed weight, then Add the bias. */
function linear(g: GraphBuilder, x: string, prefix: string, out: number, inp: number, bias: boolean, output: string): string {
  const w = g.initializer(`${prefix}.weight.T`, [inp, out], transpose(g.weight(`${prefix}.weight`, [out, inp]), out, inp));
  const product = g.op('MatMul', [x, w], bias ? `${output}_matmul` : output);
  return bias ? g.op('Add', [product, g.param(`${prefix}.bias`, [out])], output) : product;
}

function layerNorm(g: GraphBuilder, x: string, prefix: string, c: ResolvedViTConfig, output: string): string {
  const weight = g.param(`${prefix}.weight`, [c.hidden]);
  const bias = g.param(`${prefix}.bias`, [c.hidden]);
  return g.op('LayerNormalization', [x, weight, bias], output, { axis: attr.int(-1), epsilon: attr.float(c.eps) });
}

/**
 * Hugging Face's GELU, as torch.onnx.export writes it (and as onnxruntime's GeluFusion and
 * FastGeluFusion recognize it):
 *   'gelu' (GELUActivation, exact): Mul(Mul(x, Add(Erf(Div(x, sqrt 2)), 1)), 0.5)
 *   'gelu_new' / 'gelu_pytorch_tanh': Mul(Mul(x, 0.5), Add(Tanh(Mul(Add(x, Mul(Pow(x, 3), 0.044715)), sqrt(2 / pi))), 1))
 */
function gelu(g: GraphBuilder, x: string, c: ResolvedViTConfig, output: string): string {
  if (c.act === 'gelu') {
    const erf = g.op('Erf', [g.op('Div', [x, g.scalar('sqrt2', Math.SQRT2)], `${output}_scaled`)], `${output}_erf`);
    const onePlus = g.op('Add', [erf, g.scalar('one', 1)], `${output}_one_plus`);
    return g.op('Mul', [g.op('Mul', [x, onePlus], `${output}_x`), g.scalar('half', 0.5)], output);
  }
  const cube = g.op('Pow', [x, g.scalar('three', 3)], `${output}_cube`);
  const sum = g.op('Add', [x, g.op('Mul', [cube, g.scalar('gelu_coeff', 0.044715)], `${output}_cubic`)], `${output}_sum`);
  const tanh = g.op('Tanh', [g.op('Mul', [sum, g.scalar('sqrt_2_over_pi', Math.sqrt(2 / Math.PI))], `${output}_arg`)], `${output}_tanh`);
  const onePlus = g.op('Add', [tanh, g.scalar('one', 1)], `${output}_one_plus`);
  return g.op('Mul', [g.op('Mul', [x, g.scalar('half', 0.5)], `${output}_half_x`), onePlus], output);
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
  const normed = layerNorm(g, x, `${p}.layernorm_before`, c, at('ln_before'));
  const heads = (proj: string, perm: readonly number[]): string => {
    const flat = linear(g, normed, `${p}.attention.attention.${proj}`, c.hidden, c.hidden, c.qkvBias, at(proj));
    const split = g.op('Reshape', [flat, k.splitShape], at(`${proj}_split`)); // [B, T, heads, d]
    return g.op('Transpose', [split], at(`${proj}_heads`), { perm: attr.ints(perm) });
  };
  const q = heads('query', [0, 2, 1, 3]); // [B, heads, T, d]
  const kT = heads('key', [0, 2, 3, 1]); // [B, heads, d, T]
  const v = heads('value', [0, 2, 1, 3]); // [B, heads, T, d]
  const scores = g.op('MatMul', [q, kT], at('scores')); // [B, heads, T, T]
  const scaled = g.op('Div', [scores, k.sqrtHeadDim], at('scores_scaled'));
  const probs = g.op('Softmax', [scaled], at('probs'), { axis: attr.int(-1) });
  const context = g.op('MatMul', [probs, v], at('context')); // [B, heads, T, d]
  const merged = g.op('Transpose', [context], at('context_bthd'), { perm: attr.ints([0, 2, 1, 3]) });
  const flat = g.op('Reshape', [merged, k.mergeShape], at('context_flat')); // [B, T, h]
  const attended = linear(g, flat, `${p}.attention.output.dense`, c.hidden, c.hidden, true, at('attention_out'));
  const residual = g.op('Add', [attended, x], at('residual1'));
  const normed2 = layerNorm(g, residual, `${p}.layernorm_after`, c, at('ln_after'));
  const up = linear(g, normed2, `${p}.intermediate.dense`, c.intermediate, c.hidden, true, at('intermediate'));
  const act = gelu(g, up, c, at('gelu'));
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

  const g = new GraphBuilder(weights);
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
  const normed = layerNorm(g, x, 'vit.layernorm', c, 'last_hidden_state');
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
