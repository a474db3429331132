/**
 * ONNX GraphProto and what it holds, decoded into plain objects: nodes (NodeProto) with their
 * attributes (AttributeProto), initializers (TensorProto, SparseTensorProto densified), and the
 * graph's inputs, outputs and value_info (ValueInfoProto with its tensor type and shape).
 * Graph attributes (the branches of If, the bodies of Loop and Scan) are decoded the same way,
 * so nesting is bounded only by the reader's depth limit. Fields the reader does not use
 * (doc strings, metadata, quantization annotations, ...) are skipped.
 * Field numbers are those of onnx/onnx.proto.
 */
import type { Fail, ProtoReader } from './protobuf-reader';
import { VarintList, isSafeInt64 } from './protobuf-reader';
import { decodeSparseTensor } from './sparse';
import type { OnnxTensorRef, TensorContext } from './tensor';
import { decodeTensor } from './tensor';

/** A dimension of a value's shape: a size, a symbolic name (e.g. 'batch'), or '' when unknown. */
export type OnnxDim = number | string;

/** A graph input, output or value_info entry. */
export interface OnnxValueInfo {
  readonly name: string;
  /** The TensorProto.DataType of the elements (1 = FLOAT, 7 = INT64, ...); 0 when not a tensor or not given. */
  readonly elemType: number;
  /** The shape ([] for a scalar, and when the shape is not given: see hasShape). */
  readonly dims: readonly OnnxDim[];
  /** Whether the type gives a shape (its rank is known). */
  readonly hasShape: boolean;
}

/** A node attribute, by kind. */
export type OnnxAttribute =
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'tensor'; readonly value: OnnxTensorRef }
  | { readonly kind: 'sparse_tensor'; readonly value: OnnxTensorRef }
  | { readonly kind: 'graph'; readonly value: OnnxGraph }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'strings'; readonly value: readonly string[] }
  | { readonly kind: 'tensors'; readonly value: readonly OnnxTensorRef[] }
  | { readonly kind: 'graphs'; readonly value: readonly OnnxGraph[] }
  /** SPARSE_TENSORS, TYPE_PROTO, TYPE_PROTOS: recognized, not decoded. */
  | { readonly kind: 'other'; readonly type: string };

export interface OnnxNode {
  /** The node's name ('' when it has none). */
  readonly name: string;
  readonly opType: string;
  /** The operator set domain: '' for the default ONNX domain, e.g. 'com.microsoft'. */
  readonly domain: string;
  /** Input value names, in order ('' for an omitted optional input). */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, OnnxAttribute>;
}

export interface OnnxGraph {
  readonly name: string;
  /** Nodes in the file's order (topological, as ONNX requires). */
  readonly nodes: readonly OnnxNode[];
  /** Initializers by name, sparse ones densified. */
  readonly initializers: ReadonlyMap<string, OnnxTensorRef>;
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly valueInfo: readonly OnnxValueInfo[];
}

const GRAPH = { node: 1, name: 2, initializer: 5, input: 11, output: 12, valueInfo: 13, sparseInitializer: 15 } as const;
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 } as const;
const ATTRIBUTE = {
  name: 1, f: 2, i: 3, s: 4, t: 5, g: 6, floats: 7, ints: 8, strings: 9, tensors: 10, graphs: 11, tp: 14, typeProtos: 15,
  type: 20, sparseTensor: 22, sparseTensors: 23,
} as const;
const VALUE_INFO = { name: 1, type: 2 } as const;
const TYPE = { tensorType: 1, sparseTensorType: 8 } as const;
const TENSOR_TYPE = { elemType: 1, shape: 2 } as const;
const SHAPE = { dim: 1 } as const;
const DIMENSION = { dimValue: 1, dimParam: 2 } as const;

