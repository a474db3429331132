/**
 * A linear layer (PyTorch nn.Linear) in an ONNX graph: MatMul by a constant [in, out] matrix
 * (torch.onnx folds the weight to W^T), optionally followed by an Add of a constant [out] bias;
 * or Gemm with a constant B (transB = 1 keeps PyTorch's [out, in]) and optional constant C, with
 * alpha and beta folded into the weight and bias.
 */
import type { Tensor } from '../../tensor';
import type { OnnxNode } from './graph';
import type { GraphIndex } from './graph-index';
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

/** Whether `node` reads `input` as the activation of a linear layer (MatMul or Gemm by a constant). */
export function isLinearNode(g: GraphIndex, node: OnnxNode, input: string): boolean {
  if (node.inputs[0] !== input) return false;
  if (node.opType === 'MatMul') return g.constant(node.inputs[1])?.dims.length === 2;
  return node.opType === 'Gemm' && g.constant(node.inputs[1]) !== undefined;
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

/** A node's constant 2-D weight (input 1). */
function weightConstant(g: GraphIndex, node: OnnxNode): Tensor {
  const c = g.constant(node.inputs[1]);
  if (!c || c.dims.length !== 2) throw g.fail(`${describeNode(node)}: expected a constant 2-D weight`);
  return c.float();
}

function matchMatMul(g: GraphIndex, node: OnnxNode): LinearMatch {
  const weight = transpose2d(weightConstant(g, node));
  const withBias = matmulBias(g, node.outputs[0], weight.shape[0]);
  return { weight, bias: withBias?.bias ?? null, output: withBias?.output ?? node.outputs[0], node };
}

function matchGemm(g: GraphIndex, node: OnnxNode): LinearMatch {
  if (g.intAttribute(node, 'transA', 0) !== 0) throw g.fail(`${describeNode(node)}: expected transA = 0 for a linear layer`);
  const raw = weightConstant(g, node);
  const alpha = g.floatAttribute(node, 'alpha', 1);
  const beta = g.floatAttribute(node, 'beta', 1);
  const oriented = g.intAttribute(node, 'transB', 0) === 1 ? raw : transpose2d(raw);
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
