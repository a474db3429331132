/**
 * Hand-built ONNX protobuf messages for the reader's tests, including malformed ones. Field
 * numbers are written out here from onnx/onnx.proto, independently of lib/io/onnx.
 */
import { ProtoWriter } from '../../../lib/io/protobuf-writer';

export const MODEL = { irVersion: 1, producerName: 2, graph: 7, opsetImport: 8 } as const;
export const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12, sparseInitializer: 15 } as const;
export const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 } as const;
export const ATTRIBUTE = { name: 1, f: 2, i: 3, t: 5, g: 6, floats: 7, ints: 8, type: 20 } as const;
export const TENSOR = {
  dims: 1, dataType: 2, floatData: 4, int32Data: 5, int64Data: 7, name: 8, rawData: 9, doubleData: 10, externalData: 13, dataLocation: 14,
} as const;
export const SPARSE = { values: 1, indices: 2, dims: 3 } as const;
export const DT = { FLOAT: 1, INT32: 6, INT64: 7, STRING: 8, FLOAT16: 10, DOUBLE: 11, BFLOAT16: 16 } as const;

export interface TensorSpec {
  name?: string;
  dims?: readonly number[];
  dataType?: number;
  raw?: Uint8Array;
  /** Written unpacked, one field per value. */
  floats?: readonly number[];
  int32s?: readonly number[];
  int64s?: readonly (number | bigint)[];
  external?: readonly (readonly [string, string])[];
  /** data_location; EXTERNAL (1) by default when `external` is given. */
  location?: number;
}

/** A TensorProto. */
export function tensor(spec: TensorSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const dim of spec.dims ?? []) w.int64(TENSOR.dims, dim);
  if (spec.dataType !== undefined) w.int64(TENSOR.dataType, spec.dataType);
  for (const v of spec.floats ?? []) w.float(TENSOR.floatData, v);
  for (const v of spec.int32s ?? []) w.int64(TENSOR.int32Data, v);
  for (const v of spec.int64s ?? []) w.int64(TENSOR.int64Data, v);
  if (spec.name !== undefined) w.string(TENSOR.name, spec.name);
  if (spec.raw) w.bytes(TENSOR.rawData, spec.raw);
  for (const [key, value] of spec.external ?? []) w.message(TENSOR.externalData, new ProtoWriter().string(1, key).string(2, value));
  const location = spec.location ?? (spec.external ? 1 : undefined);
  if (location !== undefined) w.int64(TENSOR.dataLocation, location);
  return w;
}

/** Little-endian fp32 bytes. */
export function f32Bytes(values: readonly number[]): Uint8Array {
  const out = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => out.writeFloatLE(v, 4 * i));
  return out;
}

/** Little-endian int64 bytes. */
export function i64Bytes(values: readonly bigint[]): Uint8Array {
  const out = Buffer.alloc(8 * values.length);
  values.forEach((v, i) => out.writeBigInt64LE(v, 8 * i));
  return out;
}

/** A SparseTensorProto. */
export function sparseTensor(values: ProtoWriter, indices: ProtoWriter, dims: readonly number[]): ProtoWriter {
  const w = new ProtoWriter().message(SPARSE.values, values).message(SPARSE.indices, indices);
  for (const dim of dims) w.int64(SPARSE.dims, dim);
  return w;
}

export interface GraphParts {
  nodes?: readonly ProtoWriter[];
  initializers?: readonly ProtoWriter[];
  sparse?: readonly ProtoWriter[];
}

/** A GraphProto named 'g' with the given parts. */
export function graph(parts: GraphParts): ProtoWriter {
  const w = new ProtoWriter();
  for (const node of parts.nodes ?? []) w.message(GRAPH.node, node);
  w.string(GRAPH.name, 'g');
  for (const t of parts.initializers ?? []) w.message(GRAPH.initializer, t);
  for (const s of parts.sparse ?? []) w.message(GRAPH.sparseInitializer, s);
  return w;
}

/** A ModelProto (ir_version 8, opset 17) around a graph. */
export function model(g: ProtoWriter): Uint8Array {
  return new ProtoWriter()
    .int64(MODEL.irVersion, 8)
    .string(MODEL.producerName, 'test')
    .message(MODEL.graph, g)
    .message(MODEL.opsetImport, new ProtoWriter().string(1, '').int64(2, 17))
    .finish();
}

/** A model whose graph holds just these initializers. */
export function modelWithInitializers(...initializers: ProtoWriter[]): Uint8Array {
  return model(graph({ initializers }));
}

/** A NodeProto. */
export function node(opType: string, inputs: readonly string[], outputs: readonly string[], attributes: readonly ProtoWriter[] = []): ProtoWriter {
  const w = new ProtoWriter();
  for (const input of inputs) w.string(NODE.input, input);
  for (const output of outputs) w.string(NODE.output, output);
  w.string(NODE.opType, opType);
  for (const a of attributes) w.message(NODE.attribute, a);
  return w;
}

/** A GRAPH attribute (type 5) holding `g`. */
export function graphAttribute(name: string, g: ProtoWriter): ProtoWriter {
  return new ProtoWriter().string(ATTRIBUTE.name, name).message(ATTRIBUTE.g, g).int64(ATTRIBUTE.type, 5);
}