/** AttributeProto.AttributeType: name, and the field that holds the value. */
const ATTRIBUTE_TYPES: ReadonlyMap<number, { readonly name: string; readonly field: number }> = new Map([
  [1, { name: 'FLOAT', field: ATTRIBUTE.f }],
  [2, { name: 'INT', field: ATTRIBUTE.i }],
  [3, { name: 'STRING', field: ATTRIBUTE.s }],
  [4, { name: 'TENSOR', field: ATTRIBUTE.t }],
  [5, { name: 'GRAPH', field: ATTRIBUTE.g }],
  [6, { name: 'FLOATS', field: ATTRIBUTE.floats }],
  [7, { name: 'INTS', field: ATTRIBUTE.ints }],
  [8, { name: 'STRINGS', field: ATTRIBUTE.strings }],
  [9, { name: 'TENSORS', field: ATTRIBUTE.tensors }],
  [10, { name: 'GRAPHS', field: ATTRIBUTE.graphs }],
  [11, { name: 'SPARSE_TENSOR', field: ATTRIBUTE.sparseTensor }],
  [12, { name: 'SPARSE_TENSORS', field: ATTRIBUTE.sparseTensors }],
  [13, { name: 'TYPE_PROTO', field: ATTRIBUTE.tp }],
  [14, { name: 'TYPE_PROTOS', field: ATTRIBUTE.typeProtos }],
]);

/** The value fields of an AttributeProto, by field number, for error messages. */
const VALUE_FIELD_NAMES: ReadonlyMap<number, string> = new Map([
  [ATTRIBUTE.f, 'f'], [ATTRIBUTE.i, 'i'], [ATTRIBUTE.s, 's'], [ATTRIBUTE.t, 't'], [ATTRIBUTE.g, 'g'],
  [ATTRIBUTE.floats, 'floats'], [ATTRIBUTE.ints, 'ints'], [ATTRIBUTE.strings, 'strings'], [ATTRIBUTE.tensors, 'tensors'],
  [ATTRIBUTE.graphs, 'graphs'], [ATTRIBUTE.tp, 'tp'], [ATTRIBUTE.typeProtos, 'type_protos'],
  [ATTRIBUTE.sparseTensor, 'sparse_tensor'], [ATTRIBUTE.sparseTensors, 'sparse_tensors'],
]);

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// ---------------------------------------------------------------------------------------------
// Attributes

/** An AttributeProto's fields as written; message values are kept as readers until the type is known. */
interface AttributeFields {
  name: string;
  type: number | undefined;
  /** Value fields present, by field number. */
  present: Set<number>;
  f: number;
  i: bigint;
  s: Uint8Array;
  t: ProtoReader | undefined;
  g: ProtoReader | undefined;
  sparseTensor: ProtoReader | undefined;
  floats: Uint8Array[];
  ints: VarintList;
  strings: Uint8Array[];
  tensors: ProtoReader[];
  graphs: ProtoReader[];
}

/** Collects an AttributeProto's fields (unknown ones skipped). */
function readAttributeFields(r: ProtoReader): AttributeFields {
  const a: AttributeFields = {
    name: '', type: undefined, present: new Set(), f: 0, i: 0n, s: new Uint8Array(0), t: undefined, g: undefined,
    sparseTensor: undefined, floats: [], ints: new VarintList(), strings: [], tensors: [], graphs: [],
  };
  while (r.next()) {
    const field = r.field;
    if (VALUE_FIELD_NAMES.has(field)) a.present.add(field);
    switch (field) {
      case ATTRIBUTE.name: a.name = r.string('name'); break;
      case ATTRIBUTE.type: a.type = r.safeInteger('type'); break;
      case ATTRIBUTE.f: a.f = r.float('f'); break;
      case ATTRIBUTE.i: a.i = r.int64('i'); break;
      case ATTRIBUTE.s: a.s = r.bytes('s'); break;
      case ATTRIBUTE.t: a.t = r.message('t'); break;
      case ATTRIBUTE.g: a.g = r.message('g'); break;
      case ATTRIBUTE.sparseTensor: a.sparseTensor = r.message('sparse_tensor'); break;
      case ATTRIBUTE.floats: r.repeatedFixed('floats', 4, a.floats); break;
      case ATTRIBUTE.ints: r.repeatedVarint('ints', a.ints); break;
      case ATTRIBUTE.strings: a.strings.push(r.bytes('strings')); break;
      case ATTRIBUTE.tensors: a.tensors.push(r.message(`tensors[${a.tensors.length}]`)); break;
      case ATTRIBUTE.graphs: a.graphs.push(r.message(`graphs[${a.graphs.length}]`)); break;
      default: r.skip();
    }
  }
  return a;
}

/** Little-endian fp32 values held in chunks of bytes. */
function floatValues(chunks: readonly Uint8Array[]): number[] {
  const values: number[] = [];
  for (const chunk of chunks) {
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let at = 0; at < chunk.length; at += 4) values.push(view.getFloat32(at, true));
  }
  return values;
}

