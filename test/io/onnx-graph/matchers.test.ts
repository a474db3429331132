/**
 * The pattern matchers on small graphs and edited fixtures: GELU recognized by value in any
 * arrangement (and other activations refused), the LayerNorm expansion with Reciprocal and
 * opset-18 axes, a non-standard attention scale folded into the query weights, and eps
 * written back as the short decimal it was exported from.
 */
import * as path from 'node:path';

import { readOnnxModel } from '../../../lib/io/onnx';
import type { OnnxModel, OnnxNode } from '../../../lib/io/onnx';
import { GraphIndex } from '../../../lib/io/onnx/graph-index';
import { shortestFloat32 } from '../../../lib/io/onnx/hf-config';
import { matchLayerNorm } from '../../../lib/io/onnx/layernorm-match';
import { mapOnnxModel } from '../../../lib/io/onnx/map-model';
import type { MatchContext } from '../../../lib/io/onnx/match-context';
import { matchMlp } from '../../../lib/io/onnx/mlp-match';
import { ShapeFolder } from '../../../lib/io/onnx/shape-fold';
import { attr, constantNode, floatTensor, intTensor, model, node, withConstant } from './graph-edit';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures');

function context(m: OnnxModel, inputs: Record<string, number[]>): MatchContext {
  const g = new GraphIndex(m);
  return { g, folder: new ShapeFolder(g, new Map(Object.entries(inputs))) };
}

function scalar(name: string, value: number): OnnxNode {
  return constantNode(name, floatTensor([value], []));
}

/** x [2, 4] -> MatMul [4, 8] -> the activation (from 'u' to 'a') -> MatMul [8, 4]. */
function mlpModel(activation: readonly OnnxNode[]): OnnxModel {
  const weight = (rows: number, cols: number): ReturnType<typeof floatTensor> => floatTensor(Array.from({ length: rows * cols }, (_, i) => Math.sin(i)), [rows, cols]);
  return model({
    inputs: { x: [2, 4] },
    outputs: ['y'],
    initializers: { w1: weight(4, 8), w2: weight(8, 4) },
    nodes: [node('MatMul', ['x', 'w1'], ['u']), ...activation, node('MatMul', ['a', 'w2'], ['y'])],
  });
}

const ACTIVATIONS: Readonly<Record<string, readonly OnnxNode[]>> = {
  'exact GELU, 0.5 first, Mul by 1 / sqrt 2': [
    scalar('half', 0.5), scalar('rsqrt2', Math.SQRT1_2), scalar('one', 1),
    node('Mul', ['half', 'u'], ['h']), node('Mul', ['u', 'rsqrt2'], ['s']), node('Erf', ['s'], ['e']), node('Add', ['one', 'e'], ['e1']), node('Mul', ['h', 'e1'], ['a']),
  ],
  'the tanh form, x^3 by Pow': [
    scalar('three', 3), scalar('c', 0.044715), scalar('k', Math.sqrt(2 / Math.PI)), scalar('one', 1), scalar('half', 0.5),
    node('Pow', ['u', 'three'], ['cube']), node('Mul', ['cube', 'c'], ['cc']), node('Add', ['u', 'cc'], ['inner']), node('Mul', ['inner', 'k'], ['t0']),
    node('Tanh', ['t0'], ['t']), node('Add', ['t', 'one'], ['t1']), node('Mul', ['u', 't1'], ['m']), node('Mul', ['m', 'half'], ['a']),
  ],
  'a Gelu node': [node('Gelu', ['u'], ['a'])],
  "a Gelu node with approximate 'tanh'": [node('Gelu', ['u'], ['a'], { approximate: attr.string('tanh') })],
};

test.each([
  ['exact GELU, 0.5 first, Mul by 1 / sqrt 2', 'gelu'],
  ['the tanh form, x^3 by Pow', 'gelu_pytorch_tanh'],
  ['a Gelu node', 'gelu'],
  ["a Gelu node with approximate 'tanh'", 'gelu_pytorch_tanh'],
])('the MLP activation: %s is %s', (form, act) => {
  const mlp = matchMlp(context(mlpModel(ACTIVATIONS[form]), { x: [2, 4] }), 'x', 4);
  expect(mlp.act).toBe(act);
  expect(mlp.intermediateSize).toBe(8);
  expect(mlp.output).toBe('y');
});

