/**
 * A linear layer (PyTorch nn.Linear) in an ONNX graph: MatMul by a constant [in, out] matrix
 * (torch.onnx folds the weight to W^T), optionally followed by an Add of a constant [out] bias;
 * or Gemm with a constant B (transB = 1 keeps PyTorch's [out, in]) and optional constant C, with
 * alpha and beta folded into the weight and bias. Without constant folding
 * (do_constant_folding=False) the weight operand is Transpose(W) of the [out, in] initializer
 * itself; a 2-D Transpose of a constant counts as a constant weight here.
 */
import type { Tensor } from '../../tensor';
import type { OnnxNode } from './graph';
import type { ConstantValue, GraphIndex } from './graph-index';
import { describeNode } from './graph-index';
import { scaled, transpose2d, withDims } from './weight-math';

export interface LinearMatch {
  /** [out, in], PyTorch's layout. */
  readonly weight: Tensor;
  /** [out], or null when the layer has no bias. */
  readonly bias: Tensor | null;
  /** The tensor holding the layer's result. */
  readonly output: string;
  /** The MatMul or Gemm node. */
  readonly node: OnnxNode;
}

/** A 2-D weight operand: the constant, and whether the operand is its transpose (Transpose(W) of an unfolded export). */
interface WeightOperand {
  readonly value: ConstantValue;
  readonly transposed: boolean;
}

/** The constant 2-D matrix `tensor` holds, directly or as a 2-D Transpose (perm [1, 0] or none) of a constant. */
function weightOperand(g: GraphIndex, tensor: string | undefined): WeightOperand | undefined {
  if (!tensor) return undefined;
  const direct = g.constant(tensor);
  if (direct) return direct.dims.length === 2 ? { value: direct, transposed: false } : undefined;
  const node = g.producer(tensor);
  if (node?.opType !== 'Transpose') return undefined;
  const perm = g.intsAttribute(node, 'perm');
  if (perm && (perm.length !== 2 || perm[0] !== 1 || perm[1] !== 0)) return undefined;
  const inner = g.constant(node.inputs[0]);
  return inner?.dims.length === 2 ? { value: inner, transposed: true } : undefined;
}

/** Whether `tensor` is a constant 2-D weight (a constant, or Transpose of one). */
export function isWeightMatrix(g: GraphIndex, tensor: string | undefined): boolean {
  return weightOperand(g, tensor) !== undefined;
}

/** Whether `node` reads `input` as the activation of a linear layer (MatMul or Gemm by a constant). */
export function isLinearNode(g: GraphIndex, node: OnnxNode, input: string): boolean {
  if (node.inputs[0] !== input) return false;
  if (node.opType === 'MatMul') return isWeightMatrix(g, node.inputs[1]);
  return node.opType === 'Gemm' && (g.constant(node.inputs[1]) !== undefined || isWeightMatrix(g, node.inputs[1]));
}

/** A constant of exactly `size` elements laid out as [size] or [1, ..., 1, size], as a vector. */
function vectorConstant(g: GraphIndex, tensor: string, size: number): Tensor | undefined {
  const c = g.constant(tensor);
  if (!c || c.dims.length === 0 || c.dims[c.dims.length - 1] !== size || c.dims.slice(0, -1).some((d) => d !== 1)) return undefined;
  return withDims(c.float(), [size]);
}

/** The bias Add after a MatMul, when its other operand is a constant [out] vector. */
function matmulBias(g: GraphIndex, output: string, out: number): { bias: Tensor; output: string } | null {
  const consumers = g.dataConsumers(output);
  if (consumers.length !== 1 || consumers[0].opType !== 'Add' || g.isGraphOutput(output)) return null;
  const add = consumers[0];
  const other = add.inputs[0] === output ? add.inputs[1] : add.inputs[0];
  const bias = vectorConstant(g, other, out);
  return bias ? { bias, output: add.outputs[0] } : null;
}

/**
 * A node's constant 2-D weight (input 1) as the operand the node multiplies by, or, when
 * `transposed`, as that operand's transpose (the stored matrix under Transpose, no copy).
 */
function weightConstant(g: GraphIndex, node: OnnxNode): { raw: Tensor; transposed: boolean } {
  const w = weightOperand(g, node.inputs[1]);
  if (!w) throw g.fail(`${describeNode(node)}: expected a constant 2-D weight`);
  return { raw: w.value.float(), transposed: w.transposed };
}

function matchMatMul(g: GraphIndex, node: OnnxNode): LinearMatch {
  // The operand is [in, out]; PyTorch's [out, in] is its transpose, i.e. the stored matrix of Transpose(W).
  const { raw, transposed } = weightConstant(g, node);
  const weight = transposed ? raw : transpose2d(raw);
  const withBias = matmulBias(g, node.outputs[0], weight.shape[0]);
  return { weight, bias: withBias?.bias ?? null, output: withBias?.output ?? node.outputs[0], node };
}

function matchGemm(g: GraphIndex, node: OnnxNode): LinearMatch {
  if (g.intAttribute(node, 'transA', 0) !== 0) throw g.fail(`${describeNode(node)}: expected transA = 0 for a linear layer`);
  const { raw, transposed } = weightConstant(g, node);
  const alpha = g.floatAttribute(node, 'alpha', 1);
  const beta = g.floatAttribute(node, 'beta', 1);
  // B used as given is [in, out] without transB, [out, in] with it; Transpose(W) flips that once more.
  const oriented = (g.intAttribute(node, 'transB', 0) === 1) !== transposed ? raw : transpose2d(raw);
  const weight = alpha === 1 ? oriented : scaled(oriented, alpha);
  let bias: Tensor | null = null;
  if (node.inputs[2]) {
    const c = vectorConstant(g, node.inputs[2], weight.shape[0]);
    if (!c) throw g.fail(`${describeNode(node)}: expected a constant bias of ${weight.shape[0]} values`);
    bias = beta === 1 ? c : scaled(c, beta);
  }
  return { weight, bias, output: node.outputs[0], node };
}

/** The linear layer that `node` (see isLinearNode) starts. */
export function matchLinear(g: GraphIndex, node: OnnxNode): LinearMatch {
  return node.opType === 'Gemm' ? matchGemm(g, node) : matchMatMul(g, node);
}

/** The one linear layer reading `input`: FormatError naming what follows instead. */
export function nextLinear(g: GraphIndex, input: string, what: string): LinearMatch {
  const consumers = g.dataConsumers(input);
  if (consumers.length !== 1 || !isLinearNode(g, consumers[0], input)) throw g.unexpected(input, `${what} (MatMul or Gemm by a constant)`);
  return matchLinear(g, consumers[0]);
}