/** An int64 attribute value as a number; FormatError when it is not a safe integer. */
function safeNumber(value: bigint, label: string, fail: Fail): number {
  if (!isSafeInt64(value)) {
    throw fail(`${label} = ${value} is outside ±(2^53 - 1)`);
  }
  return Number(value);
}

/** UTF-8 text of a string attribute value. */
function text(bytes: Uint8Array, label: string, fail: Fail): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw fail(`${label} is not valid UTF-8`);
  }
}

/** A message-valued attribute's reader; FormatError when the type's field is missing. */
function required(reader: ProtoReader | undefined, typeName: string, field: string, fail: Fail): ProtoReader {
  if (!reader) throw fail(`has type ${typeName} but no ${field}`);
  return reader;
}

/**
 * The attribute value for its declared type. A missing scalar (f, i, s) reads as 0 or '', as
 * proto3 writers omit zero values; a missing tensor or graph is an error.
 */
function attributeValue(a: AttributeFields, typeName: string, ctx: TensorContext, fail: Fail): OnnxAttribute {
  switch (typeName) {
    case 'FLOAT': return { kind: 'float', value: a.f };
    case 'INT': return { kind: 'int', value: safeNumber(a.i, 'i', fail) };
    case 'STRING': return { kind: 'string', value: text(a.s, 's', fail) };
    case 'TENSOR': return { kind: 'tensor', value: decodeTensor(required(a.t, typeName, 't', fail), ctx) };
    case 'SPARSE_TENSOR': return { kind: 'sparse_tensor', value: decodeSparseTensor(required(a.sparseTensor, typeName, 'sparse_tensor', fail), ctx) };
    case 'GRAPH': return { kind: 'graph', value: decodeGraph(required(a.g, typeName, 'g', fail), ctx) };
    case 'FLOATS': return { kind: 'floats', value: floatValues(a.floats) };
    case 'INTS': return { kind: 'ints', value: Array.from(a.ints.toBigInt64Array(), (v, k) => safeNumber(v, `ints[${k}]`, fail)) };
    case 'STRINGS': return { kind: 'strings', value: a.strings.map((s, k) => text(s, `strings[${k}]`, fail)) };
    case 'TENSORS': return { kind: 'tensors', value: a.tensors.map((t) => decodeTensor(t, ctx)) };
    case 'GRAPHS': return { kind: 'graphs', value: a.graphs.map((g) => decodeGraph(g, ctx)) };
    default: return { kind: 'other', type: typeName };
  }
}

/** Reads one AttributeProto: its name and its value, checked against its declared type. */
function decodeAttribute(r: ProtoReader, ctx: TensorContext): [string, OnnxAttribute] {
  const a = readAttributeFields(r);
  const fail: Fail = (message) => r.error(a.name ? `'${a.name}' ${message}` : message);
  if (!a.name) throw fail('has no name');
  if (a.type === undefined) throw fail('has no type');
  const type = ATTRIBUTE_TYPES.get(a.type);
  if (!type) throw fail(`has unknown type ${a.type}`);
  for (const field of a.present) {
    if (field !== type.field) throw fail(`has type ${type.name} but also sets ${VALUE_FIELD_NAMES.get(field)}`);
  }
  return [a.name, attributeValue(a, type.name, ctx, fail)];
}

// ---------------------------------------------------------------------------------------------
// Nodes and value infos

/** Reads one NodeProto. */
function decodeNode(r: ProtoReader, ctx: TensorContext): OnnxNode {
  const inputs: string[] = [];
  const outputs: string[] = [];
  const attributes = new Map<string, OnnxAttribute>();
  let name = '';
  let opType = '';
  let domain = '';
  let attributeCount = 0;
  while (r.next()) {
    switch (r.field) {
      case NODE.input: inputs.push(r.string('input')); break;
      case NODE.output: outputs.push(r.string('output')); break;
      case NODE.name: name = r.string('name'); break;
      case NODE.opType: opType = r.string('op_type'); break;
      case NODE.domain: domain = r.string('domain'); break;
      case NODE.attribute: {
        const [key, value] = decodeAttribute(r.message(`attribute[${attributeCount++}]`), ctx);
        if (attributes.has(key)) throw r.error(`has two attributes named '${key}'`);
        attributes.set(key, value);
        break;
      }
      default: r.skip();
    }
  }
  if (!opType) throw r.error(`${name ? `'${name}' ` : ''}has no op_type`);
  return { name, opType, domain, inputs, outputs, attributes };
}

