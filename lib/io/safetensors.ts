/**
 * safetensors files: read (validated, lazily converted to fp32) and write.
 *
 *   file   = N (u64, little-endian) | header (N bytes of UTF-8 JSON) | data section
 *   header = { "__metadata__"?: { <key>: <string> },
 *              "<name>": { "dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end] }, ... }
 *
 * Offsets count bytes from the start of the data section; tensor data is row-major and
 * little-endian, and the tensors together cover the data section exactly: no gaps, no overlaps,
 * nothing after the last one.
 *
 * Files are untrusted. The header length is checked against SAFETENSORS_MAX_HEADER_BYTES and the
 * file size before the header is read; every entry is checked (dtype, shape, offsets, and
 * bytes = elements × dtype size, computed exactly and without building huge numbers) before any
 * tensor data is read; tensor data is read only when `tensor(name)` asks for it. Every problem is
 * a FormatError naming the file and what was wrong; file-system errors (ENOENT, EACCES) are
 * Node's own.
 *
 * Dtypes: every whole-byte dtype of the format is accepted and validated when the file is read,
 * so checkpoints that also hold integer buffers (e.g. an I64 `position_ids`) open, and `info()`
 * reports them. `tensor()` converts F32, F16 and BF16 to fp32 and throws a FormatError for the
 * others. Any other dtype string (including the sub-byte F4/F6 types) is rejected at read.
 * A key repeated in the header is rejected (JSON.parse keeps the last copy, other readers the first).
 * Unknown fields inside a tensor entry are ignored, as the reference implementation does.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { endianness } from 'node:os';
import { ArgumentError, FormatError } from '../errors';
import { checkOneOf, describeShape } from '../ops/validate';
import type { TensorLike } from '../tensor';
import { Tensor, contiguousStrides, rowMajorData } from '../tensor';
import type { WeightSource } from '../nn/weights';
import { bfloat16BitsToFloat32, halfBitsToFloat32 } from './half';
import { describeJsonValue, isJsonObject, parseJsonText, readExactly, readExactlyAsync } from './json-file';

/** Bytes per element of each dtype of the format that has whole-byte elements. */
const DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  F8_E8M0: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;

/** A dtype a safetensors file may declare (and this reader validates). */
export type SafetensorsDtype = keyof typeof DTYPE_BYTES;
/** The dtypes that convert to and from fp32. */
export type SafetensorsFloatDtype = 'F32' | 'F16' | 'BF16';
const FLOAT_DTYPES: readonly SafetensorsFloatDtype[] = ['F32', 'F16', 'BF16'];

/** The largest header accepted (and written): 100 MiB. */
export const SAFETENSORS_MAX_HEADER_BYTES = 100 * 1024 * 1024;
/** The header length prefix: a u64. */
const PREFIX_BYTES = 8;
/** Writers pad the header with spaces so that the data section starts at a multiple of this. */
const DATA_ALIGNMENT = 8;
const METADATA_KEY = '__metadata__';
const BIG_ENDIAN_HOST = endianness() === 'BE';
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** Error messages show at most this many dims of a shape. */
const MESSAGE_DIMS = 8;

/** What the header says about one tensor. */
export interface SafetensorsTensorInfo {
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
}

/** A validated safetensors file; tensor data is read from the source on each `tensor()` call. */
export interface SafetensorsFile {
  /** The file name errors refer to ('<buffer>' for parseSafetensors unless given). */
  readonly file: string;
  /** The header's `__metadata__` ({} when absent). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensor names, sorted. */
  names(): string[];
  has(name: string): boolean;
  /** dtype and shape of a tensor; FormatError when there is no such tensor. */
  info(name: string): SafetensorsTensorInfo;
  /**
   * Reads a tensor and converts it to a new contiguous fp32 Tensor (each call reads again; keep
   * the result). FormatError when there is no such tensor or its dtype is not F32, F16 or BF16.
   */
  tensor(name: string): Tensor;
  /** tensor() with the file read asynchronously (the event loop stays free while it reads). */
  tensorAsync(name: string): Promise<Tensor>;
  /**
   * Every F32/F16/BF16 tensor read asynchronously into memory, as a WeightSource that hands each
   * one out once (a second request reads the file again, so nothing is kept after a model took
   * its weights); other names fall back to this file's tensor() and its errors.
   */
  preload(): Promise<WeightSource>;
}

