/**
 * LayerNorm over the last axis in an ONNX graph, in either form torch.onnx writes:
 * - opset >= 17: one LayerNormalization node (axis -1, epsilon attribute, scale and bias inputs);
 * - older opsets: ReduceMean -> Sub -> Pow 2 -> ReduceMean -> Add eps -> Sqrt -> Div -> Mul gamma
 *   -> Add beta (Sqrt -> Reciprocal -> Mul is accepted for the division).
 * Returns gamma, beta and eps; gamma and beta default to ones and zeros when the graph has none.
 */
import { Tensor } from '../../tensor';
import type { OnnxNode } from './graph';
import { describeNode } from './graph-index';
import type { MatchContext } from './match-context';
import { withDims } from './weight-math';

export interface LayerNormMatch {
  /** gamma [hidden] */
  readonly weight: Tensor;
  /** beta [hidden] */
  readonly bias: Tensor;
  readonly eps: number;
  /** The normalized tensor. */
  readonly output: string;
}

/** A constant of exactly `size` values (any dims of that many elements), as a vector. */
function vector(ctx: MatchContext, tensor: string | undefined, size: number, what: string, node: OnnxNode): Tensor {
  const c = tensor ? ctx.g.constant(tensor) : undefined;
  if (!c || c.dims.reduce((a, b) => a * b, 1) !== size) {
    throw ctx.g.fail(`${describeNode(node)}: expected a constant ${what} of ${size} values`);
  }
  return withDims(c.float(), [size]);
}

/** The operand of a binary node other than `tensor`. */
function otherInput(node: OnnxNode, tensor: string): string {
  return node.inputs[0] === tensor ? node.inputs[1] : node.inputs[0];
}

/** Whether a Reduce node reduces only the last axis of a rank-`rank` tensor, keeping it. */
function reducesLastAxis(ctx: MatchContext, node: OnnxNode, rank: number): boolean {
  const axes = ctx.g.intsAttribute(node, 'axes') ?? (node.inputs[1] ? ctx.folder.values(node.inputs[1]) : undefined);
  return axes?.length === 1 && (axes[0] === -1 || axes[0] === rank - 1) && ctx.g.intAttribute(node, 'keepdims', 1) === 1;
}

function matchFused(ctx: MatchContext, node: OnnxNode, hidden: number, rank: number): LayerNormMatch {
  const axis = ctx.g.intAttribute(node, 'axis', -1);
  if (axis !== -1 && axis !== rank - 1) throw ctx.g.fail(`${describeNode(node)}: expected axis -1 (the hidden features), found ${axis}`);
  const weight = vector(ctx, node.inputs[1], hidden, 'scale', node);
  const bias = node.inputs[2] ? vector(ctx, node.inputs[2], hidden, 'bias', node) : Tensor.zeros([hidden]);
  return { weight, bias, eps: ctx.g.floatAttribute(node, 'epsilon', 1e-5), output: node.outputs[0] };
}

/** Sub(x, mean) -> Pow 2 -> ReduceMean -> Add eps -> Sqrt: the eps, and the tensor to divide by. */
function matchDeviation(ctx: MatchContext, centered: string, rank: number): { eps: number; std: string } {
  const { g } = ctx;
  const square = g.dataConsumers(centered).find((n) => (n.opType === 'Pow' && g.scalar(n.inputs[1]) === 2) || (n.opType === 'Mul' && n.inputs[0] === centered && n.inputs[1] === centered));
  if (!square) throw g.unexpected(centered, 'Pow 2 (the variance)');
  const variance = g.next(square.outputs[0], ['ReduceMean']);
  if (!reducesLastAxis(ctx, variance, rank)) throw g.fail(`${describeNode(variance)}: expected a mean over the last axis`);
  const addEps = g.next(variance.outputs[0], ['Add']);
  const eps = g.scalar(otherInput(addEps, variance.outputs[0]));
  if (eps === undefined) throw g.fail(`${describeNode(addEps)}: expected a constant epsilon`);
  return { eps, std: g.next(addEps.outputs[0], ['Sqrt']).outputs[0] };
}

/** The normalized tensor: Div(centered, std), or Mul(centered, Reciprocal(std)). */
function matchDivision(ctx: MatchContext, centered: string, std: string): string {
  const { g } = ctx;
  const next = g.next(std, ['Div', 'Reciprocal']);
  if (next.opType === 'Div') {
    if (next.inputs[0] !== centered) throw g.fail(`${describeNode(next)}: expected the centered input divided by the deviation`);
    return next.outputs[0];
  }
  const mul = g.next(next.outputs[0], ['Mul']);
  if (otherInput(mul, next.outputs[0]) !== centered) throw g.fail(`${describeNode(mul)}: expected the centered input times 1 / deviation`);
  return mul.outputs[0];
}

/** An optional element-wise Mul / Add by a constant [hidden] vector after `tensor`. */
function affine(ctx: MatchContext, tensor: string, op: 'Mul' | 'Add', hidden: number): { value: Tensor; output: string } | undefined {
  const consumers = ctx.g.dataConsumers(tensor);
  if (consumers.length !== 1 || consumers[0].opType !== op) return undefined;
  const node = consumers[0];
  const c = ctx.g.constant(otherInput(node, tensor));
  if (!c || c.dims.reduce((a, b) => a * b, 1) !== hidden) return undefined;
  return { value: withDims(c.float(), [hidden]), output: node.outputs[0] };
}

function matchExpanded(ctx: MatchContext, input: string, mean: OnnxNode, hidden: number, rank: number): LayerNormMatch {
  const { g } = ctx;
  if (!reducesLastAxis(ctx, mean, rank)) throw g.fail(`${describeNode(mean)}: expected a mean over the last axis`);
  const sub = g.dataConsumers(input).find((n) => n.opType === 'Sub' && n.inputs[0] === input && n.inputs[1] === mean.outputs[0]);
  if (!sub) throw g.unexpected(mean.outputs[0], `Sub (the input minus its mean)`);
  const centered = sub.outputs[0];
  const { eps, std } = matchDeviation(ctx, centered, rank);
  const normalized = matchDivision(ctx, centered, std);
  const gamma = affine(ctx, normalized, 'Mul', hidden);
  const beta = affine(ctx, gamma?.output ?? normalized, 'Add', hidden);
  return {
    weight: gamma?.value ?? new Tensor(new Float32Array(hidden).fill(1), [hidden]),
    bias: beta?.value ?? Tensor.zeros([hidden]),
    eps,
    output: beta?.output ?? gamma?.output ?? normalized,
  };
}

/** The LayerNorm applied to `input` (its last axis has `hidden` features). */
export function matchLayerNorm(ctx: MatchContext, input: string, hidden: number): LayerNormMatch {
  const rank = ctx.folder.shape(input).length;
  const fused = ctx.g.dataConsumers(input).find((n) => n.opType === 'LayerNormalization' && n.inputs[0] === input);
  if (fused) return matchFused(ctx, fused, hidden, rank);
  const mean = ctx.g.dataConsumers(input).find((n) => n.opType === 'ReduceMean' && n.inputs[0] === input);
  if (mean) return matchExpanded(ctx, input, mean, hidden, rank);
  throw ctx.g.unexpected(input, 'a LayerNorm (LayerNormalization, or ReduceMean and Sub)');
}
