/**
 * The class token and position embeddings in an ONNX graph:
 *   Concat(axis 1)[class token (a constant, usually through Expand), patch tokens]
 *   -> Add(position table)
 * The table is a constant [1, 1 + P, hidden], or, for a graph exported at another resolution
 * with Hugging Face's interpolate_pos_encoding, Concat(class position, patch positions resized
 * by a bicubic Resize): then the stored table is put back together from its two constants (or
 * the one they are sliced from), and the resize is checked to be the one tessera does itself
 * when the input grid differs from the config's (cubic, a = -0.75, half-pixel, to the token grid).
 */
import type { Tensor } from '../../tensor';
import type { OnnxNode } from './graph';
import type { GraphIndex } from './graph-index';
import { describeNode } from './graph-index';
import type { ChainStep } from './layout-probe';
import { probeChain, startProbe, walkBack } from './layout-probe';
import type { MatchContext } from './match-context';
import { concatRows, withDims } from './weight-math';

export interface ClassToken {
  /** [1, 1, hidden] */
  readonly token: Tensor;
  /** The Concat's output: class token then patch tokens. */
  readonly output: string;
}

/** A position table resized in the graph (see the module comment). */
export interface ResizedPositions {
  readonly cls: { readonly start: string; readonly chain: readonly ChainStep[] };
  readonly patches: { readonly start: string; readonly chain: readonly ChainStep[] };
  readonly resize: OnnxNode;
  readonly after: readonly ChainStep[];
  /** The patch positions as added: [1, gh * gw, hidden]. */
  readonly output: string;
}

export interface PositionMatch {
  /** The stored table [1, 1 + P, hidden]. */
  readonly table: Tensor;
  /** The embeddings: tokens + positions. */
  readonly output: string;
  readonly resized?: ResizedPositions;
}

/** Ops between a constant and what uses it that do not change its values. */
const CONSTANT_VIEWS = ['Expand', 'Tile', 'Cast'];

/** Whether a Concat joins along the token axis of [B, N, hidden] tensors. */
function isTokenConcat(g: GraphIndex, node: OnnxNode): boolean {
  const axis = g.intAttribute(node, 'axis', 0);
  return node.opType === 'Concat' && node.inputs.length === 2 && (axis === 1 || axis === -2);
}

/** The constant a tensor views (through layout ops, Expand, Tile, Cast), and the steps from it. */
function viewedConstant(g: GraphIndex, tensor: string): { start: string; chain: ChainStep[]; value: Tensor } | undefined {
  const back = walkBack(g, tensor, CONSTANT_VIEWS);
  const c = g.constant(back.start);
  return c && !c.isInteger ? { ...back, value: c.float() } : undefined;
}

/** The class-token Concat after the patch tokens (needs no shapes). */
export function matchClassToken(g: GraphIndex, tokens: string, hidden: number): ClassToken {
  const node = g.next(tokens, ['Concat']);
  if (!isTokenConcat(g, node) || node.inputs[1] !== tokens) throw g.fail(`${describeNode(node)}: expected Concat(axis 1)[class token, patch tokens]`);
  const cls = viewedConstant(g, node.inputs[0]);
  if (!cls || cls.value.size !== hidden) throw g.fail(`${describeNode(node)}: expected a constant class token of ${hidden} values as its first input`);
  return { token: withDims(cls.value, [1, 1, hidden]), output: node.outputs[0] };
}

/** The table [1, 1 + P, hidden]: the one constant both parts view, or the class row joined to the patch rows. */
function storedTable(cls: { start: string; value: Tensor }, patches: { start: string; value: Tensor }, hidden: number): Tensor {
  if (cls.start === patches.start) return withDims(cls.value, [1, cls.value.size / hidden, hidden]);
  const rows = concatRows([withDims(cls.value, [1, hidden]), withDims(patches.value, [patches.value.size / hidden, hidden])]);
  return withDims(rows, [1, rows.shape[0], hidden]);
}

/** Concat(class position, Resize(patch positions)): the stored table and how it is resized. */
function matchResized(g: GraphIndex, positions: string, hidden: number): { table: Tensor; resized: ResizedPositions } {
  const concat = g.producer(positions);
  if (!concat || !isTokenConcat(g, concat)) throw g.fail(`expected the position embeddings added after the class token to be a constant or Concat(class position, resized patch positions), found ${g.describeTensor(positions)}`);
  const cls = viewedConstant(g, concat.inputs[0]);
  const after = walkBack(g, concat.inputs[1]);
  const resize = g.producer(after.start);
  if (!cls || resize?.opType !== 'Resize') throw g.fail(`${describeNode(concat)}: expected a constant class position and Resize'd patch positions`);
  const patches = viewedConstant(g, resize.inputs[0]);
  if (!patches) throw g.fail(`${describeNode(resize)}: expected the patch positions to come from a constant table`);
  return { table: storedTable(cls, patches, hidden), resized: { cls, patches, resize, after: after.chain, output: concat.inputs[1] } };
}

