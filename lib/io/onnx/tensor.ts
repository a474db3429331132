/**
 * The one validator for every ONNX TensorProto the reader meets: graph initializers, Constant
 * node values, tensor attributes, and the values and indices of sparse tensors.
 *
 * Checked when the model is read, before anything sized by the file is allocated:
 * - dims: non-negative integers up to 2^53 - 1 whose product (exact, stopping as soon as it
 *   passes 2^53 - 1) is the element count;
 * - data_type: FLOAT, FLOAT16, BFLOAT16, DOUBLE, INT32 or INT64 (anything else is rejected,
 *   naming the type);
 * - the data: exactly one of raw_data (count × element size bytes, little-endian), the typed
 *   field that matches the type (float_data for FLOAT, int32_data for INT32 and for the bits of
 *   FLOAT16/BFLOAT16, int64_data for INT64, double_data for DOUBLE; count values), or external
 *   data (see external-data.ts; count × element size bytes); a tensor without elements may have
 *   none;
 * - the byte budget: count × element size, added over all tensors of the model, must stay
 *   within the reader's maxBytes.
 * The data itself is converted only by `toFloat32()` / `toInt64()`, on each call.
 */
import { endianness } from 'node:os';
import { FormatError } from '../../errors';
import { Tensor } from '../../tensor';
import { bfloat16BitsToFloat32, halfBitsToFloat32 } from '../half';
import type { ExternalData } from './external-data';
import { readExternalData, resolveExternalData } from './external-data';
import type { Fail, ProtoReader } from './protobuf-reader';
import { VarintList, isSafeInt64 } from './protobuf-reader';

/** TensorProto.DataType codes of the element types this reader supports. */
export const OnnxDataType = { FLOAT: 1, INT32: 6, INT64: 7, FLOAT16: 10, DOUBLE: 11, BFLOAT16: 16 } as const;
/** A supported TensorProto.DataType code. */
export type OnnxDataType = (typeof OnnxDataType)[keyof typeof OnnxDataType];

/** A validated tensor of an ONNX model; its data is converted on each call (keep the result). */
export interface OnnxTensorRef {
  /** The tensor's name ('' when a Constant's value has none). */
  readonly name: string;
  readonly dataType: OnnxDataType;
  readonly dims: readonly number[];
  /** The element count: the product of dims. */
  readonly size: number;
  /** The values as a contiguous fp32 Tensor (FLOAT, FLOAT16, BFLOAT16, DOUBLE; FormatError for integers). */
  toFloat32(): Tensor;
  /**
   * The values of an INT64 or INT32 tensor (shape constants, axes): numbers when every value is
   * a safe integer, otherwise a BigInt64Array (e.g. INT64_MAX as a Slice end). FormatError for
   * floating-point tensors.
   */
  toInt64(): BigInt64Array | number[];
}

/** What decoding a tensor needs besides its bytes: the model's folder and the shared byte budget. */
export interface TensorContext {
  /** The model's folder, for external data; undefined when the model came from a buffer. */
  readonly baseDir: string | undefined;
  readonly budget: ByteBudget;
}

/** The total tensor bytes a model may declare; each tensor takes its share when it is validated. */
export class ByteBudget {
  readonly limit: number;
  private used = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Takes `bytes` from the budget, or throws (through `fail`) when that would pass the limit. */
  take(bytes: number, fail: Fail): void {
    if (bytes > this.limit - this.used) {
      throw fail(`needs ${bytes} bytes, which brings the model's tensor data over the limit of ${this.limit} bytes (maxBytes)`);
    }
    this.used += bytes;
  }
}

/** The TensorProto field each element type keeps typed values in. */
type TypedField = 'float_data' | 'int32_data' | 'int64_data' | 'double_data';

interface ElementType {
  readonly code: OnnxDataType;
  readonly name: string;
  readonly bytes: number;
  readonly field: TypedField;
}

