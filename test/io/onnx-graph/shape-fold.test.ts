/**
 * Shape folding (lib/io/onnx/shape-fold.ts): every tensor of the fixture exports gets a shape at
 * batch 2, shape logic is computed (Shape -> Gather -> Unsqueeze -> Concat -> Reshape, Slice,
 * Split, Unsqueeze in both opset styles), and an unsupported op is an error only for the tensors
 * that depend on it, naming the node.
 */
import * as path from 'node:path';

import { readOnnxModel } from '../../../lib/io/onnx';
import { GraphIndex } from '../../../lib/io/onnx/graph-index';
import { ShapeFolder } from '../../../lib/io/onnx/shape-fold';
import type { OnnxModel } from '../../../lib/io/onnx';
import { attr, constantNode, intTensor, model, node } from './graph-edit';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures');

function fold(m: OnnxModel, inputs: Record<string, number[]>): ShapeFolder {
  return new ShapeFolder(new GraphIndex(m), new Map(Object.entries(inputs)));
}

describe('the fixture exports', () => {
  test.each([
    ['vit-odd', [2, 3, 32, 32], { logits: [2, 13] }],
    ['vit-interp', [2, 3, 40, 48], { logits: [2, 7], '/vit/embeddings/Resize_output_0': [1, 64, 5, 6] }],
    ['vit-base-tanh', [2, 3, 16, 16], { last_hidden_state: [2, 17, 48], pooler_output: [2, 48] }],
    ['onnx-torchvision-vit', [2, 3, 32, 32], { logits: [2, 13], '/encoder/layers/encoder_layer_0/self_attention/Reshape_output_0': [65, 10, 16] }],
    ['onnx-timm-vit', [2, 3, 32, 32], { logits: [2, 10], '/blocks/blocks.0/attn/Transpose_output_0': [3, 2, 4, 17, 16] }],
    ['timesformer-divided', [2, 4, 3, 16, 16], { logits: [2, 5] }],
    ['timesformer-space', [2, 2, 3, 16, 16], { logits: [4, 5] }],
  ])('%s: every tensor has a shape at batch 2', (name, dims, expected) => {
    const m = readOnnxModel(path.join(FIXTURES, name as string, 'model.onnx'));
    const folder = fold(m, { pixel_values: dims as number[] });
    const unknown = m.graph.nodes.flatMap((n) => n.outputs).filter((o) => !folder.info(o));
    expect(unknown).toEqual([]);
    for (const [tensor, shape] of Object.entries(expected)) expect({ tensor, shape: folder.shape(tensor) }).toEqual({ tensor, shape });
  });

  test("torchvision's computed head split [L, N * heads, E / heads] is folded to values", () => {
    const m = readOnnxModel(path.join(FIXTURES, 'onnx-torchvision-vit', 'model.onnx'));
    expect(fold(m, { pixel_values: [2, 3, 32, 32] }).values('/encoder/layers/encoder_layer_0/self_attention/Concat_output_0')).toEqual([65, 10, 16]);
  });
});