/** One TensorShapeProto.Dimension: its size, its symbolic name, or '' when it has neither. */
function decodeDimension(r: ProtoReader): OnnxDim {
  let dim: OnnxDim = '';
  while (r.next()) {
    if (r.field === DIMENSION.dimValue) dim = r.safeInteger('dim_value', 0);
    else if (r.field === DIMENSION.dimParam) dim = r.string('dim_param');
    else r.skip();
  }
  return dim;
}

/** A TypeProto.Tensor (or SparseTensor, which has the same fields): element type and shape. */
function decodeTensorType(r: ProtoReader): { elemType: number; dims: OnnxDim[]; hasShape: boolean } {
  let elemType = 0;
  let dims: OnnxDim[] = [];
  let hasShape = false;
  while (r.next()) {
    if (r.field === TENSOR_TYPE.elemType) elemType = r.safeInteger('elem_type', 0);
    else if (r.field === TENSOR_TYPE.shape) {
      const shape = r.message('shape');
      dims = [];
      while (shape.next()) {
        if (shape.field === SHAPE.dim) dims.push(decodeDimension(shape.message(`dim[${dims.length}]`)));
        else shape.skip();
      }
      hasShape = true;
    } else r.skip();
  }
  return { elemType, dims, hasShape };
}

/** A TypeProto: a tensor or sparse tensor type; other types (sequence, map, optional) give elemType 0. */
function decodeType(r: ProtoReader): { elemType: number; dims: OnnxDim[]; hasShape: boolean } {
  let type = { elemType: 0, dims: [] as OnnxDim[], hasShape: false };
  while (r.next()) {
    if (r.field === TYPE.tensorType) type = decodeTensorType(r.message('tensor_type'));
    else if (r.field === TYPE.sparseTensorType) type = decodeTensorType(r.message('sparse_tensor_type'));
    else r.skip();
  }
  return type;
}

/** Reads one ValueInfoProto. */
function decodeValueInfo(r: ProtoReader): OnnxValueInfo {
  let name = '';
  let type = { elemType: 0, dims: [] as OnnxDim[], hasShape: false };
  while (r.next()) {
    if (r.field === VALUE_INFO.name) name = r.string('name');
    else if (r.field === VALUE_INFO.type) type = decodeType(r.message('type'));
    else r.skip();
  }
  return { name, ...type };
}

// ---------------------------------------------------------------------------------------------
// Graphs

/** Adds an initializer, which must have a name no other initializer of the graph has. */
function addInitializer(initializers: Map<string, OnnxTensorRef>, tensor: OnnxTensorRef, label: string, r: ProtoReader): void {
  if (!tensor.name) throw r.error(`${label} has no name`);
  if (initializers.has(tensor.name)) throw r.error(`${label}: two initializers are named '${tensor.name}'`);
  initializers.set(tensor.name, tensor);
}

/** Reads one GraphProto (see the module comment). */
export function decodeGraph(r: ProtoReader, ctx: TensorContext): OnnxGraph {
  let name = '';
  const nodes: OnnxNode[] = [];
  const initializers = new Map<string, OnnxTensorRef>();
  const inputs: OnnxValueInfo[] = [];
  const outputs: OnnxValueInfo[] = [];
  const valueInfo: OnnxValueInfo[] = [];
  let dense = 0;
  let sparse = 0;
  while (r.next()) {
    switch (r.field) {
      case GRAPH.node: nodes.push(decodeNode(r.message(`node[${nodes.length}]`), ctx)); break;
      case GRAPH.name: name = r.string('name'); break;
      case GRAPH.input: inputs.push(decodeValueInfo(r.message(`input[${inputs.length}]`))); break;
      case GRAPH.output: outputs.push(decodeValueInfo(r.message(`output[${outputs.length}]`))); break;
      case GRAPH.valueInfo: valueInfo.push(decodeValueInfo(r.message(`value_info[${valueInfo.length}]`))); break;
      case GRAPH.initializer: {
        const label = `initializer[${dense++}]`;
        addInitializer(initializers, decodeTensor(r.message(label), ctx), label, r);
        break;
      }
      case GRAPH.sparseInitializer: {
        const label = `sparse_initializer[${sparse++}]`;
        addInitializer(initializers, decodeSparseTensor(r.message(label), ctx), label, r);
        break;
      }
      default: r.skip();
    }
  }
  return { name, nodes, initializers, inputs, outputs, valueInfo };
}