const ELEMENT_TYPES: ReadonlyMap<number, ElementType> = new Map(
  (
    [
      [OnnxDataType.FLOAT, 'FLOAT', 4, 'float_data'],
      [OnnxDataType.INT32, 'INT32', 4, 'int32_data'],
      [OnnxDataType.INT64, 'INT64', 8, 'int64_data'],
      [OnnxDataType.FLOAT16, 'FLOAT16', 2, 'int32_data'],
      [OnnxDataType.DOUBLE, 'DOUBLE', 8, 'double_data'],
      [OnnxDataType.BFLOAT16, 'BFLOAT16', 2, 'int32_data'],
    ] as const
  ).map(([code, name, bytes, field]) => [code, { code, name, bytes, field }]),
);

/** Names of the other TensorProto.DataType codes, for error messages. */
const OTHER_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'UNDEFINED', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 8: 'STRING', 9: 'BOOL', 12: 'UINT32', 13: 'UINT64',
  14: 'COMPLEX64', 15: 'COMPLEX128', 17: 'FLOAT8E4M3FN', 18: 'FLOAT8E4M3FNUZ', 19: 'FLOAT8E5M2', 20: 'FLOAT8E5M2FNUZ',
  21: 'UINT4', 22: 'INT4', 23: 'FLOAT4E2M1',
};

const TENSOR = {
  dims: 1, dataType: 2, segment: 3, floatData: 4, int32Data: 5, stringData: 6, int64Data: 7, name: 8, rawData: 9,
  doubleData: 10, uint64Data: 11, externalData: 13, dataLocation: 14,
} as const;
const ENTRY = { key: 1, value: 2 } as const;
const LOCATION_DEFAULT = 0;
const LOCATION_EXTERNAL = 1;

const BIG_ENDIAN_HOST = endianness() === 'BE';
/** Error messages show at most this many dims. */
const MESSAGE_DIMS = 8;

/** The fields of a TensorProto as written, before validation. */
interface TensorFields {
  name: string;
  dims: VarintList;
  dataType: number | undefined;
  hasSegment: boolean;
  rawData: Uint8Array | undefined;
  floatData: Uint8Array[];
  doubleData: Uint8Array[];
  int32Data: VarintList;
  int64Data: VarintList;
  /** Data fields no supported type uses (string_data, uint64_data), when present. */
  foreignData: Set<string>;
  externalData: [string, string][];
  dataLocation: number;
}

/** Where a tensor's elements are once validated. */
type ElementSource =
  | { readonly kind: 'bytes'; readonly read: (target: Uint8Array) => void } // little-endian element bytes
  | { readonly kind: 'varints'; readonly values: VarintList };

/** Dims for messages: `[80, 80]`, or the first few and the rank when there are many. */
export function dimsText(dims: readonly number[]): string {
  if (dims.length <= MESSAGE_DIMS) return `[${dims.join(', ')}]`;
  return `[${dims.slice(0, MESSAGE_DIMS).join(', ')}, ... (${dims.length} dims)]`;
}

// ---------------------------------------------------------------------------------------------
// Reading the fields

/** One StringStringEntryProto as [key, value]. */
function readEntry(r: ProtoReader): [string, string] {
  let key = '';
  let value = '';
  while (r.next()) {
    if (r.field === ENTRY.key) key = r.string('key');
    else if (r.field === ENTRY.value) value = r.string('value');
    else r.skip();
  }
  return [key, value];
}

