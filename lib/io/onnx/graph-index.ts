/**
 * Lookups over a decoded ONNX graph for the pattern matchers: which node produces a tensor, which
 * nodes consume it (all of them, or only those that read its values rather than its shape),
 * constant values (initializers and Constant nodes, through Identity), and the matchers' one
 * error style:
 *   model.onnx: expected Softmax after node '/attn/MatMul' (MatMul), found Add
 */
import { FormatError } from '../../errors';
import { Tensor } from '../../tensor';
import type { OnnxGraph, OnnxNode, OnnxValueInfo } from './graph';
import type { OnnxModel } from './model';
import type { OnnxTensorRef } from './tensor';
import { OnnxDataType } from './tensor';

/** Ops that read only their input's shape, never its values. */
const SHAPE_READERS: ReadonlySet<string> = new Set(['Shape', 'Size']);

/** A constant's value: fp32 data or integers, with its dims. */
export interface ConstantValue {
  readonly dims: readonly number[];
  /** The values as an fp32 tensor (integers converted). */
  float(): Tensor;
  /** The values as numbers (floats kept, int64 beyond 2^53 rounded). */
  numbers(): number[];
  readonly isInteger: boolean;
}

/** Whether a tensor holds integers (INT32 or INT64). */
export function isIntegerTensor(ref: OnnxTensorRef): boolean {
  return ref.dataType === OnnxDataType.INT32 || ref.dataType === OnnxDataType.INT64;
}

function tensorConstant(ref: OnnxTensorRef): ConstantValue {
  const isInteger = isIntegerTensor(ref);
  return {
    dims: ref.dims,
    isInteger,
    float: () => (isInteger ? new Tensor(Float32Array.from(constantNumbers(ref, true)), ref.dims) : ref.toFloat32()),
    numbers: () => constantNumbers(ref, isInteger),
  };
}

function constantNumbers(ref: OnnxTensorRef, isInteger: boolean): number[] {
  if (!isInteger) return Array.from(ref.toFloat32().data);
  const values = ref.toInt64();
  return Array.isArray(values) ? values : Array.from(values, Number);
}

function literalConstant(values: readonly number[], dims: readonly number[], isInteger: boolean): ConstantValue {
  return {
    dims,
    isInteger,
    float: () => new Tensor(Float32Array.from(values), dims),
    numbers: () => [...values],
  };
}

/** The value of a Constant node from whichever of its attributes is set. */
function constantNodeValue(node: OnnxNode): ConstantValue | undefined {
  for (const [name, a] of node.attributes) {
    if (name === 'value' && a.kind === 'tensor') return tensorConstant(a.value);
    if (name === 'value_float' && a.kind === 'float') return literalConstant([Math.fround(a.value)], [], false);
    if (name === 'value_floats' && a.kind === 'floats') return literalConstant(a.value, [a.value.length], false);
    if (name === 'value_int' && a.kind === 'int') return literalConstant([a.value], [], true);
    if (name === 'value_ints' && a.kind === 'ints') return literalConstant(a.value, [a.value.length], true);
  }
  return undefined;
}

/** How a node is named in messages: `node '/vit/Add' (Add)`, or by its first output when unnamed. */
export function describeNode(node: OnnxNode): string {
  return `node '${node.name || node.outputs[0] || '?'}' (${node.opType})`;
}

export class GraphIndex {
  readonly file: string;
  readonly graph: OnnxGraph;
  /** The version of the default ('' / 'ai.onnx') operator set. */
  readonly opset: number;
  private readonly producers = new Map<string, OnnxNode>();
  private readonly consumerLists = new Map<string, OnnxNode[]>();
  private readonly order = new Map<OnnxNode, number>();
  private readonly outputs: ReadonlySet<string>;

  constructor(model: OnnxModel) {
    this.file = model.file;
    this.graph = model.graph;
    this.opset = model.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 1;
    this.outputs = new Set(model.graph.outputs.map((o) => o.name));
    model.graph.nodes.forEach((node, i) => {
      this.order.set(node, i);
      for (const out of node.outputs) if (out) this.producers.set(out, node);
      for (const input of new Set(node.inputs)) {
        if (!input) continue;
        const list = this.consumerLists.get(input) ?? [];
        list.push(node);
        this.consumerLists.set(input, list);
      }
    });
  }