/** Where a reader gets bytes from: a file on disk or a buffer in memory. */
interface ByteSource {
  readonly size: number;
  /** Fills `target` with the bytes starting at `position` (position + target.length <= size). */
  read(position: number, target: Uint8Array): void;
  /**
   * read() for each [position, target] pair in turn (taken from `parts` one at a time, so a
   * generator can allocate each target when it is due), without blocking the event loop.
   */
  readAsync(parts: Iterable<readonly [number, Uint8Array]>): Promise<void>;
}

/** One validated header entry; begin and end are offsets in the data section. */
interface Entry extends SafetensorsTensorInfo {
  readonly name: string;
  readonly begin: number;
  readonly end: number;
}

/** The validated header: where the data section starts, the tensors, the metadata. */
interface Layout {
  readonly dataStart: number;
  readonly entries: ReadonlyMap<string, Entry>;
  readonly metadata: Readonly<Record<string, string>>;
}

function isDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && Object.hasOwn(DTYPE_BYTES, value);
}

function isFloatDtype(dtype: SafetensorsDtype): dtype is SafetensorsFloatDtype {
  return (FLOAT_DTYPES as readonly string[]).includes(dtype);
}

function isDimension(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A shape for messages: `[1, 197, 768]`, or its first dims and the rank when it is long. */
function shapeText(shape: readonly number[]): string {
  if (shape.length <= MESSAGE_DIMS) return describeShape(shape);
  return `[${shape.slice(0, MESSAGE_DIMS).join(', ')}, ... (${shape.length} dims)]`;
}

// ---------------------------------------------------------------------------------------------
// Byte sources

/**
 * A file read with open/read/close on every access. Each access checks that the file still has
 * the size, modification time and inode it had when first opened, so lazily read tensors never
 * mix two versions of a file.
 */
function fileSource(file: string): ByteSource {
  const opened = fs.statSync(file);
  if (!opened.isFile()) throw new FormatError(file, 'not a regular file');
  const checkUnchanged = (now: fs.Stats): void => {
    if (now.size !== opened.size || now.mtimeMs !== opened.mtimeMs || now.ino !== opened.ino || now.dev !== opened.dev) {
      throw new FormatError(file, 'changed on disk since it was opened; read it again');
    }
  };
  return {
    size: opened.size,
    read(position, target) {
      const fd = fs.openSync(file, 'r');
      try {
        checkUnchanged(fs.fstatSync(fd));
        readExactly(fd, target, position, file);
      } finally {
        fs.closeSync(fd);
      }
    },
    async readAsync(parts) {
      const handle = await fs.promises.open(file, 'r');
      try {
        checkUnchanged(await handle.stat());
        for (const [position, target] of parts) await readExactlyAsync(handle, target, position, file);
      } finally {
        await handle.close();
      }
    },
  };
}

/** A buffer in memory (referenced, not copied). */
function bufferSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read(position, target) {
      target.set(bytes.subarray(position, position + target.length));
    },
    async readAsync(parts) {
      for (const [position, target] of parts) target.set(bytes.subarray(position, position + target.length));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Header validation

/** The header length N from the 8-byte prefix, checked against the cap and the source size. */
function readHeaderLength(source: ByteSource, file: string): number {
  if (source.size < PREFIX_BYTES) {
    throw new FormatError(file, `is ${source.size} bytes, too short for the ${PREFIX_BYTES}-byte header length`);
  }
  const prefix = new Uint8Array(PREFIX_BYTES);
  source.read(0, prefix);
  const length = new DataView(prefix.buffer).getBigUint64(0, true);
  if (length > BigInt(SAFETENSORS_MAX_HEADER_BYTES)) {
    throw new FormatError(file, `header length ${length} is over the limit of ${SAFETENSORS_MAX_HEADER_BYTES} bytes (100 MiB)`);
  }
  const n = Number(length);
  if (PREFIX_BYTES + n > source.size) {
    throw new FormatError(file, `header length ${n} runs past the end of the file (${PREFIX_BYTES} + ${n} > ${source.size} bytes)`);
  }
  return n;
}

/** The header as a JSON object. */
function readHeader(source: ByteSource, length: number, file: string): Record<string, unknown> {
  const bytes = new Uint8Array(length);
  source.read(PREFIX_BYTES, bytes);
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new FormatError(file, 'header is not valid UTF-8');
  }
  const header = parseJsonText(text, file, 'header');
  if (!isJsonObject(header)) throw new FormatError(file, `header must be a JSON object, received ${describeJsonValue(header)}`);
  return header;
}

/** `__metadata__`: absent, or an object whose values are strings. */
function parseMetadata(value: unknown, file: string): Readonly<Record<string, string>> {
  if (value === undefined) return Object.freeze({});
  if (!isJsonObject(value)) throw new FormatError(file, `${METADATA_KEY} must be an object of strings, received ${describeJsonValue(value)}`);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new FormatError(file, `${METADATA_KEY}['${key}'] must be a string, received ${describeJsonValue(v)}`);
  }
  return Object.freeze({ ...(value as Record<string, string>) });
}