/** Collects a TensorProto's fields without interpreting them (unknown fields are skipped). */
function readTensorFields(r: ProtoReader): TensorFields {
  const f: TensorFields = {
    name: '', dims: new VarintList(), dataType: undefined, hasSegment: false, rawData: undefined, floatData: [], doubleData: [],
    int32Data: new VarintList(), int64Data: new VarintList(), foreignData: new Set(), externalData: [], dataLocation: LOCATION_DEFAULT,
  };
  while (r.next()) {
    switch (r.field) {
      case TENSOR.dims: r.repeatedVarint('dims', f.dims); break;
      case TENSOR.dataType: f.dataType = r.safeInteger('data_type'); break;
      case TENSOR.segment: f.hasSegment = true; r.skip(); break;
      case TENSOR.floatData: r.repeatedFixed('float_data', 4, f.floatData); break;
      case TENSOR.int32Data: r.repeatedVarint('int32_data', f.int32Data); break;
      case TENSOR.int64Data: r.repeatedVarint('int64_data', f.int64Data); break;
      case TENSOR.name: f.name = r.string('name'); break;
      case TENSOR.rawData: f.rawData = r.bytes('raw_data'); break;
      case TENSOR.doubleData: r.repeatedFixed('double_data', 8, f.doubleData); break;
      case TENSOR.stringData: f.foreignData.add('string_data'); r.skip(); break;
      case TENSOR.uint64Data: f.foreignData.add('uint64_data'); r.skip(); break;
      case TENSOR.externalData: f.externalData.push(readEntry(r.message(`external_data[${f.externalData.length}]`))); break;
      case TENSOR.dataLocation: f.dataLocation = r.safeInteger('data_location'); break;
      default: r.skip();
    }
  }
  return f;
}

// ---------------------------------------------------------------------------------------------
// Validation

function elementType(code: number | undefined, fail: Fail): ElementType {
  if (code === undefined) throw fail('has no data_type');
  const type = ELEMENT_TYPES.get(code);
  if (!type) {
    const supported = [...ELEMENT_TYPES.values()].map((t) => t.name).join(', ');
    throw fail(`data_type ${code} (${OTHER_TYPE_NAMES[code] ?? 'unknown'}) is not supported (supported: ${supported})`);
  }
  return type;
}

/** Checks dims: each an integer in [0, 2^53 - 1]. */
export function checkDims(dims: BigInt64Array, fail: Fail): number[] {
  return Array.from(dims, (dim, i) => {
    if (dim < 0n) throw fail(`dims[${i}] is negative (${dim})`);
    if (!isSafeInt64(dim)) throw fail(`dims[${i}] is ${dim}, over 2^53 - 1`);
    return Number(dim);
  });
}

/**
 * The element count of `dims` times `elementBytes`, exactly, or a FormatError when it passes
 * 2^53 - 1 (the product stops growing as soon as it does, so huge dims never build huge numbers).
 */
export function checkedByteCount(dims: readonly number[], elementBytes: number, what: string, fail: Fail): number {
  if (dims.includes(0)) return 0;
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  let product = BigInt(elementBytes);
  for (const dim of dims) {
    product *= BigInt(dim);
    if (product > max) throw fail(`${what} ${dimsText(dims)} ${elementBytes === 1 ? 'has more than 2^53 - 1 elements' : 'needs more than 2^53 - 1 bytes'}`);
  }
  return Number(product);
}

/** The data fields that hold something, by name (an empty field holds nothing). */
function presentSources(f: TensorFields): string[] {
  const present: string[] = [...f.foreignData];
  if (f.rawData !== undefined && f.rawData.length > 0) present.push('raw_data');
  if (f.floatData.some((c) => c.length > 0)) present.push('float_data');
  if (f.int32Data.count > 0) present.push('int32_data');
  if (f.int64Data.count > 0) present.push('int64_data');
  if (f.doubleData.some((c) => c.length > 0)) present.push('double_data');
  if (f.dataLocation === LOCATION_EXTERNAL) present.push('external data');
  return present;
}

/** A source that copies chunks of little-endian bytes, in order, into the target. */
function chunkSource(chunks: readonly Uint8Array[]): ElementSource {
  return {
    kind: 'bytes',
    read(target) {
      let at = 0;
      for (const chunk of chunks) {
        target.set(chunk, at);
        at += chunk.length;
      }
    },
  };
}

function totalLength(chunks: readonly Uint8Array[]): number {
  return chunks.reduce((sum, chunk) => sum + chunk.length, 0);
}

