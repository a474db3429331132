/**
 * Layout probing: runs a chain of data-movement ops (Reshape, Transpose, Squeeze, Gather, Slice,
 * Split, ...) on element indices instead of values, at the concrete shapes of shape-fold.ts. The
 * result says, for every element at the end of the chain, which element of the chain's start it
 * is, so a matcher can check what an exporter's reshapes and transposes really do (which
 * features form a head, which rows are one token) instead of trusting op names.
 *
 * A probe holds one int32 per element, so probes are limited to MAX_PROBE_ELEMENTS elements (a
 * graph whose shapes need more is refused, naming the tensor, before anything is allocated).
 */
import type { OnnxNode } from './graph';
import type { GraphIndex } from './graph-index';
import { describeNode } from './graph-index';
import { fullRange, normalizeAxis, product, selectIndices, transposeIndices } from './index-math';
import type { ShapeFolder } from './shape-fold';

/** One op of a chain, and which of its outputs the chain continues with. */
export interface ChainStep {
  readonly node: OnnxNode;
  readonly output: number;
}

/** Where each element of `tensor` comes from: a flat index into the probe's start tensor. */
export interface Probe {
  readonly tensor: string;
  readonly shape: readonly number[];
  readonly source: Int32Array;
}

/** Ops that only move (or keep) elements. */
export const LAYOUT_OPS: ReadonlySet<string> = new Set([
  'Identity', 'Dropout', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'Gather', 'Slice',
]);
/** Ops a probe passes through unchanged: layout ops that keep the order, and scaling by a constant. */
const ORDER_KEEPING: ReadonlySet<string> = new Set(['Identity', 'Dropout', 'Cast', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Mul', 'Div']);

/**
 * The most elements a probe may have: 2^26 (a 256 MiB index array), far above any real model at
 * the probe batch (a ViT-H/14 at 518 px has 3.5M elements per activation, a 96-frame TimeSformer
 * 38M), far below what would exhaust memory.
 */
export const MAX_PROBE_ELEMENTS = 2 ** 26;

/**
 * Checks that a probe of `shape` (the shape of `tensor`) stays within MAX_PROBE_ELEMENTS: a
 * FormatError naming the model when `folder` is given (the matchers), else a RangeError.
 */
function checkProbeSize(folder: ShapeFolder | undefined, tensor: string, shape: readonly number[]): void {
  if (product(shape) > MAX_PROBE_ELEMENTS) {
    const message = `'${tensor}' [${shape.join(', ')}] has more than ${MAX_PROBE_ELEMENTS} elements, too many to check its layout`;
    throw folder ? folder.g.fail(message) : new RangeError(message);
  }
}

/**
 * A probe at `tensor` (of `shape`) itself: every element is its own source. The matchers pass
 * their folder, so that a probe over MAX_PROBE_ELEMENTS is a FormatError naming the model.
 */
export function startProbe(tensor: string, shape: readonly number[], folder?: ShapeFolder): Probe {
  checkProbeSize(folder, tensor, shape);
  const source = new Int32Array(product(shape));
  for (let i = 0; i < source.length; i++) source[i] = i;
  return { tensor, shape, source };
}

function remap(probe: Probe, indices: Int32Array): Int32Array {
  return indices.map((i) => probe.source[i]);
}

/** The probe one step further along the chain. */
function probeStep(probe: Probe, step: ChainStep, folder: ShapeFolder): Probe {
  const { node } = step;
  const g = folder.g;
  const tensor = node.outputs[step.output];
  const shape = folder.shape(tensor);
  checkProbeSize(folder, tensor, shape);
  if (ORDER_KEEPING.has(node.opType)) return { tensor, shape, source: probe.source };
  const rank = probe.shape.length;
  switch (node.opType) {
    case 'Transpose': {
      const perm = g.intsAttribute(node, 'perm') ?? fullRange(rank).reverse();
      return { tensor, shape, source: remap(probe, transposeIndices(probe.shape, perm)) };
    }
    case 'Gather': {
      const axis = normalizeAxis(g.intAttribute(node, 'axis', 0), rank);
      const indices = folder.values(node.inputs[1]);
      if (!indices) throw g.fail(`${describeNode(node)}: expected constant indices`);
      const perAxis = probe.shape.map((d, a) => (a === axis ? indices.map((i) => (i < 0 ? i + d : i)) : fullRange(d)));
      return { tensor, shape, source: remap(probe, selectIndices(probe.shape, perAxis)) };
    }
    case 'Slice':
      return { tensor, shape, source: remap(probe, selectIndices(probe.shape, folder.sliceSelection(node))) };
    case 'Split': {
      const axis = normalizeAxis(g.intAttribute(node, 'axis', 0), rank);
      const sizes = folder.splitSizes(node, axis);
      const start = sizes.slice(0, step.output).reduce((a, b) => a + b, 0);
      const perAxis = probe.shape.map((d, a) => (a === axis ? Array.from({ length: sizes[step.output] }, (_, i) => start + i) : fullRange(d)));
      return { tensor, shape, source: remap(probe, selectIndices(probe.shape, perAxis)) };
    }
    default:
      throw g.fail(`${describeNode(node)} does not move elements`);
  }
}

/** The probe after every step of a chain. */
export function probeChain(start: Probe, chain: readonly ChainStep[], folder: ShapeFolder): Probe {
  return chain.reduce((probe, step) => probeStep(probe, step, folder), start);
}

/**
 * Follows `tensor` through single-consumer layout ops (and `extra` ones) until it reaches a
 * tensor with another consumer, several consumers, or none: the steps, and where they end.
 */
export function walkLayout(g: GraphIndex, tensor: string, extra: readonly string[] = []): { chain: ChainStep[]; end: string } {
  const chain: ChainStep[] = [];
  let end = tensor;
  for (;;) {
    const consumers = g.dataConsumers(end);
    if (consumers.length !== 1 || g.isGraphOutput(end)) break;
    const node = consumers[0];
    if (!(LAYOUT_OPS.has(node.opType) || extra.includes(node.opType)) || node.inputs[0] !== end || node.outputs.length !== 1) break;
    chain.push({ node, output: 0 });
    end = node.outputs[0];
  }
  return { chain, end };
}

/** Follows `tensor` back through the layout ops that produce it: where that starts, and the steps in forward order. */
export function walkBack(g: GraphIndex, tensor: string, extra: readonly string[] = []): { start: string; chain: ChainStep[] } {
  const chain: ChainStep[] = [];
  let start = tensor;
  for (let node = g.producer(start); node && (LAYOUT_OPS.has(node.opType) || extra.includes(node.opType)) && node.outputs.length === 1; node = g.producer(start)) {
    chain.unshift({ node, output: 0 });
    start = node.inputs[0];
  }
  return { start, chain };
}