function parseDtype(value: unknown, where: string, file: string): SafetensorsDtype {
  if (!isDtype(value)) {
    throw new FormatError(file, `${where}: unknown dtype ${describeJsonValue(value)} (known: ${Object.keys(DTYPE_BYTES).join(', ')})`);
  }
  return value;
}

/** A shape: an array of integers in [0, 2^53 - 1]. */
function parseShape(value: unknown, where: string, file: string): number[] {
  if (!Array.isArray(value)) throw new FormatError(file, `${where}: shape must be an array of integers, received ${describeJsonValue(value)}`);
  value.forEach((dim: unknown, i) => {
    if (!isDimension(dim)) {
      throw new FormatError(file, `${where}: shape[${i}] must be an integer in [0, 2^53 - 1], received ${describeJsonValue(dim)}`);
    }
  });
  return [...(value as number[])];
}

/** data_offsets: [begin, end] with 0 <= begin <= end <= the data section's length. */
function parseOffsets(value: unknown, where: string, dataLength: number, file: string): [number, number] {
  if (!Array.isArray(value) || value.length !== 2 || !value.every(isDimension) || value[0] > value[1]) {
    throw new FormatError(file, `${where}: data_offsets must be [begin, end] with integers 0 <= begin <= end, received ${describeJsonValue(value)}`);
  }
  const [begin, end] = value as [number, number];
  if (end > dataLength) {
    throw new FormatError(
      file,
      `${where}: data_offsets [${begin}, ${end}] run past the end of the data section (${dataLength} bytes; is the file truncated?)`,
    );
  }
  return [begin, end];
}

/**
 * The bytes a tensor of `shape` with `elementBytes`-byte elements takes, or undefined when that is
 * more than 2^53 - 1. Exact (BigInt), and it stops as soon as the product passes that bound, so a
 * shape such as [2^40, 2^40] or a hundred thousand large dims never builds a huge number.
 */
function tensorBytes(shape: readonly number[], elementBytes: number): number | undefined {
  if (shape.includes(0)) return 0;
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  let bytes = BigInt(elementBytes);
  for (const dim of shape) {
    bytes *= BigInt(dim);
    if (bytes > max) return undefined;
  }
  return Number(bytes);
}