describe('shape logic', () => {
  test('Shape -> Gather -> Unsqueeze -> Concat -> Reshape, with 0 and -1 in the target', () => {
    const m = model({
      inputs: { x: [2, 3, 4] },
      outputs: ['r1', 'r2'],
      nodes: [
        node('Shape', ['x'], ['s']),
        constantNode('one', intTensor([1], [])),
        node('Gather', ['s', 'one'], ['d1'], { axis: attr.int(0) }),
        constantNode('zero', intTensor([0])),
        node('Unsqueeze', ['d1', 'zero'], ['d1v']),
        constantNode('minus', intTensor([-1])),
        node('Concat', ['d1v', 'minus'], ['target'], { axis: attr.int(0) }),
        node('Reshape', ['x', 'target'], ['r1']),
        constantNode('keep', intTensor([0, -1])),
        node('Reshape', ['x', 'keep'], ['r2']),
      ],
    });
    const folder = fold(m, { x: [2, 3, 4] });
    expect(folder.values('target')).toEqual([3, -1]);
    expect(folder.shape('r1')).toEqual([3, 8]);
    expect(folder.shape('r2')).toEqual([2, 12]);
  });

  test('Slice: negative starts, INT64_MAX ends, negative steps', () => {
    const m = model({
      inputs: { x: [10, 6] },
      outputs: ['a', 'b'],
      nodes: [
        constantNode('s1', intTensor([-4])),
        constantNode('e1', intTensor([Number.MAX_SAFE_INTEGER])),
        constantNode('ax0', intTensor([0])),
        node('Slice', ['x', 's1', 'e1', 'ax0'], ['a']),
        constantNode('s2', intTensor([5])),
        constantNode('e2', intTensor([-100])),
        constantNode('ax1', intTensor([1])),
        constantNode('st', intTensor([-2])),
        node('Slice', ['x', 's2', 'e2', 'ax1', 'st'], ['b']),
      ],
    });
    const folder = fold(m, { x: [10, 6] });
    expect(folder.shape('a')).toEqual([4, 6]);
    expect(folder.shape('b')).toEqual([10, 3]);
  });

  test('Split: given sizes and equal parts', () => {
    const m = model({
      inputs: { x: [2, 9] },
      outputs: ['p', 'q', 'r', 'u', 'v', 'w'],
      nodes: [
        constantNode('sizes', intTensor([2, 3, 4])),
        node('Split', ['x', 'sizes'], ['p', 'q', 'r'], { axis: attr.int(1) }),
        node('Split', ['x'], ['u', 'v', 'w'], { axis: attr.int(-1) }),
      ],
    });
    const folder = fold(m, { x: [2, 9] });
    expect(['p', 'q', 'r', 'u', 'v', 'w'].map((t) => folder.shape(t))).toEqual([[2, 2], [2, 3], [2, 4], [2, 3], [2, 3], [2, 3]]);
  });

  test('Unsqueeze and Squeeze take axes from an attribute before opset 13 and from an input after', () => {
    const old = model({ opset: 11, inputs: { x: [3] }, outputs: ['y'], nodes: [node('Unsqueeze', ['x'], ['u'], { axes: attr.ints([0, -1]) }), node('Squeeze', ['u'], ['y'], { axes: attr.ints([0]) })] });
    expect(fold(old, { x: [3] }).shape('u')).toEqual([1, 3, 1]);
    expect(fold(old, { x: [3] }).shape('y')).toEqual([3, 1]);
    const current = model({ inputs: { x: [3] }, outputs: ['u'], nodes: [constantNode('axes', intTensor([1])), node('Unsqueeze', ['x', 'axes'], ['u'])] });
    expect(fold(current, { x: [3] }).shape('u')).toEqual([3, 1]);
  });

  test('an unsupported op leaves only what depends on it unknown, and asking names the node', () => {
    const m = model({
      inputs: { x: [2, 3] },
      outputs: ['z', 'ok'],
      nodes: [node('TopK', ['x'], ['y']), node('Relu', ['y'], ['z']), node('Relu', ['x'], ['ok'])],
    });
    const folder = fold(m, { x: [2, 3] });
    expect(folder.shape('ok')).toEqual([2, 3]);
    expect(() => folder.shape('z')).toThrow("test.onnx: cannot work out the shape of 'z': node 'y' (TopK): op TopK is not supported by shape folding");
  });

  test('a Reshape that cannot apply is reported with its shapes', () => {
    const m = model({ inputs: { x: [2, 3] }, outputs: ['y'], nodes: [constantNode('t', intTensor([4, -1, 5])), node('Reshape', ['x', 't'], ['y'])] });
    expect(() => fold(m, { x: [2, 3] }).shape('y')).toThrow("node 'y' (Reshape): cannot reshape [2, 3] to [4, -1, 5]");
  });
});
