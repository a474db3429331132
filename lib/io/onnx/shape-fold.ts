/**
 * Shape folding: the concrete shape of every tensor of a graph for given input dims, and the
 * values of the small tensors that shape logic computes (Shape -> Gather -> Unsqueeze -> Concat
 * -> Reshape, Slice bounds, Split sizes, Resize sizes), in one pass over the nodes in file
 * order. An op this file does not know leaves its outputs unknown, with the reason kept, so that
 * only a tensor the matchers actually ask about turns into an error.
 *
 * Graphs are untrusted: every shape is checked (non-negative integer dims, at most 2^53 - 1
 * elements) before anything is sized by it, values are kept only for small tensors, and folds
 * whose arguments come from the graph (ConstantOfShape, Range, Expand, Tile, Transpose perms,
 * Gather indices, Split sizes) check them first, so that a hostile shape is an unknown tensor,
 * never a huge allocation.
 */
import type { OnnxNode } from './graph';
import type { GraphIndex } from './graph-index';
import { describeNode, isIntegerTensor } from './graph-index';
import {
  broadcastIndices,
  broadcastShapes,
  fullRange,
  normalizeAxis,
  product,
  selectIndices,
  sliceCount,
  sliceRange,
  transposeIndices,
} from './index-math';

/** Tensors of at most this many elements keep their values. */
const MAX_VALUES = 4096;

/** What folding knows about a tensor. */
export interface TensorInfo {
  readonly shape: readonly number[];
  /** Row-major values, for small tensors whose inputs are known. */
  readonly values?: readonly number[];
  readonly isInteger: boolean;
}

type Inputs = readonly (TensorInfo | undefined)[];
type Fold = (node: OnnxNode, inputs: Inputs, g: GraphIndex) => (TensorInfo | undefined)[];

/** A node folding cannot handle; its message becomes the outputs' reason. */
class FoldError extends Error {}

/** TensorProto.DataType codes of integer and boolean element types. */
const INTEGER_TYPES: ReadonlySet<number> = new Set([2, 3, 4, 5, 6, 7, 9, 12, 13]);

function info(shape: readonly number[], isInteger: boolean, values?: readonly number[]): TensorInfo {
  return values && values.length <= MAX_VALUES ? { shape, isInteger, values } : { shape, isInteger };
}

/** Why `shape` is not a tensor shape (a dim that is not a non-negative integer, over 2^53 - 1 elements), or undefined. */
function shapeProblem(shape: readonly number[]): string | undefined {
  const bad = shape.find((d) => !Number.isSafeInteger(d) || d < 0);
  if (bad !== undefined) return `dim ${bad} is not a non-negative integer`;
  if (shape.includes(0)) return undefined;
  let size = 1;
  for (const d of shape) {
    size *= d;
    if (size > Number.MAX_SAFE_INTEGER) return 'it has more than 2^53 - 1 elements';
  }
  return undefined;
}

/** `shape`, checked to be a tensor shape (see shapeProblem), before anything is sized by it. */
function checkedShape(shape: readonly number[], node: OnnxNode, what = 'shape'): readonly number[] {
  const problem = shapeProblem(shape);
  if (problem) throw new FoldError(`${describeNode(node)}: ${what} [${shape.slice(0, 8).join(', ')}${shape.length > 8 ? ', ...' : ''}] is not valid: ${problem}`);
  return shape;
}

function need(inputs: Inputs, i: number, node: OnnxNode): TensorInfo {
  const x = inputs[i];
  if (!x) throw new FoldError(`input ${i} of ${describeNode(node)} is unknown`);
  return x;
}

function needValues(inputs: Inputs, i: number, node: OnnxNode): readonly number[] {
  const values = need(inputs, i, node).values;
  if (!values) throw new FoldError(`the values of input ${i} of ${describeNode(node)} are not constant`);
  return values;
}

function axisOf(node: OnnxNode, rank: number, g: GraphIndex, fallback = 0): number {
  const axis = normalizeAxis(g.intAttribute(node, 'axis', fallback), rank);
  if (axis < 0) throw new FoldError(`${describeNode(node)}: axis out of range for rank ${rank}`);
  return axis;
}

/** Axes from the 'axes' attribute (older opsets) or from input `index`; undefined when neither is given. */
function axesOf(node: OnnxNode, inputs: Inputs, index: number, g: GraphIndex): readonly number[] | undefined {
  const attribute = g.intsAttribute(node, 'axes');
  if (attribute) return attribute;
  return node.inputs[index] ? needValues(inputs, index, node) : undefined;
}