test('other activations are refused: ReLU, the sigmoid approximation of GELU, an op outside the set', () => {
  const fails = (activation: readonly OnnxNode[]): (() => unknown) => () => matchMlp(context(mlpModel(activation), { x: [2, 4] }), 'x', 4);
  expect(fails([node('Relu', ['u'], ['a'])])).toThrow("test.onnx: expected GELU (element-wise ops) or the MLP output layer after node 'u' (MatMul), found Relu");
  const sigmoid = [scalar('k', 1.702), node('Mul', ['u', 'k'], ['ku']), node('Sigmoid', ['ku'], ['s']), node('Mul', ['u', 's'], ['a'])];
  expect(fails(sigmoid)).toThrow("the activation after node 'u' (MatMul) is neither exact GELU nor its tanh form");
});

test('LayerNorm expanded with Reciprocal, ReduceMean axes as an input (opset 18)', () => {
  const m = model({
    opset: 18,
    inputs: { x: [2, 3, 4] },
    outputs: ['y'],
    initializers: { gamma: floatTensor([1, 2, 3, 4], [4]), beta: floatTensor([0.1, 0.2, 0.3, 0.4], [4]) },
    nodes: [
      constantNode('axes', intTensor([-1])),
      node('ReduceMean', ['x', 'axes'], ['mean']),
      node('Sub', ['x', 'mean'], ['d']),
      scalar('two', 2),
      node('Pow', ['d', 'two'], ['sq']),
      node('ReduceMean', ['sq', 'axes'], ['var']),
      scalar('eps', 1e-5),
      node('Add', ['var', 'eps'], ['ve']),
      node('Sqrt', ['ve'], ['std']),
      node('Reciprocal', ['std'], ['inv']),
      node('Mul', ['d', 'inv'], ['n']),
      node('Mul', ['n', 'gamma'], ['scaled']),
      node('Add', ['scaled', 'beta'], ['y']),
    ],
  });
  const norm = matchLayerNorm(context(m, { x: [2, 3, 4] }), 'x', 4);
  expect({ weight: Array.from(norm.weight.data), bias: Array.from(norm.bias.data), eps: norm.eps, output: norm.output }).toEqual({
    weight: [1, 2, 3, 4],
    bias: [0.1, 0.2, 0.3, 0.4].map(Math.fround),
    eps: Math.fround(1e-5),
    output: 'y',
  });
});

test('an attention scale other than 1 / sqrt(D) is folded into the query projection', () => {
  const m = readOnnxModel(path.join(FIXTURES, 'vit-odd', 'model.onnx'));
  const standard = mapOnnxModel(m).weights;
  const doubled = mapOnnxModel(withConstant(m, '/vit/encoder/layer.0/attention/attention/Constant_12', floatTensor([0.5], []))).weights;
  for (const p of ['weight', 'bias']) {
    const q = `vit.encoder.layer.0.attention.attention.query.${p}`;
    expect(Array.from(doubled.get(q)?.data ?? [])).toEqual(Array.from(standard.get(q)?.data ?? []).map((v) => Math.fround(2 * v)));
    const k = `vit.encoder.layer.0.attention.attention.key.${p}`;
    expect(Array.from(doubled.get(k)?.data ?? [])).toEqual(Array.from(standard.get(k)?.data ?? []));
  }
});

test('eps is written as the short decimal of its fp32 value', () => {
  expect(shortestFloat32(Math.fround(1e-12))).toBe(1e-12);
  expect(shortestFloat32(Math.fround(1e-6))).toBe(1e-6);
  expect(shortestFloat32(Math.fround(1e-5))).toBe(1e-5);
  expect(shortestFloat32(Math.fround(0.1))).toBe(0.1);
});
