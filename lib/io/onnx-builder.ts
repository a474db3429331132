/**
 * Builds small ONNX models in memory (for example the baseline graphs of the benchmarks):
 * a ModelProto with one GraphProto of nodes with int, float and ints attributes, fp32 graph
 * inputs and outputs with fixed or symbolic dims, and optional fp32 initializers.
 * Field numbers follow onnx/onnx.proto.
 */
import { ProtoWriter } from './protobuf-writer';

const IR_VERSION = 8;
const ELEM_FLOAT = 1;

const MODEL = { irVersion: 1, producerName: 2, graph: 7, opsetImport: 8 } as const;
const OPSET = { domain: 1, version: 2 } as const;
const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12 } as const;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 } as const;
const ATTRIBUTE = { name: 1, f: 2, i: 3, ints: 8, type: 20 } as const;
const ATTRIBUTE_TYPE = { float: 1, int: 2, ints: 7 } as const;
const VALUE_INFO = { name: 1, type: 2 } as const;
const TYPE = { tensorType: 1 } as const;
const TENSOR_TYPE = { elemType: 1, shape: 2 } as const;
const SHAPE = { dim: 1 } as const;
const DIMENSION = { dimValue: 1, dimParam: 2 } as const;
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9 } as const;

/** A dimension: a fixed size, or the name of a symbolic one (e.g. 'batch'). */
export type Dim = number | string;

/** A graph input or output: an fp32 tensor. */
export interface TensorInfo {
  name: string;
  dims: readonly Dim[];
}

export type Attribute =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'ints'; value: readonly number[] };

/** Attribute constructors: `attr.int(1)`, `attr.float(0.5)`, `attr.ints([0, 2, 1, 3])`. */
export const attr = {
  int: (value: number): Attribute => ({ type: 'int', value }),
  float: (value: number): Attribute => ({ type: 'float', value }),
  ints: (value: readonly number[]): Attribute => ({ type: 'ints', value }),
};

export interface NodeSpec {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  /** '' (the default ONNX domain) unless set, e.g. 'com.microsoft'. */
  domain?: string;
  name?: string;
  attributes?: Readonly<Record<string, Attribute>>;
}

/** A constant fp32 tensor stored in the model. */
export interface Initializer {
  name: string;
  dims: readonly number[];
  data: Float32Array;
}

export interface GraphSpec {
  name: string;
  nodes: readonly NodeSpec[];
  inputs: readonly TensorInfo[];
  outputs: readonly TensorInfo[];
  initializers?: readonly Initializer[];
}

export interface OpsetSpec {
  domain: string;
  version: number;
}

export interface ModelSpec {
  graph: GraphSpec;
  opsets?: readonly OpsetSpec[];
  producerName?: string;
}

/** The default ONNX opset and Microsoft's contrib ops (MultiHeadAttention and friends). */
export const DEFAULT_OPSETS: readonly OpsetSpec[] = [
  { domain: '', version: 17 },
  { domain: 'com.microsoft', version: 1 },
];

function encodeAttribute(name: string, attribute: Attribute): ProtoWriter {
  const w = new ProtoWriter().string(ATTRIBUTE.name, name);
  switch (attribute.type) {
    case 'float':
      w.float(ATTRIBUTE.f, attribute.value);
      break;
    case 'int':
      w.int64(ATTRIBUTE.i, attribute.value);
      break;
    case 'ints':
      for (const value of attribute.value) w.int64(ATTRIBUTE.ints, value);
      break;
  }
  return w.int64(ATTRIBUTE.type, ATTRIBUTE_TYPE[attribute.type]);
}

function encodeNode(node: NodeSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const input of node.inputs) w.string(NODE.input, input);
  for (const output of node.outputs) w.string(NODE.output, output);
  if (node.name !== undefined) w.string(NODE.name, node.name);
  w.string(NODE.opType, node.opType);
  for (const [name, attribute] of Object.entries(node.attributes ?? {})) {
    w.message(NODE.attribute, encodeAttribute(name, attribute));
  }
  if (node.domain) w.string(NODE.domain, node.domain);
  return w;
}

function encodeDimension(dim: Dim): ProtoWriter {
  const w = new ProtoWriter();
  return typeof dim === 'number' ? w.int64(DIMENSION.dimValue, dim) : w.string(DIMENSION.dimParam, dim);
}

function encodeValueInfo(info: TensorInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const dim of info.dims) shape.message(SHAPE.dim, encodeDimension(dim));
  const tensorType = new ProtoWriter().int64(TENSOR_TYPE.elemType, ELEM_FLOAT).message(TENSOR_TYPE.shape, shape);
  const type = new ProtoWriter().message(TYPE.tensorType, tensorType);
  return new ProtoWriter().string(VALUE_INFO.name, info.name).message(VALUE_INFO.type, type);
}

const LITTLE_ENDIAN_HOST = new Uint8Array(Float32Array.of(1).buffer)[3] === 0x3f;

/** fp32 values as little-endian bytes (ONNX raw_data), whatever the host's byte order. */
function littleEndianFloats(data: Float32Array): Uint8Array {
  // A view, not a copy: ProtoWriter copies bytes only when the message is finished.
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const bytes = new Uint8Array(data.length * 4);
  const view = new DataView(bytes.buffer);
  data.forEach((value, i) => view.setFloat32(i * 4, value, true));
  return bytes;
}

function encodeInitializer(tensor: Initializer): ProtoWriter {
  const expected = tensor.dims.reduce((a, b) => a * b, 1);
  if (expected !== tensor.data.length) {
    throw new RangeError(`initializer ${tensor.name}: dims [${tensor.dims.join(', ')}] need ${expected} values, received ${tensor.data.length}`);
  }
  const w = new ProtoWriter();
  for (const dim of tensor.dims) w.int64(TENSOR.dims, dim);
  return w
    .int64(TENSOR.dataType, ELEM_FLOAT)
    .string(TENSOR.name, tensor.name)
    .bytes(TENSOR.rawData, littleEndianFloats(tensor.data));
}

function encodeGraph(graph: GraphSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const node of graph.nodes) w.message(GRAPH.node, encodeNode(node));
  w.string(GRAPH.name, graph.name);
  for (const tensor of graph.initializers ?? []) w.message(GRAPH.initializer, encodeInitializer(tensor));
  for (const input of graph.inputs) w.message(GRAPH.input, encodeValueInfo(input));
  for (const output of graph.outputs) w.message(GRAPH.output, encodeValueInfo(output));
  return w;
}

/** The serialized ModelProto (ir_version 8), ready for `InferenceSession.create(bytes)`. */
export function buildOnnxModel(spec: ModelSpec): Uint8Array {
  const w = new ProtoWriter().int64(MODEL.irVersion, IR_VERSION).string(MODEL.producerName, spec.producerName ?? 'tessera');
  w.message(MODEL.graph, encodeGraph(spec.graph));
  for (const opset of spec.opsets ?? DEFAULT_OPSETS) {
    w.message(MODEL.opsetImport, new ProtoWriter().string(OPSET.domain, opset.domain).int64(OPSET.version, opset.version));
  }
  return w.finish();
}