/** The external data source, its location and range checked against the model's folder. */
function externalSource(f: TensorFields, ctx: TensorContext, needed: number, typeText: string, fail: Fail): ElementSource {
  if (f.externalData.length === 0) throw fail('data_location is EXTERNAL but external_data is empty');
  if (ctx.baseDir === undefined) throw fail('uses external data, but the model was parsed from a buffer without a baseDir');
  const data: ExternalData = resolveExternalData(f.externalData, ctx.baseDir, fail);
  if (data.length !== needed) throw fail(`external data '${data.location}' has ${data.length} bytes but ${typeText} needs ${needed}`);
  return { kind: 'bytes', read: (target) => readExternalData(data, target, fail) };
}

/**
 * Picks and checks the tensor's data source: at most one, the one its type allows, holding
 * exactly `count` elements.
 */
function elementSource(f: TensorFields, type: ElementType, dims: readonly number[], count: number, ctx: TensorContext, fail: Fail): ElementSource {
  if (f.dataLocation !== LOCATION_DEFAULT && f.dataLocation !== LOCATION_EXTERNAL) {
    throw fail(`data_location ${f.dataLocation} is neither DEFAULT (0) nor EXTERNAL (1)`);
  }
  if (f.dataLocation === LOCATION_DEFAULT && f.externalData.length > 0) throw fail('has external_data but data_location is not EXTERNAL');
  const present = presentSources(f);
  if (present.length > 1) throw fail(`holds data in more than one field (${present.join(', ')})`);
  const typeText = `${type.name} ${dimsText(dims)}`;
  const needed = count * type.bytes;
  if (present.length === 0) {
    if (count === 0) return chunkSource([]);
    throw fail(`has no data for ${typeText} (none of raw_data, ${type.field} or external data)`);
  }
  const [source] = present;
  if (source === 'external data') return externalSource(f, ctx, needed, typeText, fail);
  if (source === 'raw_data') {
    const raw = f.rawData as Uint8Array;
    if (raw.length !== needed) throw fail(`raw_data has ${raw.length} bytes but ${typeText} needs ${needed}`);
    return chunkSource([raw]);
  }
  if (source !== type.field) throw fail(`${source} cannot hold ${type.name} data (${type.name} uses ${type.field} or raw_data)`);
  if (source === 'float_data' || source === 'double_data') {
    const chunks = source === 'float_data' ? f.floatData : f.doubleData;
    const values = totalLength(chunks) / type.bytes;
    if (values !== count) throw fail(`${source} has ${values} values but ${typeText} needs ${count}`);
    return chunkSource(chunks);
  }
  const list = source === 'int32_data' ? f.int32Data : f.int64Data;
  if (list.count !== count) throw fail(`${source} has ${list.count} values but ${typeText} needs ${count}`);
  return { kind: 'varints', values: list };
}

// ---------------------------------------------------------------------------------------------
// Conversion