/** Checks that a tensor's offsets span exactly elements × dtype size bytes. */
function checkByteLength(entry: Entry, where: string, file: string): void {
  const { dtype, shape, begin, end } = entry;
  const needed = tensorBytes(shape, DTYPE_BYTES[dtype]);
  if (needed !== end - begin) {
    const neededText = needed === undefined ? 'more than 2^53 - 1' : String(needed);
    throw new FormatError(file, `${where}: data_offsets [${begin}, ${end}] give ${end - begin} bytes but ${dtype} ${shapeText(shape)} needs ${neededText}`);
  }
}

/** One header entry, fully validated against a data section of `dataLength` bytes. */
function parseEntry(name: string, value: unknown, dataLength: number, file: string): Entry {
  const where = `tensor '${name}'`;
  if (!isJsonObject(value)) {
    throw new FormatError(file, `${where}: expected an object { dtype, shape, data_offsets }, received ${describeJsonValue(value)}`);
  }
  const dtype = parseDtype(value.dtype, where, file);
  const shape = parseShape(value.shape, where, file);
  const [begin, end] = parseOffsets(value.data_offsets, where, dataLength, file);
  const entry = { name, dtype, shape, begin, end };
  checkByteLength(entry, where, file);
  return entry;
}

/** Checks that the tensors' byte ranges tile [0, dataLength) exactly: no overlap, gap or tail. */
function checkCoverage(entries: Iterable<Entry>, dataLength: number, file: string): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  sorted.forEach((entry, i) => {
    const previous = sorted[i - 1];
    if (entry.begin < cursor) {
      throw new FormatError(
        file,
        `tensors '${previous.name}' [${previous.begin}, ${previous.end}] and '${entry.name}' [${entry.begin}, ${entry.end}] overlap`,
      );
    }
    if (entry.begin > cursor) {
      const after = previous ? `after '${previous.name}'` : 'at the start of the data section';
      throw new FormatError(file, `bytes [${cursor}, ${entry.begin}) belong to no tensor (a gap ${after}, before '${entry.name}')`);
    }
    cursor = entry.end;
  });
  if (sorted.length === 0 && dataLength > 0) {
    throw new FormatError(file, `the data section has ${dataLength} bytes but the header lists no tensors`);
  }
  if (cursor < dataLength) {
    throw new FormatError(file, `the data section has ${dataLength - cursor} bytes after the last tensor (which ends at ${cursor} of ${dataLength})`);
  }
}

/** Reads and validates everything but the tensor data. */
function parseLayout(source: ByteSource, file: string): Layout {
  const headerLength = readHeaderLength(source, file);
  const header = readHeader(source, headerLength, file);
  const dataStart = PREFIX_BYTES + headerLength;
  const dataLength = source.size - dataStart;
  const entries = new Map<string, Entry>();
  for (const [name, value] of Object.entries(header)) {
    if (name !== METADATA_KEY) entries.set(name, parseEntry(name, value, dataLength, file));
  }
  checkCoverage(entries.values(), dataLength, file);
  return { dataStart, entries, metadata: parseMetadata(header[METADATA_KEY], file) };
}

// ---------------------------------------------------------------------------------------------
// Conversions (fp16/bf16 <-> fp32)

/** Drops the low `shift` (1..30) bits of a non-negative int32, rounding to nearest, ties to even. */
function shiftRoundEven(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && kept & 1) ? kept + 1 : kept;
}

/**
 * fp32 bits -> binary16 bits, round to nearest even: magnitudes from 65520 up give infinity,
 * magnitudes up to 2^-25 give zero; NaN stays a (quiet) NaN with its sign.
 */
