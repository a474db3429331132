/**
 * Decoded ONNX models built or edited in memory for the graph-matcher tests: constant tensors,
 * nodes, small models, and copies of a fixture with a node removed, a constant changed or an
 * initializer dropped.
 */
import type { OnnxAttribute, OnnxGraph, OnnxModel, OnnxNode, OnnxTensorRef } from '../../../lib/io/onnx';
import { OnnxDataType } from '../../../lib/io/onnx';
import { Tensor } from '../../../lib/tensor';

/** An INT64 tensor. */
export function intTensor(values: readonly number[], dims: readonly number[] = [values.length]): OnnxTensorRef {
  return {
    name: '',
    dataType: OnnxDataType.INT64,
    dims,
    size: values.length,
    toFloat32: () => {
      throw new Error('not a float tensor');
    },
    toInt64: () => [...values],
  };
}

/** A FLOAT tensor. */
export function floatTensor(values: ArrayLike<number>, dims: readonly number[]): OnnxTensorRef {
  return {
    name: '',
    dataType: OnnxDataType.FLOAT,
    dims,
    size: values.length,
    toFloat32: () => new Tensor(Float32Array.from(values), dims),
    toInt64: () => {
      throw new Error('not an integer tensor');
    },
  };
}

export const attr = {
  int: (value: number): OnnxAttribute => ({ kind: 'int', value }),
  ints: (value: readonly number[]): OnnxAttribute => ({ kind: 'ints', value }),
  float: (value: number): OnnxAttribute => ({ kind: 'float', value }),
  string: (value: string): OnnxAttribute => ({ kind: 'string', value }),
  tensor: (value: OnnxTensorRef): OnnxAttribute => ({ kind: 'tensor', value }),
};

export function node(opType: string, inputs: readonly string[], outputs: readonly string[], attributes: Readonly<Record<string, OnnxAttribute>> = {}): OnnxNode {
  return { name: outputs[0], opType, domain: '', inputs, outputs, attributes: new Map(Object.entries(attributes)) };
}

/** A Constant node holding `value`. */
export function constantNode(output: string, value: OnnxTensorRef): OnnxNode {
  return node('Constant', [], [output], { value: attr.tensor(value) });
}

export interface ModelSpec {
  readonly nodes: readonly OnnxNode[];
  /** Real inputs (FLOAT), name -> dims. */
  readonly inputs: Readonly<Record<string, readonly (number | string)[]>>;
  readonly outputs: readonly string[];
  readonly initializers?: Readonly<Record<string, OnnxTensorRef>>;
  readonly opset?: number;
}

export function model(spec: ModelSpec): OnnxModel {
  const graph: OnnxGraph = {
    name: 'test',
    nodes: spec.nodes,
    initializers: new Map(Object.entries(spec.initializers ?? {}).map(([name, t]) => [name, { ...t, name }])),
    inputs: Object.entries(spec.inputs).map(([name, dims]) => ({ name, elemType: 1, dims, hasShape: true })),
    outputs: spec.outputs.map((name) => ({ name, elemType: 1, dims: [], hasShape: false })),
    valueInfo: [],
  };
  return { file: 'test.onnx', irVersion: 8, opsetImports: [{ domain: '', version: spec.opset ?? 17 }], producerName: 'test', graph };
}

/** A copy of `m` with its graph edited. */
export function editGraph(m: OnnxModel, edit: (graph: OnnxGraph) => Partial<OnnxGraph>): OnnxModel {
  return { ...m, graph: { ...m.graph, ...edit(m.graph) } };
}

/** A copy without the node named `name` (its consumers are left dangling). */
export function withoutNode(m: OnnxModel, name: string): OnnxModel {
  if (!m.graph.nodes.some((n) => n.name === name)) throw new Error(`no node '${name}'`);
  return editGraph(m, (g) => ({ nodes: g.nodes.filter((n) => n.name !== name) }));
}

/** A copy without the initializer `name`. */
export function withoutInitializer(m: OnnxModel, name: string): OnnxModel {
  if (!m.graph.initializers.has(name)) throw new Error(`no initializer '${name}'`);
  return editGraph(m, (g) => ({ initializers: new Map([...g.initializers].filter(([key]) => key !== name)) }));
}

/** A copy where the node named `name` is a Constant holding `value` (same name, same first output). */
export function withConstant(m: OnnxModel, name: string, value: OnnxTensorRef): OnnxModel {
  if (!m.graph.nodes.some((n) => n.name === name)) throw new Error(`no node '${name}'`);
  return editGraph(m, (g) => ({ nodes: g.nodes.map((n) => (n.name === name ? { ...constantNode(n.outputs[0], value), name } : n)) }));
}

/** A copy where the node named `name` has the given attributes replaced. */
export function withAttributes(m: OnnxModel, name: string, attributes: Readonly<Record<string, OnnxAttribute>>): OnnxModel {
  if (!m.graph.nodes.some((n) => n.name === name)) throw new Error(`no node '${name}'`);
  return editGraph(m, (g) => ({
    nodes: g.nodes.map((n) => (n.name === name ? { ...n, attributes: new Map([...n.attributes, ...Object.entries(attributes)]) } : n)),
  }));
}
