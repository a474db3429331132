/**
 * What the in-memory ONNX baselines (vit-onnx.ts, timesformer-onnx.ts) share: a builder that
 * collects nodes and initializers and reads Hugging Face-named weights with shape checks, and
 * the pieces every pre-norm encoder is made of, as torch.onnx.export writes them with plain ONNX
 * ops: Linear (MatMul with the transposed weight, Add the bias), LayerNormalization (opset 17),
 * GELU (erf or tanh form) and scaled dot-product attention over [..., heads, T, d].
 */
import type { Initializer, NodeSpec } from '../io/onnx-builder';
import { attr } from '../io/onnx-builder';
import type { TensorLike } from '../tensor';
import { isRowMajor, rowMajorData, shapeSize } from '../tensor';
import type { ViTActivation } from './vit-weights';

/** Elements of a tensor in row-major order (a copy only when it is a strided view). */
export function contiguousData(caller: string, name: string, t: TensorLike): Float32Array {
  const size = shapeSize(t.shape);
  if (t.strides === undefined || isRowMajor(t.shape, t.strides)) {
    if (t.data.length < size) throw new RangeError(`${caller}: weight ${name}: shape [${t.shape.join(', ')}] needs ${size} values, data has ${t.data.length}`);
  } else {
    const strides = t.strides;
    const last = t.shape.reduce((sum, dim, d) => sum + (dim - 1) * strides[d], 0);
    if (last >= t.data.length) throw new RangeError(`${caller}: weight ${name}: strides [${strides.join(', ')}] read past its ${t.data.length} values`);
  }
  return rowMajorData(t);
}

/** A [rows, cols] matrix transposed to [cols, rows]. */
export function transposeMatrix(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  }
  return out;
}

/** Collects nodes and initializers, and hands out unique value names. */
export class GraphBuilder {
  readonly nodes: NodeSpec[] = [];
  readonly initializers: Initializer[] = [];
  private readonly used = new Set<string>();
  private readonly scalars = new Map<string, string>();
  private readonly weights: ReadonlyMap<string, TensorLike>;
  /** The public function building the graph, named in errors (e.g. 'buildViTOnnx'). */
  readonly caller: string;

  constructor(weights: ReadonlyMap<string, TensorLike>, caller: string) {
    this.weights = weights;
    this.caller = caller;
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
    if (t === undefined) throw new RangeError(`${this.caller}: missing weight ${name} [${shape.join(', ')}]`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new RangeError(`${this.caller}: weight ${name} must have shape [${shape.join(', ')}], received [${t.shape.join(', ')}]`);
    }
    return contiguousData(this.caller, name, t);
  }

  /** The weight `name` stored as an initializer under its own name. */
  param(name: string, shape: readonly number[]): string {
    return this.initializer(name, shape, this.weight(name, shape));
  }
}

/** nn.Linear(in -> out) on x [..., in]: MatMul with the transposed weight, then Add the bias. */
export function linear(g: GraphBuilder, x: string, prefix: string, out: number, inp: number, bias: boolean, output: string): string {
  const w = g.initializer(`${prefix}.weight.T`, [inp, out], transposeMatrix(g.weight(`${prefix}.weight`, [out, inp]), out, inp));
  const product = g.op('MatMul', [x, w], bias ? `${output}_matmul` : output);
  return bias ? g.op('Add', [product, g.param(`${prefix}.bias`, [out])], output) : product;
}

/** nn.LayerNorm(hidden) on the last axis: one LayerNormalization node (opset 17). */
export function layerNorm(g: GraphBuilder, x: string, prefix: string, hidden: number, eps: number, output: string): string {
  const weight = g.param(`${prefix}.weight`, [hidden]);
  const bias = g.param(`${prefix}.bias`, [hidden]);
  return g.op('LayerNormalization', [x, weight, bias], output, { axis: attr.int(-1), epsilon: attr.float(eps) });
}

/**
 * Hugging Face's GELU, as torch.onnx.export writes it (and as onnxruntime's GeluFusion and
 * FastGeluFusion recognize it):
 *   'gelu' (GELUActivation, exact): Mul(Mul(x, Add(Erf(Div(x, sqrt 2)), 1)), 0.5)
 *   'gelu_new' / 'gelu_pytorch_tanh': Mul(Mul(x, 0.5), Add(Tanh(Mul(Add(x, Mul(Pow(x, 3), 0.044715)), sqrt(2 / pi))), 1))
 */
export function gelu(g: GraphBuilder, x: string, act: ViTActivation, output: string): string {
  if (act === 'gelu') {
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

/**
 * softmax(q kT / sqrt(d)) v: q [..., heads, T, d], kT [..., heads, d, T], v [..., heads, T, d]
 * -> [..., heads, T, d]. `sqrtHeadDim` is the scalar initializer sqrt(d).
 */
export function scaledDotProduct(g: GraphBuilder, q: string, kT: string, v: string, sqrtHeadDim: string, output: string): string {
  const scores = g.op('MatMul', [q, kT], `${output}_scores`);
  const scaled = g.op('Div', [scores, sqrtHeadDim], `${output}_scores_scaled`);
  const probs = g.op('Softmax', [scaled], `${output}_probs`, { axis: attr.int(-1) });
  return g.op('MatMul', [probs, v], output);
}