export function float32BitsToHalf(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const fraction = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (fraction ? 0x200 | (fraction >>> 13) : 0);
  const halfExponent = exponent - 112; // rebias 127 -> 15
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  // Normal: exponent and fraction rounded together, so a carry moves into the exponent (up to infinity).
  if (halfExponent >= 1) return sign | shiftRoundEven((halfExponent << 23) | fraction, 13);
  // Subnormal in binary16 (or zero): the 24-bit significand in units of 2^-24 is m / 2^shift.
  const shift = 126 - exponent;
  if (exponent === 0 || shift > 24) return sign; // fp32 zeros and subnormals, and values below 2^-25
  return sign | shiftRoundEven(0x800000 | fraction, shift);
}

/** fp32 bits -> bfloat16 bits (the top half), round to nearest even; NaN stays a quiet NaN. */
export function float32BitsToBfloat16(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return (bits >>> 16) | 0x40;
  return (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
}

/**
 * Decoding `count` elements: `bytes` is where the raw little-endian data is read to (straight
 * into the result for F32: no second copy), then `finish()` returns them as fp32.
 */
interface Decoding {
  readonly bytes: Uint8Array;
  finish(): Float32Array;
}

/** 16-bit elements converted by `convert` once read. */
function decode16(count: number, convert: (bits: Uint16Array) => Float32Array): Decoding {
  const raw = new Uint16Array(count);
  return {
    bytes: new Uint8Array(raw.buffer),
    finish() {
      if (BIG_ENDIAN_HOST) Buffer.from(raw.buffer).swap16();
      return convert(raw);
    },
  };
}

const DECODERS: Record<SafetensorsFloatDtype, (count: number) => Decoding> = {
  F32(count) {
    const out = new Float32Array(count);
    return {
      bytes: new Uint8Array(out.buffer),
      finish() {
        if (BIG_ENDIAN_HOST) Buffer.from(out.buffer).swap32();
        return out;
      },
    };
  },
  F16: (count) => decode16(count, halfBitsToFloat32),
  BF16: (count) => decode16(count, bfloat16BitsToFloat32),
};

/** Contiguous fp32 values -> little-endian bytes of `dtype`. */
type Encoder = (values: Float32Array) => Uint8Array;

/** Encodes each fp32 value's bits into 16 bits with `convert`. */
function encode16(values: Float32Array, convert: (bits: number) => number): Uint8Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = convert(bits[i]);
  if (BIG_ENDIAN_HOST) Buffer.from(out.buffer).swap16();
  return new Uint8Array(out.buffer);
}

const ENCODERS: Record<SafetensorsFloatDtype, Encoder> = {
  F32(values) {
    const bytes = new Uint8Array(values.byteLength);
    bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    if (BIG_ENDIAN_HOST) Buffer.from(bytes.buffer).swap32();
    return bytes;
  },
  F16: (values) => encode16(values, float32BitsToHalf),
  BF16: (values) => encode16(values, float32BitsToBfloat16),
};

// ---------------------------------------------------------------------------------------------
// Reading

class SafetensorsReader implements SafetensorsFile {
  readonly file: string;
  readonly metadata: Readonly<Record<string, string>>;
  private readonly source: ByteSource;
  private readonly layout: Layout;

  constructor(source: ByteSource, file: string) {
    this.file = file;
    this.source = source;
    this.layout = parseLayout(source, file);
    this.metadata = this.layout.metadata;
  }

  names(): string[] {
    return [...this.layout.entries.keys()].sort();
  }

  has(name: string): boolean {
    return this.layout.entries.has(name);
  }

  info(name: string): SafetensorsTensorInfo {
    const { dtype, shape } = this.entry(name);
    return { dtype, shape: [...shape] };
  }

  tensor(name: string): Tensor {
    const { entry, dtype, count, position } = this.floatEntry(name);
    const decoding = DECODERS[dtype](count);
    this.source.read(position, decoding.bytes);
    return new Tensor(decoding.finish(), entry.shape);
  }

  async tensorAsync(name: string): Promise<Tensor> {
    const tensors = await this.readTensorsAsync([name]);
    return tensors.get(name) as Tensor;
  }

