/**
 * Multi-head self-attention in an ONNX graph, from the normalized input to the output projection:
 *
 *   input -> [layout ops] -> q, k, v projections -> [layout ops, Split / Gather / Slice, scaling]
 *         -> MatMul(q, k^T) -> [scaling] -> Softmax -> MatMul(., v) -> [layout ops]
 *         -> output projection -> [layout ops] -> result
 *
 * The projections are three linear layers (Hugging Face ViT) or one fused [3 hidden] layer split
 * by Slice (torchvision's in_proj), or reshaped to [..., 3, heads, D] and split by Split + Squeeze
 * or Gather (timm, TimeSformer). Which projection is the query, key or value follows from where
 * it ends up; which features form each head, and that tokens stay tokens, is checked by probing
 * the layout ops (attention-layout.ts), so exporter-specific reshapes need no special cases.
 * The scale must be 1 / sqrt(D) overall (split between q, k and the scores in any way); another
 * constant is folded into the query weights.
 */
import type { Tensor } from '../../tensor';
import type { CoreDims, OperandSource } from './attention-layout';
import { headFeatures, layoutFailure, queryRows, readMerge, readOperand } from './attention-layout';
import type { OnnxNode } from './graph';
import { describeNode } from './graph-index';
import type { ChainStep } from './layout-probe';
import { LAYOUT_OPS, probeChain, startProbe, walkLayout } from './layout-probe';
import type { LinearMatch } from './linear-match';
import { isLinearNode, matchLinear, nextLinear } from './linear-match';
import type { MatchContext } from './match-context';
import { scaled, selectRows } from './weight-math';

/** A projection's parameters in PyTorch layout. */
export interface Projection {
  /** [out, in] */
  readonly weight: Tensor;
  /** [out], or null without bias. */
  readonly bias: Tensor | null;
}

export interface AttentionMatch {
  readonly query: Projection;
  readonly key: Projection;
  readonly value: Projection;
  readonly output: Projection;
  readonly heads: number;
  readonly headDim: number;
  /** Tokens per attended sequence. */
  readonly tokens: number;
  /** The block's result, in the input's layout. */
  readonly result: string;
}

/** The most ops between a projection and the attention MatMul. */
const MAX_CHAIN = 16;
/** Relative difference from 1 / sqrt(D) below which the scale counts as the standard one. */
const SCALE_TOLERANCE = 1e-6;

/** One path from a projection to an attention MatMul. */
interface Branch {
  readonly projection: number;
  readonly chain: readonly ChainStep[];
  readonly scale: number;
  readonly matmul: OnnxNode;
  readonly operand: number;
}

/** The factor a node scales `tensor` by (Mul or Div by a scalar constant), or undefined. */
function scaleFactor(ctx: MatchContext, node: OnnxNode, tensor: string): number | undefined {
  if (node.opType === 'Mul') return ctx.g.scalar(node.inputs[0] === tensor ? node.inputs[1] : node.inputs[0]);
  if (node.opType === 'Div' && node.inputs[0] === tensor) {
    const d = ctx.g.scalar(node.inputs[1]);
    return d === undefined ? undefined : 1 / d;
  }
  return undefined;
}

/** Whether both operands of a MatMul are computed (not a weight). */
function isActivationMatMul(ctx: MatchContext, node: OnnxNode): boolean {
  return node.opType === 'MatMul' && !ctx.g.constant(node.inputs[0]) && !ctx.g.constant(node.inputs[1]);
}

/** Every path from `tensor` to an attention MatMul, through layout ops, splits and scaling. */
function walkBranches(ctx: MatchContext, projection: number, tensor: string, chain: readonly ChainStep[], scale: number): Branch[] {
  const { g } = ctx;
  if (chain.length > MAX_CHAIN) throw g.unexpected(tensor, 'the attention MatMul');
  const consumers = g.dataConsumers(tensor);
  const step = (node: OnnxNode, output: number, factor = 1): Branch[] =>
    walkBranches(ctx, projection, node.outputs[output], [...chain, { node, output }], scale * factor);
  if (consumers.length > 1) {
    if (!consumers.every((n) => (n.opType === 'Gather' || n.opType === 'Slice') && n.inputs[0] === tensor)) {
      throw g.unexpected(tensor, 'Gather or Slice of the fused q | k | v, or one op');
    }
    return consumers.flatMap((n) => step(n, 0));
  }
  const node = consumers[0];
  if (node && isActivationMatMul(ctx, node)) return [{ projection, chain, scale, matmul: node, operand: node.inputs.indexOf(tensor) }];
  if (node?.opType === 'Split' && node.inputs[0] === tensor) return node.outputs.flatMap((_, k) => step(node, k));
  const factor = node ? scaleFactor(ctx, node, tensor) : undefined;
  if (node && factor !== undefined) return step(node, 0, factor);
  if (node && LAYOUT_OPS.has(node.opType) && node.inputs[0] === tensor) return step(node, 0);
  throw g.unexpected(tensor, 'Reshape, Transpose, Split, scaling or the attention MatMul');
}