  /** A FormatError naming the model file. */
  fail(message: string): FormatError {
    return new FormatError(this.file, message);
  }

  producer(tensor: string): OnnxNode | undefined {
    return this.producers.get(tensor);
  }

  consumers(tensor: string): readonly OnnxNode[] {
    return this.consumerLists.get(tensor) ?? [];
  }

  /** The consumers that read the tensor's values (Shape and Size only read its shape). */
  dataConsumers(tensor: string): OnnxNode[] {
    return this.consumers(tensor).filter((n) => !SHAPE_READERS.has(n.opType));
  }

  /** The node's position in the file (ONNX files list nodes in topological order). */
  position(node: OnnxNode): number {
    return this.order.get(node) ?? -1;
  }

  isGraphOutput(tensor: string): boolean {
    return this.outputs.has(tensor);
  }

  /** Graph inputs that are not initializers (the model's real inputs). */
  realInputs(): OnnxValueInfo[] {
    return this.graph.inputs.filter((i) => !this.graph.initializers.has(i.name));
  }

  /** The constant value of a tensor: an initializer or a Constant node's output, through Identity. */
  constant(tensor: string): ConstantValue | undefined {
    const init = this.graph.initializers.get(tensor);
    if (init) return tensorConstant(init);
    const node = this.producer(tensor);
    if (node?.opType === 'Constant') return constantNodeValue(node);
    if (node?.opType === 'Identity') return this.constant(node.inputs[0]);
    return undefined;
  }

  /** A constant holding exactly one value, as a number. */
  scalar(tensor: string): number | undefined {
    const c = this.constant(tensor);
    if (!c || c.dims.reduce((a, b) => a * b, 1) !== 1) return undefined;
    return c.numbers()[0];
  }

  /** How a tensor is named in messages: by its producer, or as a graph input. */
  describeTensor(tensor: string): string {
    const node = this.producer(tensor);
    return node ? describeNode(node) : `input '${tensor}'`;
  }

  /** What consumes a tensor, for messages: 'Add', 'Add and MatMul', or 'nothing'. */
  describeConsumers(tensor: string): string {
    const ops = this.dataConsumers(tensor).map((n) => n.opType);
    if (ops.length === 0) return this.isGraphOutput(tensor) ? 'the graph output' : 'nothing';
    return ops.length === 1 ? ops[0] : `${ops.slice(0, -1).join(', ')} and ${ops[ops.length - 1]}`;
  }

  /** The matchers' error: `expected <what> after node '<name>' (<op>), found <ops>`. */
  unexpected(tensor: string, expected: string): FormatError {
    return this.fail(`expected ${expected} after ${this.describeTensor(tensor)}, found ${this.describeConsumers(tensor)}`);
  }

  /** The one data consumer of `tensor`, which must be one of `ops`. */
  next(tensor: string, ops: readonly string[]): OnnxNode {
    const consumers = this.dataConsumers(tensor);
    if (consumers.length !== 1 || !ops.includes(consumers[0].opType)) throw this.unexpected(tensor, ops.join(' or '));
    return consumers[0];
  }

  /** A node's integer attribute, or the fallback. */
  intAttribute(node: OnnxNode, name: string, fallback: number): number {
    const a = node.attributes.get(name);
    return a?.kind === 'int' ? a.value : fallback;
  }

  floatAttribute(node: OnnxNode, name: string, fallback: number): number {
    const a = node.attributes.get(name);
    return a?.kind === 'float' ? a.value : fallback;
  }

  intsAttribute(node: OnnxNode, name: string): readonly number[] | undefined {
    const a = node.attributes.get(name);
    return a?.kind === 'ints' ? a.value : undefined;
  }

  stringAttribute(node: OnnxNode, name: string, fallback: string): string {
    const a = node.attributes.get(name);
    return a?.kind === 'string' ? a.value : fallback;
  }
}