  async preload(): Promise<WeightSource> {
    const inFileOrder = [...this.layout.entries.values()].sort((a, b) => a.begin - b.begin);
    const tensors = await this.readTensorsAsync(inFileOrder.filter((entry) => isFloatDtype(entry.dtype)).map((entry) => entry.name));
    return {
      file: this.file,
      has: (name) => this.has(name),
      tensor: (name) => {
        const tensor = tensors.get(name);
        tensors.delete(name);
        return tensor ?? this.tensor(name);
      },
    };
  }

  /**
   * The named float tensors by name (every name checked before any I/O), read in one
   * asynchronous pass over the file; each tensor's memory is allocated when its turn comes (as
   * the synchronous reads do).
   */
  private async readTensorsAsync(names: readonly string[]): Promise<Map<string, Tensor>> {
    const wanted = names.map((name) => ({ name, ...this.floatEntry(name) }));
    const tensors = new Map<string, Tensor>();
    function* parts(): Generator<readonly [number, Uint8Array]> {
      for (const { name, entry, dtype, count, position } of wanted) {
        const decoding = DECODERS[dtype](count);
        yield [position, decoding.bytes];
        tensors.set(name, new Tensor(decoding.finish(), entry.shape));
      }
    }
    await this.source.readAsync(parts());
    return tensors;
  }

  /** A tensor that converts to fp32: its entry, dtype, element count and absolute position. */
  private floatEntry(name: string): { entry: Entry; dtype: SafetensorsFloatDtype; count: number; position: number } {
    const entry = this.entry(name);
    const dtype = entry.dtype;
    if (!isFloatDtype(dtype)) {
      throw new FormatError(this.file, `tensor '${name}' is ${dtype}; only ${FLOAT_DTYPES.join(', ')} convert to float32`);
    }
    return { entry, dtype, count: (entry.end - entry.begin) / DTYPE_BYTES[dtype], position: this.layout.dataStart + entry.begin };
  }

  private entry(name: string): Entry {
    const entry = this.layout.entries.get(name);
    if (!entry) throw new FormatError(this.file, `no tensor named '${name}' (the file has ${this.layout.entries.size})`);
    return entry;
  }
}

/**
 * Opens a safetensors file: validates its header and layout (see the module comment) and returns
 * an object that reads tensors on demand. Throws FormatError for a malformed file.
 */
export function readSafetensors(file: string): SafetensorsFile {
  return new SafetensorsReader(fileSource(file), file);
}

/**
 * The same as readSafetensors for a file already in memory. The result keeps a reference to
 * `bytes` (no copy); `file` names the data in error messages.
 */
export function parseSafetensors(bytes: Uint8Array, file = '<buffer>'): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) {
    throw new ArgumentError('bytes', `expected a Uint8Array or Buffer, received ${describeJsonValue(bytes)}`);
  }
  return new SafetensorsReader(bufferSource(bytes), file);
}

// ---------------------------------------------------------------------------------------------
// Writing

/** A tensor to write, checked, with its place in the data section. */
interface PlannedTensor {
  readonly name: string;
  readonly data: Float32Array;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly count: number;
  readonly begin: number;
  readonly end: number;
}

/** Everything to write: the prefix and padded header, then each tensor in order. */
interface FilePlan {
  readonly head: Uint8Array;
  readonly tensors: readonly PlannedTensor[];
  readonly encode: Encoder;
  readonly size: number;
}