/** Fills a typed array's bytes with `read` (little-endian data; byte order fixed on big-endian hosts). */
function readLittleEndian<T extends ArrayBufferView>(array: T, width: 2 | 4 | 8, read: (target: Uint8Array) => void): T {
  read(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  if (BIG_ENDIAN_HOST) {
    const bytes = Buffer.from(array.buffer, array.byteOffset, array.byteLength);
    if (width === 2) bytes.swap16();
    else if (width === 4) bytes.swap32();
    else bytes.swap64();
  }
  return array;
}

/** A validated dense tensor (see the module comment). */
export class DenseTensor implements OnnxTensorRef {
  readonly name: string;
  readonly dataType: OnnxDataType;
  readonly dims: readonly number[];
  readonly size: number;
  /** Bytes per element of the data type. */
  readonly elementBytes: number;
  private readonly type: ElementType;
  private readonly source: ElementSource;
  private readonly fail: Fail;

  constructor(name: string, type: ElementType, dims: readonly number[], size: number, source: ElementSource, fail: Fail) {
    this.name = name;
    this.type = type;
    this.dataType = type.code;
    this.elementBytes = type.bytes;
    this.dims = dims;
    this.size = size;
    this.source = source;
    this.fail = fail;
  }

  toFloat32(): Tensor {
    return new Tensor(this.float32Values(), this.dims);
  }

  toInt64(): BigInt64Array | number[] {
    if (this.type.code === OnnxDataType.INT32) return Array.from(this.int32Values());
    const values = this.int64Values();
    return values.every(isSafeInt64) ? Array.from(values, Number) : values;
  }

  /** The values of an INT64 tensor (FormatError for other types). */
  int64Values(): BigInt64Array {
    if (this.type.code !== OnnxDataType.INT64) throw this.wrongType('toInt64', 'INT64, INT32');
    if (this.source.kind === 'varints') return this.source.values.toBigInt64Array();
    return readLittleEndian(new BigInt64Array(this.size), 8, this.source.read);
  }

  /** The values as fp32, one new array (FormatError for integer types). */
  float32Values(): Float32Array {
    switch (this.type.code) {
      case OnnxDataType.FLOAT:
        return this.fill(new Float32Array(this.size), 4);
      case OnnxDataType.DOUBLE:
        return Float32Array.from(this.fill(new Float64Array(this.size), 8));
      case OnnxDataType.FLOAT16:
        return halfBitsToFloat32(this.bits16());
      case OnnxDataType.BFLOAT16:
        return bfloat16BitsToFloat32(this.bits16());
      default:
        throw this.wrongType('toFloat32', 'FLOAT, FLOAT16, BFLOAT16, DOUBLE');
    }
  }

  /** Fills `array` from a byte source (FLOAT and DOUBLE data always come from one: raw_data, float_data, double_data or a file). */
  private fill<T extends ArrayBufferView>(array: T, width: 4 | 8): T {
    if (this.source.kind !== 'bytes') throw this.fail(`${this.type.name} data cannot come from varints`);
    return readLittleEndian(array, width, this.source.read);
  }

  /** The values of an INT32 tensor. */
  private int32Values(): Int32Array {
    if (this.source.kind === 'bytes') return readLittleEndian(new Int32Array(this.size), 4, this.source.read);
    const out = new Int32Array(this.size);
    this.source.values.forEachInt32((value, i) => (out[i] = value));
    return out;
  }

  /** The 16-bit patterns of a FLOAT16/BFLOAT16 tensor; int32_data values must be in [0, 65535]. */
  private bits16(): Uint16Array {
    if (this.source.kind === 'bytes') return readLittleEndian(new Uint16Array(this.size), 2, this.source.read);
    const out = new Uint16Array(this.size);
    this.source.values.forEachInt32((value, i) => {
      if (value < 0 || value > 0xffff) throw this.fail(`int32_data[${i}] = ${value} is not a 16-bit pattern for ${this.type.name}`);
      out[i] = value;
    });
    return out;
  }

  private wrongType(method: string, accepted: string): Error {
    return this.fail(`is ${this.type.name}; ${method}() reads ${accepted} tensors`);
  }
}

/** The error factory for a named thing a reader is on: `file: where 'name': message` (no quotes for ''). */
export function namedFail(r: ProtoReader, name: string): Fail {
  const where = name ? `${r.where} '${name}'` : r.where;
  return (message) => new FormatError(r.file, `${where}: ${message}`);
}

/**
 * Reads and validates one TensorProto (see the module comment); the data is read later, by
 * `toFloat32()` / `toInt64()`.
 */
export function decodeTensor(r: ProtoReader, ctx: TensorContext): DenseTensor {
  const f = readTensorFields(r);
  const fail = namedFail(r, f.name);
  if (f.hasSegment) throw fail('is segmented (TensorProto.segment), which is not supported');
  const type = elementType(f.dataType, fail);
  const dims = checkDims(f.dims.toBigInt64Array(), fail);
  const count = checkedByteCount(dims, 1, 'dims', fail);
  checkedByteCount(dims, type.bytes, `${type.name}`, fail);
  const source = elementSource(f, type, dims, count, ctx, fail);
  ctx.budget.take(count * type.bytes, fail);
  return new DenseTensor(f.name, type, dims, count, source, fail);
}