function normalizedAxes(axes: readonly number[], rank: number, node: OnnxNode): number[] {
  return axes.map((a) => {
    const n = normalizeAxis(a, rank);
    if (n < 0) throw new FoldError(`${describeNode(node)}: axis ${a} out of range for rank ${rank}`);
    return n;
  });
}

function pick(values: readonly number[] | undefined, indices: Int32Array): number[] | undefined {
  return values ? Array.from(indices, (i) => values[i]) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Element-wise ops

const UNARY: Readonly<Record<string, ((x: number) => number) | null>> = {
  Identity: (x) => x, Dropout: (x) => x, Neg: (x) => -x, Abs: Math.abs, Floor: Math.floor, Ceil: Math.ceil, Sqrt: Math.sqrt,
  Relu: (x) => Math.max(0, x), Reciprocal: (x) => 1 / x, Exp: Math.exp, Log: Math.log, Tanh: Math.tanh,
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)), Not: (x) => (x ? 0 : 1),
  Erf: null, Gelu: null, Softmax: null, LogSoftmax: null, Sin: Math.sin, Cos: Math.cos, Clip: null, Elu: null, LeakyRelu: null,
  HardSigmoid: null, Mish: null, Softplus: null,
};

const BINARY: Readonly<Record<string, (a: number, b: number, integer: boolean) => number>> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b, integer) => (integer ? Math.trunc(a / b) : a / b),
  Pow: (a, b) => a ** b,
  Max: (a, b) => Math.max(a, b),
  Min: (a, b) => Math.min(a, b),
  Mod: (a, b) => a - b * Math.floor(a / b),
  Equal: (a, b) => Number(a === b),
  Less: (a, b) => Number(a < b),
  Greater: (a, b) => Number(a > b),
  LessOrEqual: (a, b) => Number(a <= b),
  GreaterOrEqual: (a, b) => Number(a >= b),
  And: (a, b) => Number(Boolean(a) && Boolean(b)),
  Or: (a, b) => Number(Boolean(a) || Boolean(b)),
};
const COMPARISONS: ReadonlySet<string> = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or']);

function foldUnary(node: OnnxNode, inputs: Inputs): (TensorInfo | undefined)[] {
  const x = need(inputs, 0, node);
  const fn = UNARY[node.opType];
  return [info(x.shape, x.isInteger, fn && x.values ? x.values.map(fn) : undefined)];
}

/** Broadcast element-wise op over `inputs`; `combine` gets one value of each. */
function foldBroadcast(node: OnnxNode, inputs: Inputs, isInteger: boolean, combine: ((values: number[]) => number) | null): TensorInfo {
  const xs = node.inputs.map((_, i) => need(inputs, i, node));
  const shape = broadcastShapes(xs.map((x) => x.shape));
  if (!shape) throw new FoldError(`${describeNode(node)}: shapes ${xs.map((x) => `[${x.shape.join(', ')}]`).join(' and ')} do not broadcast`);
  const size = product(shape);
  if (!combine || size > MAX_VALUES || xs.some((x) => !x.values)) return info(shape, isInteger);
  const maps = xs.map((x) => broadcastIndices(x.shape, shape));
  const values = Array.from({ length: size }, (_, k) => combine(xs.map((x, i) => (x.values as readonly number[])[maps[i][k]])));
  return info(shape, isInteger, values);
}

function foldBinary(node: OnnxNode, inputs: Inputs): (TensorInfo | undefined)[] {
  const fn = BINARY[node.opType];
  const integer = need(inputs, 0, node).isInteger;
  return [foldBroadcast(node, inputs, COMPARISONS.has(node.opType) || integer, ([a, b]) => fn(a, b, integer))];
}

function foldWhere(node: OnnxNode, inputs: Inputs): (TensorInfo | undefined)[] {
  return [foldBroadcast(node, inputs, need(inputs, 1, node).isInteger, ([c, x, y]) => (c ? x : y))];
}

function foldCast(node: OnnxNode, inputs: Inputs, g: GraphIndex): (TensorInfo | undefined)[] {
  const x = need(inputs, 0, node);
  const to = g.intAttribute(node, 'to', 1);
  const integer = INTEGER_TYPES.has(to);
  const convert = to === 9 ? (v: number): number => Number(v !== 0) : integer ? Math.trunc : (v: number): number => v;
  return [info(x.shape, integer, x.values?.map(convert))];
}