/** Checks a tensor argument (any rank, dims may be 0, optional strides); returns its layout. */
function checkWriteTensor(param: string, t: unknown): { data: Float32Array; shape: number[]; strides: number[]; count: number } {
  if (typeof t !== 'object' || t === null) {
    throw new ArgumentError(param, `expected a tensor { data: Float32Array, shape }, received ${t === null ? 'null' : typeof t}`);
  }
  const { data, shape, strides } = t as TensorLike;
  if (!(data instanceof Float32Array)) {
    const received = data === undefined ? 'undefined' : ((data as object)?.constructor?.name ?? typeof data);
    throw new ArgumentError(param, `expected data to be a Float32Array, received ${received}`);
  }
  if (!Array.isArray(shape) || !shape.every(isDimension)) {
    throw new ArgumentError(param, `expected shape to be an array of non-negative integers, received ${describeShape(shape)}`);
  }
  const s = strides === undefined ? contiguousStrides(shape) : Array.isArray(strides) ? [...strides] : [];
  if (s.length !== shape.length || !s.every(isDimension)) {
    throw new ArgumentError(param, `expected ${shape.length} non-negative integer strides, received ${describeShape(strides)}`);
  }
  const count = tensorBytes(shape, 1);
  if (count === undefined || count * 4 > Number.MAX_SAFE_INTEGER) {
    throw new ArgumentError(param, `shape ${describeShape(shape)} has too many elements to write`);
  }
  const last = count === 0 ? -1 : shape.reduce((acc: number, dim: number, i: number) => acc + (dim - 1) * s[i], 0);
  if (last >= data.length) {
    throw new ArgumentError(param, `shape ${describeShape(shape)} with strides ${describeShape(s)} needs ${last + 1} elements, but data has ${data.length}`);
  }
  return { data, shape: [...shape], strides: s, count };
}

