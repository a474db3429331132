/**
 * The patch embedding in an ONNX graph: the model input (through Cast / Identity / Reshape, e.g.
 * TimeSformer's [B, T, C, H, W] -> [B*T, C, H, W]) reaches a Conv with kernel = stride = patch,
 * no padding, dilation 1, one group; its output [B', hidden, gh, gw] is flattened and transposed
 * to tokens [B', gh*gw, hidden] (patch row r, column c is token r * gw + c), which is checked by
 * probing the layout ops.
 */
import { Tensor } from '../../tensor';
import type { OnnxNode } from './graph';
import type { GraphIndex } from './graph-index';
import { describeNode } from './graph-index';
import type { ChainStep } from './layout-probe';
import { probeChain, startProbe, walkLayout } from './layout-probe';
import type { MatchContext } from './match-context';
import { withDims } from './weight-math';

export interface PatchConv {
  /** [hidden, channels, ph, pw] */
  readonly weight: Tensor;
  /** [hidden] */
  readonly bias: Tensor;
  readonly node: OnnxNode;
  /** The layout ops from the model input to the Conv. */
  readonly inputChain: readonly ChainStep[];
}

export interface PatchTokens {
  /** [B', gh * gw, hidden] */
  readonly tokens: string;
  /** [gh, gw] */
  readonly grid: readonly [number, number];
}

function checkAttribute(g: GraphIndex, node: OnnxNode, name: string, expected: readonly number[]): void {
  const found = g.intsAttribute(node, name);
  if (found && found.some((v, i) => v !== expected[i])) {
    throw g.fail(`${describeNode(node)}: expected ${name} [${expected.join(', ')}] for a patch embedding, found [${found.join(', ')}]`);
  }
}

/** Checks a Conv's attributes and reads its constant weight and bias. */
function readConv(g: GraphIndex, node: OnnxNode): { weight: Tensor; bias: Tensor } {
  const w = g.constant(node.inputs[1]);
  if (!w || w.dims.length !== 4) throw g.fail(`${describeNode(node)}: expected a constant 2-D convolution weight [hidden, channels, ph, pw]`);
  const [hidden, , ph, pw] = w.dims;
  checkAttribute(g, node, 'kernel_shape', [ph, pw]);
  checkAttribute(g, node, 'strides', [ph, pw]);
  checkAttribute(g, node, 'pads', [0, 0, 0, 0]);
  checkAttribute(g, node, 'dilations', [1, 1]);
  if (!g.intsAttribute(node, 'strides') && (ph !== 1 || pw !== 1)) throw g.fail(`${describeNode(node)}: expected strides equal to the kernel [${ph}, ${pw}]`);
  if (g.intAttribute(node, 'group', 1) !== 1) throw g.fail(`${describeNode(node)}: expected group 1`);
  const autoPad = g.stringAttribute(node, 'auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID') throw g.fail(`${describeNode(node)}: expected no padding, found auto_pad ${autoPad}`);
  const b = node.inputs[2] ? g.constant(node.inputs[2]) : undefined;
  if (node.inputs[2] && (!b || b.dims.reduce((x, y) => x * y, 1) !== hidden)) throw g.fail(`${describeNode(node)}: expected a constant bias of ${hidden} values`);
  return { weight: w.float(), bias: b ? withDims(b.float(), [hidden]) : Tensor.zeros([hidden]) };
}

/** The patch Conv the model input reaches (needs no shapes: usable before folding). */
export function findPatchConv(g: GraphIndex, input: string): PatchConv {
  const { chain, end } = walkLayout(g, input, ['Cast']);
  const node = g.next(end, ['Conv']);
  if (node.inputs[0] !== end) throw g.unexpected(end, 'the patch Conv');
  return { ...readConv(g, node), node, inputChain: chain };
}

/** Checks that the ops before the Conv only view the input as images ([B, T, C, H, W] as [B*T, C, H, W]). */
export function checkConvInput(ctx: MatchContext, input: string, conv: PatchConv): void {
  // The input itself feeds the Conv: nothing moves, and nothing as large as the input needs probing.
  const probe = conv.inputChain.length === 0 ? { shape: ctx.folder.shape(input), source: new Int32Array(0) } : probeChain(startProbe(input, ctx.folder.shape(input), ctx.folder), conv.inputChain, ctx.folder);
  if (probe.shape.length !== 4 || probe.source.some((src, i) => src !== i)) {
    throw ctx.g.fail(`${describeNode(conv.node)}: expected the model input viewed as images [N, C, H, W], found [${probe.shape.join(', ')}] with moved pixels`);
  }
}

/** The patch tokens after the Conv, checked to be [B', gh * gw, hidden] in row-major patch order. */
export function matchPatchTokens(ctx: MatchContext, conv: PatchConv): PatchTokens {
  const out = conv.node.outputs[0];
  const [images, hidden, gh, gw] = ctx.folder.shape(out);
  const { chain, end } = walkLayout(ctx.g, out);
  const probe = probeChain(startProbe(out, [images, hidden, gh, gw], ctx.folder), chain, ctx.folder);
  const tokens = gh * gw;
  const expected = [images, tokens, hidden];
  const ordered = probe.source.every((src, at) => {
    const [n, p, f] = [Math.floor(at / (tokens * hidden)), Math.floor(at / hidden) % tokens, at % hidden];
    return src === (n * hidden + f) * tokens + p;
  });
  if (probe.shape.length !== 3 || probe.shape.some((d, i) => d !== expected[i]) || !ordered) {
    throw ctx.g.fail(`expected the patch embedding ${describeNode(conv.node)} flattened to tokens [${expected.join(', ')}] (patch r, c -> token r * ${gw} + c), found [${probe.shape.join(', ')}] at ${ctx.g.describeTensor(end)}`);
  }
  return { tokens: end, grid: [gh, gw] };
}