// ---------------------------------------------------------------------------------------------
// Constants and shapes

function foldConstant(node: OnnxNode, _inputs: Inputs, g: GraphIndex): (TensorInfo | undefined)[] {
  const c = g.constant(node.outputs[0]);
  if (!c) throw new FoldError(`${describeNode(node)} has no value`);
  return [info(c.dims, c.isInteger, product(c.dims) <= MAX_VALUES ? c.numbers() : undefined)];
}

function foldShape(node: OnnxNode, inputs: Inputs, g: GraphIndex): (TensorInfo | undefined)[] {
  const shape = need(inputs, 0, node).shape;
  const rank = shape.length;
  const bound = (v: number): number => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const dims = shape.slice(bound(g.intAttribute(node, 'start', 0)), bound(g.intAttribute(node, 'end', rank)));
  return [info([dims.length], true, dims)];
}

function foldSize(node: OnnxNode, inputs: Inputs): (TensorInfo | undefined)[] {
  return [info([], true, [product(need(inputs, 0, node).shape)])];
}

function foldConstantOfShape(node: OnnxNode, inputs: Inputs): (TensorInfo | undefined)[] {
  const shape = checkedShape(needValues(inputs, 0, node), node);
  const a = node.attributes.get('value');
  const ref = a?.kind === 'tensor' ? a.value : undefined;
  const integer = ref ? INTEGER_TYPES.has(ref.dataType) : false;
  const value = !ref ? 0 : integer ? Number(ref.toInt64()[0]) : ref.toFloat32().data[0];
  const size = product(shape);
  return [info(shape, integer, size <= MAX_VALUES ? new Array<number>(size).fill(value) : undefined)];
}

function foldRange(node: OnnxNode, inputs: Inputs): (TensorInfo | undefined)[] {
  const [start, limit, delta] = [0, 1, 2].map((i) => needValues(inputs, i, node)[0]);
  if (![start, limit, delta].every(Number.isFinite) || delta === 0) throw new FoldError(`${describeNode(node)}: range ${start} to ${limit} by ${delta}`);
  const n = checkedShape([Math.max(Math.ceil((limit - start) / delta), 0)], node)[0];
  return [info([n], need(inputs, 0, node).isInteger, n <= MAX_VALUES ? Array.from({ length: n }, (_, i) => start + i * delta) : undefined)];
}

// ---------------------------------------------------------------------------------------------
// Data movement

function foldReshape(node: OnnxNode, inputs: Inputs, g: GraphIndex): (TensorInfo | undefined)[] {
  const x = need(inputs, 0, node);
  const target = needValues(inputs, 1, node);
  const allowZero = g.intAttribute(node, 'allowzero', 0) === 1;
  const shape = target.map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d));
  const inferred = shape.indexOf(-1);
  const known = product(shape.filter((d) => d !== -1));
  const size = product(x.shape);
  if (inferred >= 0) shape[inferred] = known === 0 ? 0 : size / known;
  if (product(shape) !== size || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new FoldError(`${describeNode(node)}: cannot reshape [${x.shape.join(', ')}] to [${target.join(', ')}]`);
  }
  return [info(shape, x.isInteger, x.values)];
}

function foldFlatten(node: OnnxNode, inputs: Inputs, g: GraphIndex): (TensorInfo | undefined)[] {
  const x = need(inputs, 0, node);
  const axis = normalizeAxis(g.intAttribute(node, 'axis', 1), x.shape.length + 1);
  return [info([product(x.shape.slice(0, axis)), product(x.shape.slice(axis))], x.isInteger, x.values)];
}

function foldUnsqueeze(node: OnnxNode, inputs: Inputs, g: GraphIndex): (TensorInfo | undefined)[] {
  const x = need(inputs, 0, node);
  const axes = axesOf(node, inputs, 1, g) ?? [];
  const rank = x.shape.length + axes.length;
  const inserted = new Set(normalizedAxes(axes, rank, node));
  const shape: number[] = [];
  let from = 0;
  for (let a = 0; a < rank; a++) shape.push(inserted.has(a) ? 1 : x.shape[from++]);
  return [info(shape, x.isInteger, x.values)];
}