/** The (name, tensor) pairs of an object or Map, sorted by name. */
function namedTensors(tensors: unknown): [string, unknown][] {
  let pairs: [unknown, unknown][];
  if (tensors instanceof Map) pairs = [...tensors];
  else if (isJsonObject(tensors)) pairs = Object.entries(tensors);
  else throw new ArgumentError('tensors', `expected an object or Map of name -> tensor, received ${describeJsonValue(tensors)}`);
  for (const [name] of pairs) {
    if (typeof name !== 'string') throw new ArgumentError('tensors', `expected string names, received a ${typeof name} key`);
    if (name === METADATA_KEY) throw new ArgumentError('tensors', `'${METADATA_KEY}' is reserved for metadata and cannot name a tensor`);
  }
  return (pairs as [string, unknown][]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The metadata's (key, value) pairs; undefined when no metadata was given. */
function metadataPairs(metadata: unknown): [string, string][] | undefined {
  if (metadata === undefined) return undefined;
  if (!isJsonObject(metadata)) throw new ArgumentError('metadata', `expected an object of strings, received ${describeJsonValue(metadata)}`);
  const pairs = Object.entries(metadata);
  for (const [key, value] of pairs) {
    if (typeof value !== 'string') throw new ArgumentError(`metadata['${key}']`, `expected a string, received ${describeJsonValue(value)}`);
  }
  return pairs as [string, string][];
}

/** JSON text of an object from already-encoded (key, JSON value) pairs, in the given order. */
function objectText(pairs: readonly (readonly [string, string])[]): string {
  return `{${pairs.map(([key, json]) => `${JSON.stringify(key)}:${json}`).join(',')}}`;
}

/** The 8-byte length prefix and the header, padded with spaces to a multiple of DATA_ALIGNMENT. */
function headBytes(metadata: [string, string][] | undefined, tensors: readonly PlannedTensor[], dtype: SafetensorsFloatDtype): Uint8Array {
  const fields: [string, string][] = tensors.map((t) => [
    t.name,
    `{"dtype":"${dtype}","shape":${JSON.stringify(t.shape)},"data_offsets":[${t.begin},${t.end}]}`,
  ]);
  if (metadata) fields.unshift([METADATA_KEY, objectText(metadata.map(([key, value]) => [key, JSON.stringify(value)]))]);
  const json = Buffer.from(objectText(fields), 'utf8');
  const length = json.length + ((DATA_ALIGNMENT - (json.length % DATA_ALIGNMENT)) % DATA_ALIGNMENT);
  if (length > SAFETENSORS_MAX_HEADER_BYTES) {
    throw new ArgumentError('tensors', `the header would be ${length} bytes, over the ${SAFETENSORS_MAX_HEADER_BYTES} that readers accept`);
  }
  const head = Buffer.alloc(PREFIX_BYTES + length, ' ');
  head.writeBigUInt64LE(BigInt(length), 0);
  head.set(json, PREFIX_BYTES);
  return head;
}

/** Checks every argument and lays the file out; nothing is converted yet. */
function planFile(tensors: unknown, metadata: unknown, dtype: unknown): FilePlan {
  const format = checkOneOf('dtype', dtype, FLOAT_DTYPES);
  const elementBytes = DTYPE_BYTES[format];
  const pairs = metadataPairs(metadata);
  let offset = 0;
  const planned = namedTensors(tensors).map(([name, tensor]): PlannedTensor => {
    const checked = checkWriteTensor(`tensors['${name}']`, tensor);
    const begin = offset;
    offset += checked.count * elementBytes;
    return { name, ...checked, begin, end: offset };
  });
  const head = headBytes(pairs, planned, format);
  return { head, tensors: planned, encode: ENCODERS[format], size: head.length + offset };
}

/** The file's bytes in order, one tensor converted at a time. */
function* fileChunks(plan: FilePlan): Generator<Uint8Array> {
  yield plan.head;
  for (const tensor of plan.tensors) yield plan.encode(rowMajorData(tensor));
}

/** Writes all of `bytes` at the current position of `fd`. */
function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += fs.writeSync(fd, bytes, done, bytes.length - done);
}

/** Writes `chunks` to a temporary file beside `file`, then renames it over `file`; `onWritten` gets the bytes written so far after each chunk. */
function writeFileAtomically(file: string, chunks: Iterable<Uint8Array>, onWritten?: (bytes: number) => void): void {
  const temporary = `${file}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  const fd = fs.openSync(temporary, 'wx');
  try {
    try {
      let written = 0;
      for (const chunk of chunks) {
        writeAll(fd, chunk);
        written += chunk.length;
        onWritten?.(written);
      }
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}

export interface WriteSafetensorsOptions {
  /** Called after the header and after each tensor is written, with the bytes written so far and the file's size. */
  readonly onProgress?: (bytesWritten: number, totalBytes: number) => void;
}

/**
 * Writes tensors (an object or Map of name -> tensor; strided tensors are written contiguous)
 * and optional string metadata as a safetensors file, each tensor converted to `dtype` (F16 and
 * BF16 round to nearest even). Tensors are stored in name order; the header is padded with
 * spaces so the data starts at a multiple of 8 bytes. The file is written under a temporary
 * name and renamed into place, one tensor converted at a time (options.onProgress hears of
 * each). ArgumentError for bad arguments.
 */
export function writeSafetensors(
  file: string,
  tensors: Readonly<Record<string, TensorLike>> | ReadonlyMap<string, TensorLike>,
  metadata?: Readonly<Record<string, string>>,
  dtype: SafetensorsFloatDtype = 'F32',
  options: WriteSafetensorsOptions = {},
): void {
  const plan = planFile(tensors, metadata, dtype);
  const { onProgress } = options;
  writeFileAtomically(file, fileChunks(plan), onProgress && ((written) => onProgress(written, plan.size)));
}

/** The bytes writeSafetensors would write, as one Buffer. */
export function serializeSafetensors(
  tensors: Readonly<Record<string, TensorLike>> | ReadonlyMap<string, TensorLike>,
  metadata?: Readonly<Record<string, string>>,
  dtype: SafetensorsFloatDtype = 'F32',
): Buffer {
  const plan = planFile(tensors, metadata, dtype);
  const out = Buffer.allocUnsafe(plan.size);
  let at = 0;
  for (const chunk of fileChunks(plan)) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