/** The position Add after the class-token Concat (needs no shapes). */
export function matchPositions(g: GraphIndex, embeddings: string, hidden: number): PositionMatch {
  const add = g.next(embeddings, ['Add']);
  const positions = add.inputs[0] === embeddings ? add.inputs[1] : add.inputs[0];
  const c = g.constant(positions);
  if (c) {
    const size = c.dims.reduce((a, b) => a * b, 1);
    if (c.isInteger || size % hidden !== 0) throw g.fail(`${describeNode(add)}: expected a position table of [tokens, ${hidden}] values`);
    return { table: withDims(c.float(), [1, size / hidden, hidden]), output: add.outputs[0] };
  }
  return { ...matchResized(g, positions, hidden), output: add.outputs[0] };
}

/** Checks a resize's attributes against tessera's bicubic interpolation. */
function checkResizeMode(ctx: MatchContext, node: OnnxNode): void {
  const { g } = ctx;
  const mode = g.stringAttribute(node, 'mode', 'nearest');
  const transform = g.stringAttribute(node, 'coordinate_transformation_mode', 'half_pixel');
  const a = g.floatAttribute(node, 'cubic_coeff_a', -0.75);
  const exclude = g.intAttribute(node, 'exclude_outside', 0);
  const antialias = g.intAttribute(node, 'antialias', 0);
  if (mode !== 'cubic' || !['half_pixel', 'pytorch_half_pixel'].includes(transform) || Math.abs(a + 0.75) > 1e-6 || exclude !== 0 || antialias !== 0) {
    throw g.fail(
      `${describeNode(node)}: expected the position embeddings resized like PyTorch's bicubic interpolation (mode cubic, half_pixel, cubic_coeff_a -0.75, ` +
        `no exclude_outside or antialias), found mode ${mode}, ${transform}, cubic_coeff_a ${a}`,
    );
  }
  const scales = node.inputs[2] ? ctx.folder.values(node.inputs[2]) : undefined;
  const [inShape, outShape] = [ctx.folder.shape(node.inputs[0]), ctx.folder.shape(node.outputs[0])];
  if (scales && scales.length > 0 && scales.some((s, i) => Math.abs(s * inShape[i] - outShape[i]) > 1e-6 * outShape[i])) {
    throw g.fail(`${describeNode(node)}: scales [${scales.join(', ')}] are not output size / input size, which tessera's interpolation assumes`);
  }
}

/**
 * Checks a resized table: the class position is row 0; the patch rows, viewed as [1, hidden, s, s]
 * (s * s = P), are resized to the token grid and flattened row-major. Returns the stored grid side s.
 */
export function checkResizedPositions(ctx: MatchContext, resized: ResizedPositions, grid: readonly [number, number], hidden: number): number {
  const { g, folder } = ctx;
  const fail = (problem: string): Error => g.fail(`${describeNode(resized.resize)}: ${problem}`);
  checkResizeMode(ctx, resized.resize);
  const clsProbe = probeChain(startProbe(resized.cls.start, folder.shape(resized.cls.start), folder), resized.cls.chain, folder);
  if (clsProbe.source.length !== hidden || clsProbe.source.some((src, f) => src !== f)) throw fail('the class position is not the first row of the table');
  const offset = resized.cls.start === resized.patches.start ? 1 : 0;
  const before = probeChain(startProbe(resized.patches.start, folder.shape(resized.patches.start), folder), resized.patches.chain, folder);
  const [one, channels, s, s2] = before.shape;
  if (before.shape.length !== 4 || one !== 1 || channels !== hidden || s !== s2) throw fail(`expected the patch positions as [1, ${hidden}, s, s], found [${before.shape.join(', ')}]`);
  if (before.source.some((src, at) => src !== (offset + (at % (s * s))) * hidden + Math.floor(at / (s * s)))) throw fail('the patch positions are not viewed as a row-major s x s grid');
  const [gh, gw] = grid;
  const resizedShape = folder.shape(resized.resize.outputs[0]);
  if (resizedShape.join() !== [1, hidden, gh, gw].join()) throw fail(`expected a resize to the token grid [1, ${hidden}, ${gh}, ${gw}], found [${resizedShape.join(', ')}]`);
  const after = probeChain(startProbe(resized.resize.outputs[0], resizedShape, folder), resized.after, folder);
  if (after.source.length !== gh * gw * hidden || after.source.some((src, at) => src !== (at % hidden) * gh * gw + Math.floor(at / hidden))) {
    throw fail('the resized positions are not flattened back to tokens in row-major order');
  }
  return s;
}