function foldSqueeze(node: OnnxNode, inputs: Inputs, g: GraphIndex): (TensorInfo | undefined)[] {
  const x = need(inputs, 0, node);
  const axes = axesOf(node, inputs, 1, g);
  const removed = new Set(axes ? normalizedAxes(axes, x.shape.length, node) : x.shape.flatMap((d, i) => (d === 1 ? [i] : [])));
  return [info(x.shape.filter((_, i) => !removed.has(i)), x.isInteger, x.values)];
}

function foldTranspose(node: OnnxNode, inputs: Inputs, g: GraphIndex): (TensorInfo | undefined)[] {
  const x = need(inputs, 0, node);
  const perm = g.intsAttribute(node, 'perm') ?? x.shape.map((_, i) => x.shape.length - 1 - i);
  if (perm.length !== x.shape.length || new Set(perm).size !== perm.length || perm.some((p) => !(p >= 0 && p < perm.length))) {
    throw new FoldError(`${describeNode(node)}: perm [${perm.join(', ')}] is not a permutation of the ${x.shape.length} axes`);
  }
  const shape = perm.map((p) => x.shape[p]);
  return [info(shape, x.isInteger, x.values ? pick(x.values, transposeIndices(x.shape, perm)) : undefined)];
}

function foldGather(node: OnnxNode, inputs: Inputs, g: GraphIndex): (TensorInfo | undefined)[] {
  const x = need(inputs, 0, node);
  const indices = need(inputs, 1, node);
  const axis = axisOf(node, x.shape.length, g);
  const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  if (!x.values || !indices.values) return [info(shape, x.isInteger)];
  const dim = x.shape[axis];
  const list = indices.values.map((i) => (i < 0 ? i + dim : i));
  if (list.some((i) => !(Number.isInteger(i) && i >= 0 && i < dim))) throw new FoldError(`${describeNode(node)}: indices out of range for dim ${dim}`);
  const perAxis = x.shape.map((d, a) => (a === axis ? list : fullRange(d)));
  return [info(shape, x.isInteger, pick(x.values, selectIndices(x.shape, perAxis)))];
}

/** Slice's starts, ends, axes and steps: inputs from opset 10, attributes before. */
function sliceArguments(node: OnnxNode, inputs: Inputs, g: GraphIndex): { starts: readonly number[]; ends: readonly number[]; axes?: readonly number[]; steps?: readonly number[] } {
  if (g.opset < 10) {
    const starts = g.intsAttribute(node, 'starts') ?? [];
    return { starts, ends: g.intsAttribute(node, 'ends') ?? [], axes: g.intsAttribute(node, 'axes') };
  }
  const optional = (i: number): readonly number[] | undefined => (node.inputs[i] ? needValues(inputs, i, node) : undefined);
  return { starts: needValues(inputs, 1, node), ends: needValues(inputs, 2, node), axes: optional(3), steps: optional(4) };
}

/** Per sliced axis of a tensor of `shape`: the axis and its start, end and step. */
function sliceAxes(node: OnnxNode, shape: readonly number[], inputs: Inputs, g: GraphIndex): { axis: number; start: number; end: number; step: number }[] {
  const { starts, ends, axes, steps } = sliceArguments(node, inputs, g);
  const list = normalizedAxes(axes ?? starts.map((_, i) => i), shape.length, node);
  return list.map((axis, i) => {
    const step = steps?.[i] ?? 1;
    if (step === 0) throw new FoldError(`${describeNode(node)}: step 0`);
    return { axis, start: starts[i], end: ends[i], step };
  });
}

/** Per axis, the indices a Slice node keeps of a tensor of `shape` (listed: only for tensors small enough to index). */
function sliceSelection(node: OnnxNode, shape: readonly number[], inputs: Inputs, g: GraphIndex): number[][] {
  const perAxis = shape.map(fullRange);
  for (const { axis, start, end, step } of sliceAxes(node, shape, inputs, g)) perAxis[axis] = sliceRange(shape[axis], start, end, step);
  return perAxis;
}

function foldSlice(node: OnnxNode, inputs: Inputs, g: GraphIndex): (TensorInfo | undefined)[] {
  const x = need(inputs, 0, node);
  const shape = [...x.shape];
  for (const { axis, start, end, step } of sliceAxes(node, x.shape, inputs, g)) shape[axis] = sliceCount(x.shape[axis], start, end, step);
  checkedShape(shape, node);
  const values = x.values && product(shape) <= MAX_VALUES ? pick(x.values, selectIndices(x.shape, sliceSelection(node, x.shape, inputs, g))) : undefined;
  return [info(shape, x.isInteger, values)];
}