/** The q / k / v projections reading `input` (after its layout ops). */
function matchProjections(ctx: MatchContext, input: string, hidden: number): { projections: LinearMatch[]; chain: readonly ChainStep[] } {
  const { g } = ctx;
  const pre = walkLayout(g, input);
  const nodes = g.dataConsumers(pre.end);
  const projections = nodes.every((n) => isLinearNode(g, n, pre.end)) ? nodes.map((n) => matchLinear(g, n)) : [];
  const outs = projections.map((p) => p.weight.shape[0]);
  const ok = projections.every((p) => p.weight.shape[1] === hidden) && ((outs.length === 3 && outs.every((o) => o === hidden)) || (outs.length === 1 && outs[0] === 3 * hidden));
  if (!ok) throw g.unexpected(pre.end, `3 linear projections [${hidden} -> ${hidden}] or one fused [${hidden} -> ${3 * hidden}] (query, key, value)`);
  return { projections, chain: pre.chain };
}

/** The query, key and value branches: q and k meet in the scores MatMul, v in the context MatMul. */
function assignRoles(ctx: MatchContext, branches: readonly Branch[], where: string): { q: Branch; k: Branch; v: Branch; scores: OnnxNode; context: OnnxNode } {
  const q = branches.find((b) => b.operand === 0 && branches.some((o) => o !== b && o.matmul === b.matmul && o.operand === 1));
  const k = q && branches.find((b) => b.matmul === q.matmul && b.operand === 1);
  const v = branches.find((b) => b !== q && b !== k && b.operand === 1);
  if (branches.length !== 3 || !q || !k || !v) {
    const found = branches.map((b) => `${describeNode(b.matmul)} input ${b.operand}`).join(', ');
    throw ctx.g.fail(`${where}: expected the query and key to meet in one MatMul and the value to enter the MatMul after the Softmax, found ${found}`);
  }
  return { q, k, v, scores: q.matmul, context: v.matmul };
}

/** Scores -> [scaling] -> Softmax over the last axis -> the context MatMul: the scores' scale. */
function matchSoftmax(ctx: MatchContext, scores: OnnxNode, context: OnnxNode): number {
  const { g } = ctx;
  let tensor = scores.outputs[0];
  let scale = 1;
  for (;;) {
    const node = g.next(tensor, ['Mul', 'Div', 'Softmax']);
    if (node.opType === 'Softmax') {
      const rank = ctx.folder.shape(tensor).length;
      const axis = g.intAttribute(node, 'axis', g.opset >= 13 ? -1 : 1);
      if (axis !== -1 && axis !== rank - 1) throw g.fail(`${describeNode(node)}: expected a softmax over the last axis (the keys), found axis ${axis}`);
      tensor = node.outputs[0];
      break;
    }
    const factor = scaleFactor(ctx, node, tensor);
    if (factor === undefined) throw g.fail(`${describeNode(node)}: expected scaling by a constant`);
    scale *= factor;
    tensor = node.outputs[0];
  }
  if (g.next(tensor, ['MatMul']) !== context || context.inputs[0] !== tensor) {
    throw g.fail(`expected the attention weights of ${g.describeTensor(tensor)} to multiply the value in ${describeNode(context)}`);
  }
  return scale;
}

/** Tokens and head dim from the operand shapes, checked against each other. */
function coreDims(ctx: MatchContext, scores: OnnxNode, context: OnnxNode, hidden: number): CoreDims {
  const shape = (t: string): readonly number[] => ctx.folder.shape(t);
  const [q, k, v, out] = [shape(scores.inputs[0]), shape(scores.inputs[1]), shape(context.inputs[1]), shape(context.outputs[0])];
  const rank = q.length;
  const [tokens, headDim] = q.slice(-2);
  const lead = q.slice(0, -2);
  const same = (s: readonly number[], tail: number[]): boolean => s.length === rank && [...lead, ...tail].every((d, i) => d === s[i]);
  if (rank < 3 || !same(k, [headDim, tokens]) || !same(v, [tokens, headDim]) || !same(out, [tokens, headDim]) || hidden % headDim !== 0) {
    throw ctx.g.fail(
      `${describeNode(scores)}: expected q [..., N, D], k [..., D, N], v [..., N, D] with D dividing ${hidden}, ` +
        `found q [${q.join(', ')}], k [${k.join(', ')}], v [${v.join(', ')}]`,
    );
  }
  return { batch: lead.reduce((a, b) => a * b, 1), tokens, headDim, heads: hidden / headDim };
}

/** Per projection-input row, the block-input row it is (probing the layout ops before the projections). */
function projectionInputRows(ctx: MatchContext, input: string, chain: readonly ChainStep[], hidden: number, fail: (p: string) => Error): Int32Array {
  const probe = probeChain(startProbe(input, ctx.folder.shape(input), ctx.folder), chain, ctx.folder);
  if (probe.shape[probe.shape.length - 1] !== hidden) throw fail('the projections do not read the hidden features');
  const rows = new Int32Array(probe.source.length / hidden);
  probe.source.forEach((src, at) => {
    if (src % hidden !== at % hidden) throw fail('the projections read the hidden features out of order');
    rows[Math.floor(at / hidden)] = Math.floor(src / hidden);
  });
  return rows;
}

