/**
 * Layout probing: runs a chain of data-movement ops (Reshape, Transpose, Squeeze, Gather, Slice,
 * Split, ...) on element indices instead of values, at the concrete shapes of shape-fold.ts. The
 * result says, for every element at the end of the chain, which element of the chain's start it
 * is, so a matcher can check what an exporter's reshapes and transposes really do (which
 * features form a head, which rows are one token) instead of trusting op names.
 */
import type { OnnxNode } from './graph';
import type { GraphIndex } from './graph-index';
import { describeNode } from './graph-index';
import { fullRange, normalizeAxis, selectIndices, transposeIndices } from './index-math';
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

/** A probe at `tensor` itself: every element is its own source. */
export function startProbe(tensor: string, shape: readonly number[]): Probe {
  const size = shape.reduce((a, b) => a * b, 1);
  return { tensor, shape, source: Int32Array.from({ length: size }, (_, i) => i) };
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