/** The sizes of a Split's outputs along its axis. */
function splitSizes(node: OnnxNode, dim: number, inputs: Inputs, g: GraphIndex): number[] {
  const given = g.intsAttribute(node, 'split') ?? (node.inputs[1] ? needValues(inputs, 1, node) : undefined);
  if (given) {
    if (shapeProblem(given) || given.reduce((a, b) => a + b, 0) !== dim) {
      throw new FoldError(`${describeNode(node)}: split sizes [${given.join(', ')}] are not non-negative sizes that add up to ${dim}`);
    }
    return [...given];
  }
  const parts = g.intAttribute(node, 'num_outputs', node.outputs.length);
  if (parts !== node.outputs.length || parts < 1) throw new FoldError(`${describeNode(node)}: num_outputs ${parts} for ${node.outputs.length} outputs`);
  const size = Math.ceil(dim / parts);
  return Array.from({ length: parts }, (_, i) => Math.max(Math.min(size, dim - i * size), 0));
}

function foldSplit(node: OnnxNode, inputs: Inputs, g: GraphIndex): (TensorInfo | undefined)[] {
  const x = need(inputs, 0, node);
  const axis = axisOf(node, x.shape.length, g);
  return splitSizes(node, x.shape[axis], inputs, g).map((size) => info(x.shape.map((d, a) => (a === axis ? size : d)), x.isInteger));
}

function foldConcat(node: OnnxNode, inputs: Inputs, g: GraphIndex): (TensorInfo | undefined)[] {
  const xs = node.inputs.map((_, i) => need(inputs, i, node));
  const axis = axisOf(node, xs[0].shape.length, g);
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((sum, x) => sum + x.shape[axis], 0);
  if (xs.some((x) => x.shape.length !== shape.length || x.shape.some((d, a) => a !== axis && d !== shape[a]))) {
    throw new FoldError(`${describeNode(node)}: inputs [${xs.map((x) => x.shape.join(', ')).join('], [')}] do not concatenate on axis ${axis}`);
  }
  if (xs.some((x) => !x.values)) return [info(shape, xs[0].isInteger)];
  const outer = product(shape.slice(0, axis));
  const values: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const x of xs) {
      const chunk = product(x.shape.slice(axis));
      values.push(...(x.values as readonly number[]).slice(o * chunk, (o + 1) * chunk));
    }
  }
  return [info(shape, xs[0].isInteger, values)];
}

function foldExpand(node: OnnxNode, inputs: Inputs): (TensorInfo | undefined)[] {
  const x = need(inputs, 0, node);
  const shape = broadcastShapes([x.shape, checkedShape(needValues(inputs, 1, node), node, 'target shape')]);
  if (!shape) throw new FoldError(`${describeNode(node)}: cannot expand [${x.shape.join(', ')}]`);
  checkedShape(shape, node);
  const values = x.values && product(shape) <= MAX_VALUES ? pick(x.values, broadcastIndices(x.shape, shape)) : undefined;
  return [info(shape, x.isInteger, values)];
}

function foldTile(node: OnnxNode, inputs: Inputs): (TensorInfo | undefined)[] {
  const x = need(inputs, 0, node);
  const repeats = needValues(inputs, 1, node);
  if (repeats.length !== x.shape.length) throw new FoldError(`${describeNode(node)}: ${repeats.length} repeats for rank ${x.shape.length}`);
  const shape = checkedShape(x.shape.map((d, i) => d * repeats[i]), node);
  const values = x.values && product(shape) <= MAX_VALUES ? pick(x.values, selectIndices(x.shape, shape.map((d, a) => fullRange(d).map((i) => i % x.shape[a])))) : undefined;
  return [info(shape, x.isInteger, values)];
}

// ---------------------------------------------------------------------------------------------
// Compute ops (shapes only)

function foldMatMul(node: OnnxNode, inputs: Inputs): (TensorInfo | undefined)[] {
  const a = need(inputs, 0, node).shape;
  const b = need(inputs, 1, node).shape;
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)]);
  if (!batch || a2[a2.length - 1] !== b2[b2.length - 2]) {
    throw new FoldError(`${describeNode(node)}: cannot multiply [${a.join(', ')}] by [${b.join(', ')}]`);
  }
  const shape = [...batch, ...(a.length === 1 ? [] : [a2[a2.length - 2]]), ...(b.length === 1 ? [] : [b2[b2.length - 1]])];
  return [info(shape, false)];
}