/**
 * The output projection's result back in the block input's layout: the first tensor along the
 * layout ops after it with the input's shape, checked to hold every token in its input row.
 */
function matchResult(ctx: MatchContext, out: LinearMatch, input: string, rowOf: Int32Array, rows: Int32Array, hidden: number, fail: (p: string) => Error): string {
  const inputShape = ctx.folder.shape(input);
  const { chain } = walkLayout(ctx.g, out.output);
  const shapeAfter = (steps: number): string => ctx.folder.shape(steps === 0 ? out.output : chain[steps - 1].node.outputs[0]).join();
  const length = Array.from({ length: chain.length + 1 }, (_, steps) => steps).find((steps) => shapeAfter(steps) === inputShape.join());
  if (length === undefined) throw fail(`no tensor after the output projection has the input's shape [${inputShape.join(', ')}]`);
  const probe = probeChain(startProbe(out.output, ctx.folder.shape(out.output), ctx.folder), chain.slice(0, length), ctx.folder);
  const blockRowOfOutputRow = new Int32Array(probe.source.length / hidden).fill(-1);
  rowOf.forEach((outRow, at) => {
    if (blockRowOfOutputRow[outRow] !== -1 && blockRowOfOutputRow[outRow] !== rows[at]) throw fail('one output row mixes several tokens');
    blockRowOfOutputRow[outRow] = rows[at];
  });
  probe.source.forEach((src, at) => {
    if (src % hidden !== at % hidden || blockRowOfOutputRow[Math.floor(src / hidden)] !== Math.floor(at / hidden)) {
      throw fail("the output projection's rows do not go back to the tokens they came from");
    }
  });
  return probe.tensor;
}

/** A projection restricted to `features` (in that order), scaled by `factor`. */
function project(linear: LinearMatch, features: readonly number[], factor: number): Projection {
  const weight = selectRows(linear.weight, features);
  const bias = linear.bias ? selectRows(linear.bias, features) : null;
  const near = Math.abs(factor - 1) <= SCALE_TOLERANCE;
  return { weight: near ? weight : scaled(weight, factor), bias: bias && !near ? scaled(bias, factor) : bias };
}

/** The self-attention block reading `input` ([..., tokens, hidden]). */
export function matchAttention(ctx: MatchContext, input: string, hidden: number): AttentionMatch {
  const { g, folder } = ctx;
  const { projections, chain } = matchProjections(ctx, input, hidden);
  const where = `the attention after ${g.describeTensor(input)}`;
  const fail = layoutFailure(g, where);
  const branches = projections.flatMap((p, i) => walkBranches(ctx, i, p.output, [], 1));
  const { q, k, v, scores, context } = assignRoles(ctx, branches, where);
  const scoreScale = matchSoftmax(ctx, scores, context);
  const dims = coreDims(ctx, scores, context, hidden);
  const inputShape = folder.shape(input);
  if (inputShape[inputShape.length - 2] !== dims.tokens) throw fail(`the attention covers ${dims.tokens} tokens, the input has ${inputShape[inputShape.length - 2]}`);

  const operand = (b: Branch, transposed: boolean): OperandSource => {
    const linear = projections[b.projection];
    const probe = probeChain(startProbe(linear.output, folder.shape(linear.output), folder), b.chain, folder);
    return readOperand(probe, linear.weight.shape[0], dims, transposed, fail);
  };
  const [qs, ks, vs] = [operand(q, false), operand(k, true), operand(v, false)];
  const merge = walkLayout(g, context.outputs[0]);
  const out = nextLinear(g, merge.end, 'the attention output projection');
  const mergeProbe = probeChain(startProbe(context.outputs[0], folder.shape(context.outputs[0]), folder), merge.chain, folder);
  const layout = readMerge(mergeProbe, hidden, dims, fail);
  if (out.weight.shape[0] !== hidden || out.weight.shape[1] !== hidden) throw g.fail(`${describeNode(out.node)}: expected a [${hidden} -> ${hidden}] output projection`);

  const rows = queryRows(qs, ks, vs, projectionInputRows(ctx, input, chain, hidden, fail), dims, fail);
  const result = matchResult(ctx, out, input, layout.rowOf, rows, hidden, fail);
  const queryScale = q.scale * k.scale * scoreScale * Math.sqrt(dims.headDim);
  return {
    query: project(projections[q.projection], headFeatures(qs, layout, dims, fail), queryScale),
    key: project(projections[k.projection], headFeatures(ks, layout, dims, fail), 1),
    value: project(projections[v.projection], headFeatures(vs, layout, dims, fail), v.scale),
    output: { weight: out.weight, bias: out.bias },
    heads: dims.heads,
    headDim: dims.headDim,
    tokens: dims.tokens,
    result,
  };
}
