/**
 * Layout probing (lib/io/onnx/layout-probe.ts): element indices through Transpose, Reshape,
 * Split + Squeeze, Gather and Slice land where the ops put the values, and the chain walkers
 * stop where the data forks.
 */
import { GraphIndex } from '../../../lib/io/onnx/graph-index';
import type { ChainStep } from '../../../lib/io/onnx/layout-probe';
import { probeChain, startProbe, walkBack, walkLayout } from '../../../lib/io/onnx/layout-probe';
import { ShapeFolder } from '../../../lib/io/onnx/shape-fold';
import type { OnnxModel } from '../../../lib/io/onnx';
import { attr, constantNode, intTensor, model, node } from './graph-edit';

function setup(m: OnnxModel, inputs: Record<string, number[]>): { g: GraphIndex; folder: ShapeFolder } {
  const g = new GraphIndex(m);
  return { g, folder: new ShapeFolder(g, new Map(Object.entries(inputs))) };
}

function steps(m: OnnxModel, names: readonly (readonly [string, number])[]): ChainStep[] {
  return names.map(([name, output]) => ({ node: m.graph.nodes.find((n) => n.outputs.includes(name) || n.name === name) as ChainStep['node'], output }));
}

test('Transpose moves each element to its permuted position', () => {
  const m = model({ inputs: { x: [2, 3, 4] }, outputs: ['y'], nodes: [node('Transpose', ['x'], ['y'], { perm: attr.ints([2, 0, 1]) })] });
  const { folder } = setup(m, { x: [2, 3, 4] });
  const probe = probeChain(startProbe('x', [2, 3, 4]), steps(m, [['y', 0]]), folder);
  expect(probe.shape).toEqual([4, 2, 3]);
  for (let a = 0; a < 2; a++) {
    for (let b = 0; b < 3; b++) for (let c = 0; c < 4; c++) expect(probe.source[(c * 2 + a) * 3 + b]).toBe((a * 3 + b) * 4 + c);
  }
});

test("a fused q | k | v split timm's way: Reshape [B, N, 3, H, D] -> Transpose(2, 0, 3, 1, 4) -> Split -> Squeeze", () => {
  const [n, h, d] = [3, 2, 2];
  const m = model({
    inputs: { x: [1, n, 3 * h * d] },
    outputs: ['q', 'k', 'v'],
    nodes: [
      constantNode('shape', intTensor([1, n, 3, h, d])),
      node('Reshape', ['x', 'shape'], ['r']),
      node('Transpose', ['r'], ['t'], { perm: attr.ints([2, 0, 3, 1, 4]) }),
      node('Split', ['t'], ['s0', 's1', 's2'], { axis: attr.int(0) }),
      constantNode('axis0', intTensor([0])),
      ...['q', 'k', 'v'].map((name, i) => node('Squeeze', [`s${i}`, 'axis0'], [name])),
    ],
  });
  const { folder } = setup(m, { x: [1, n, 3 * h * d] });
  ['q', 'k', 'v'].forEach((name, part) => {
    const probe = probeChain(startProbe('x', [1, n, 3 * h * d]), steps(m, [['r', 0], ['t', 0], ['s0', part], [name, 0]]), folder);
    expect(probe.shape).toEqual([1, h, n, d]);
    for (let head = 0; head < h; head++) {
      for (let token = 0; token < n; token++) {
        for (let i = 0; i < d; i++) expect(probe.source[(head * n + token) * d + i]).toBe(token * 3 * h * d + part * h * d + head * d + i);
      }
    }
  });
});

test('Gather of a scalar index drops the axis; Slice keeps a range', () => {
  const m = model({
    inputs: { x: [2, 5, 3] },
    outputs: ['g', 's'],
    nodes: [
      constantNode('zero', intTensor([0], [])),
      node('Gather', ['x', 'zero'], ['g'], { axis: attr.int(1) }),
      constantNode('start', intTensor([1])),
      constantNode('end', intTensor([3])),
      constantNode('axis', intTensor([1])),
      node('Slice', ['x', 'start', 'end', 'axis'], ['s']),
    ],
  });
  const { folder } = setup(m, { x: [2, 5, 3] });
  const gathered = probeChain(startProbe('x', [2, 5, 3]), steps(m, [['g', 0]]), folder);
  expect(gathered.shape).toEqual([2, 3]);
  expect(Array.from(gathered.source)).toEqual([0, 1, 2, 15, 16, 17]);
  const sliced = probeChain(startProbe('x', [2, 5, 3]), steps(m, [['s', 0]]), folder);
  expect(Array.from(sliced.source)).toEqual([3, 4, 5, 6, 7, 8, 18, 19, 20, 21, 22, 23]);
});

test('walkLayout stops where a tensor has several consumers; walkBack follows producers', () => {
  const m = model({
    inputs: { x: [2, 6] },
    outputs: ['a', 'b'],
    nodes: [
      constantNode('shape', intTensor([2, 2, 3])),
      node('Reshape', ['x', 'shape'], ['r']),
      node('Transpose', ['r'], ['t'], { perm: attr.ints([0, 2, 1]) }),
      node('Relu', ['t'], ['a']),
      node('Sigmoid', ['t'], ['b']),
    ],
  });
  const g = new GraphIndex(m);
  const forward = walkLayout(g, 'x');
  expect(forward.end).toBe('t');
  expect(forward.chain.map((s) => s.node.opType)).toEqual(['Reshape', 'Transpose']);
  const back = walkBack(g, 't');
  expect(back.start).toBe('x');
  expect(back.chain.map((s) => s.node.opType)).toEqual(['Reshape', 'Transpose']);
});