function foldGemm(node: OnnxNode, inputs: Inputs, g: GraphIndex): (TensorInfo | undefined)[] {
  const a = need(inputs, 0, node).shape;
  const b = need(inputs, 1, node).shape;
  const m = g.intAttribute(node, 'transA', 0) ? a[1] : a[0];
  const n = g.intAttribute(node, 'transB', 0) ? b[0] : b[1];
  return [info([m, n], false)];
}

function foldConv(node: OnnxNode, inputs: Inputs, g: GraphIndex): (TensorInfo | undefined)[] {
  const x = need(inputs, 0, node).shape;
  const w = need(inputs, 1, node).shape;
  const spatial = x.length - 2;
  const kernel = g.intsAttribute(node, 'kernel_shape') ?? w.slice(2);
  const strides = g.intsAttribute(node, 'strides') ?? new Array<number>(spatial).fill(1);
  const dilations = g.intsAttribute(node, 'dilations') ?? new Array<number>(spatial).fill(1);
  const pads = g.intsAttribute(node, 'pads') ?? new Array<number>(2 * spatial).fill(0);
  const autoPad = g.stringAttribute(node, 'auto_pad', 'NOTSET');
  const out = x.slice(2).map((d, i) => {
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(d / strides[i]);
    const padded = autoPad === 'VALID' ? d : d + pads[i] + pads[i + spatial];
    return Math.floor((padded - dilations[i] * (kernel[i] - 1) - 1) / strides[i]) + 1;
  });
  return [info([x[0], w[0], ...out], false)];
}

function foldReduce(node: OnnxNode, inputs: Inputs, g: GraphIndex): (TensorInfo | undefined)[] {
  const x = need(inputs, 0, node);
  const given = axesOf(node, inputs, 1, g);
  const noop = g.intAttribute(node, 'noop_with_empty_axes', 0) === 1;
  if ((!given || given.length === 0) && noop) return [info(x.shape, x.isInteger)];
  const axes = new Set(given && given.length > 0 ? normalizedAxes(given, x.shape.length, node) : fullRange(x.shape.length));
  const keep = g.intAttribute(node, 'keepdims', 1) === 1;
  const shape = x.shape.flatMap((d, a) => (axes.has(a) ? (keep ? [1] : []) : [d]));
  return [info(shape, x.isInteger)];
}

function foldLayerNormalization(node: OnnxNode, inputs: Inputs, g: GraphIndex): (TensorInfo | undefined)[] {
  const x = need(inputs, 0, node);
  const axis = axisOf(node, x.shape.length, g, -1);
  const stats = info(x.shape.map((d, a) => (a < axis ? d : 1)), false);
  return [info(x.shape, false), stats, stats];
}

function foldResize(node: OnnxNode, inputs: Inputs, g: GraphIndex): (TensorInfo | undefined)[] {
  const x = need(inputs, 0, node);
  const axes = g.intsAttribute(node, 'axes');
  const targetAxes = axes ? normalizedAxes(axes, x.shape.length, node) : fullRange(x.shape.length);
  const shape = [...x.shape];
  const sizesIndex = g.opset < 11 ? -1 : 3;
  if (sizesIndex > 0 && node.inputs[sizesIndex]) {
    const sizes = needValues(inputs, sizesIndex, node);
    targetAxes.forEach((a, i) => (shape[a] = sizes[i]));
  } else {
    const scales = needValues(inputs, g.opset < 11 ? 1 : 2, node);
    targetAxes.forEach((a, i) => (shape[a] = Math.floor(x.shape[a] * scales[i])));
  }
  return [info(shape, false)];
}

const FOLDS: Readonly<Record<string, Fold>> = {
  Constant: foldConstant, Shape: foldShape, Size: foldSize, ConstantOfShape: foldConstantOfShape, Range: foldRange, Cast: foldCast,
  Reshape: foldReshape, Flatten: foldFlatten, Unsqueeze: foldUnsqueeze, Squeeze: foldSqueeze, Transpose: foldTranspose,
  Gather: foldGather, Slice: foldSlice, Split: foldSplit, Concat: foldConcat, Expand: foldExpand, Tile: foldTile, Where: foldWhere,
  MatMul: foldMatMul, Gemm: foldGemm, Conv: foldConv, LayerNormalization: foldLayerNormalization, Resize: foldResize,
  ReduceMean: foldReduce, ReduceSum: foldReduce, ReduceMax: foldReduce, ReduceMin: foldReduce, ReduceProd: foldReduce, ReduceL2: foldReduce,
  ...Object.fromEntries(Object.keys(UNARY).map((op) => [op, foldUnary])),
  ...Object.fromEntries(Object.keys(BINARY).map((op) => [op, foldBinary])),
};

export class ShapeFolder {
  private readonly infos = new Map<string, TensorInfo>();
  /** Why a tensor is unknown. */
  private readonly reasons = new Map<string, string>();

  /** Folds the graph for real inputs of the given dims (every real input needs an entry). */
  constructor(
    readonly g: GraphIndex,
    inputDims: ReadonlyMap<string, readonly number[]>,
  ) {
    for (const [name, ref] of g.graph.initializers) {
      this.infos.set(name, info(ref.dims, isIntegerTensor(ref), ref.size <= MAX_VALUES ? g.constant(name)?.numbers() : undefined));
    }
    for (const input of g.realInputs()) {
      const dims = inputDims.get(input.name);
      const problem = dims && shapeProblem(dims);
      if (dims && !problem) this.infos.set(input.name, info(dims, INTEGER_TYPES.has(input.elemType)));
      else this.reasons.set(input.name, problem ? `graph input '${input.name}' [${dims?.join(', ')}]: ${problem}` : `no dims were given for graph input '${input.name}'`);
    }
    for (const node of g.graph.nodes) this.foldNode(node);
  }

  private foldNode(node: OnnxNode): void {
    const fold = node.domain === '' || node.domain === 'ai.onnx' ? FOLDS[node.opType] : undefined;
    let outputs: (TensorInfo | undefined)[] = [];
    let reason = `${describeNode(node)}: op ${node.domain ? `${node.domain}.` : ''}${node.opType} is not supported by shape folding`;
    if (fold) {
      try {
        outputs = fold(node, this.inputsOf(node), this.g);
        for (const out of outputs) if (out) checkedShape(out.shape, node, 'output shape');
      } catch (error) {
        if (!(error instanceof FoldError)) throw error;
        const unknown = node.inputs.find((name) => name && !this.infos.has(name));
        const dangling = unknown && !this.g.producer(unknown) ? `${describeNode(node)}: input '${unknown}' is neither an initializer nor the output of a node` : undefined;
        reason = (unknown && this.reasons.get(unknown)) || dangling || error.message;
      }
    }
    node.outputs.forEach((name, i) => {
      const out = outputs[i];
      if (out) this.infos.set(name, out);
      else this.reasons.set(name, reason);
    });
  }

  private inputsOf(node: OnnxNode): Inputs {
    return node.inputs.map((name) => (name ? this.infos.get(name) : undefined));
  }

  /** Runs a fold helper outside the pass, its FoldErrors as FormatErrors. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw error instanceof FoldError ? this.g.fail(error.message) : error;
    }
  }

  /** Per axis of its input, the indices a Slice node keeps. */
  sliceSelection(node: OnnxNode): number[][] {
    return this.guard(() => sliceSelection(node, this.shape(node.inputs[0]), this.inputsOf(node), this.g));
  }

  /** The sizes of a Split node's outputs along its axis. */
  splitSizes(node: OnnxNode, axis: number): number[] {
    return this.guard(() => splitSizes(node, this.shape(node.inputs[0])[axis], this.inputsOf(node), this.g));
  }

  /** What is known about a tensor, or undefined. */
  info(tensor: string): TensorInfo | undefined {
    return this.infos.get(tensor);
  }

  /** The tensor's shape; FormatError (naming the tensor and why) when folding could not work it out. */
  shape(tensor: string): readonly number[] {
    const known = this.infos.get(tensor);
    if (known) return known.shape;
    throw this.g.fail(`cannot work out the shape of '${tensor}': ${this.reasons.get(tensor) ?? 'no node produces it'}`);
  }

  /** The values of a small tensor, when constant. */
  values(tensor: string): readonly number[] | undefined {
    return this.infos.get(tensor)?.values;
  }
}
