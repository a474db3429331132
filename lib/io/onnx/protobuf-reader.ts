/**
 * A protocol-buffers wire-format reader over untrusted bytes, for the subset of messages the ONNX
 * reader decodes. Nothing is copied or allocated from a length the input claims: a length-delimited
 * field is checked against the end of its parent message and returned as a view (or a child
 * reader over that view). Errors are FormatErrors naming the file, the message path (`where`,
 * e.g. `graph.node[3]`), the field and the byte offset.
 *
 * Wire format: every field is a tag varint (field number << 3 | wire type) followed by a value:
 *   0 varint (at most 10 bytes, 64 bits), 1 fixed 8 bytes, 2 length varint + bytes,
 *   3/4 start/end group (deprecated; rejected), 5 fixed 4 bytes.
 * Repeated scalars may be packed (one length-delimited field holding the values back to back)
 * or unpacked (one field per value), and a message may mix both; both are accepted.
 */
import { FormatError } from '../../errors';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_START_GROUP = 3;
const WIRE_END_GROUP = 4;
const WIRE_FIXED32 = 5;

const WIRE_NAMES = ['varint', 'fixed64', 'length-delimited', 'start group', 'end group', 'fixed32'];

/** A varint holds at most 64 bits: nine 7-bit groups and one final bit. */
const MAX_VARINT_BYTES = 10;
/** The largest field number protobuf allows. */
const MAX_FIELD_NUMBER = 2 ** 29 - 1;
/** How deep messages may nest before the reader gives up (protobuf's own default limit). */
const DEFAULT_MAX_DEPTH = 100;

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/** Whether an int64 value is a safe integer (|value| <= 2^53 - 1), exactly representable as a number. */
export function isSafeInt64(value: bigint): boolean {
  return value >= MIN_SAFE && value <= MAX_SAFE;
}

function wireName(wireType: number): string {
  return `${wireType} (${WIRE_NAMES[wireType] ?? 'invalid'})`;
}

/** Builds the FormatError for a problem, prefixed with the file and the place it is about. */
export type Fail = (message: string) => Error;

/** Where a reader is: the file and message path errors name, and how deep it is nested. */
interface Position {
  readonly file: string;
  readonly where: string;
  readonly depth: number;
  readonly maxDepth: number;
}

/** The varint in bytes[start, end) as an unsigned value. */
function unsignedVarint(bytes: Uint8Array, start: number, end: number): bigint {
  let value = 0n;
  for (let i = end - 1; i >= start; i--) value = (value << 7n) | BigInt(bytes[i] & 0x7f);
  return value;
}

/** The varint in bytes[start, end) as a signed 64-bit value; up to 7 bytes (49 bits) with plain number arithmetic. */
function varintValue(bytes: Uint8Array, start: number, end: number): bigint {
  if (end - start > 7) return BigInt.asIntN(64, unsignedVarint(bytes, start, end));
  let value = 0;
  for (let i = end - 1; i >= start; i--) value = value * 128 + (bytes[i] & 0x7f);
  return BigInt(value);
}

/**
 * The values of a repeated varint field (int32_data, int64_data, ints), kept as the encoded bytes
 * until asked for: `count` is known (and the encoding checked) without allocating anything.
 */
export class VarintList {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  /** How many values the list holds. */
  get count(): number {
    return this.length;
  }

  /** Adds `count` well-formed varints held back to back in `bytes`. */
  add(bytes: Uint8Array, count: number): void {
    this.chunks.push(bytes);
    this.length += count;
  }

  /** Calls `visit` with each value's low 32 bits as a signed int32 (protobuf's int32 decoding). */
  forEachInt32(visit: (value: number, index: number) => void): void {
    let index = 0;
    for (const chunk of this.chunks) {
      for (let at = 0; at < chunk.length; ) {
        let value = 0;
        let shift = 0;
        let byte: number;
        do {
          byte = chunk[at++];
          if (shift < 32) value |= (byte & 0x7f) << shift; // `<<` keeps the low 32 bits
          shift += 7;
        } while (byte & 0x80);
        visit(value, index++);
      }
    }
  }

  /** Each value as a signed 64-bit integer (two's complement, protobuf's int64 decoding). */
  toBigInt64Array(): BigInt64Array {
    const out = new BigInt64Array(this.length);
    let index = 0;
    for (const chunk of this.chunks) {
      for (let at = 0; at < chunk.length; ) {
        const start = at;
        while (chunk[at] & 0x80) at++;
        at++;
        out[index++] = varintValue(chunk, start, at);
      }
    }
    return out;
  }
}

/**
 * Reads one message. Call `next()` to step to each field, then exactly one of the value readers
 * (`int64`, `float`, `string`, `message`, ...) or `skip()` for it. Each value reader checks the
 * field's wire type and takes the field's name for its errors.
 */
export class ProtoReader {
  readonly file: string;
  /** The message path errors name, e.g. `graph.node[3]` ('' for the top-level message). */
  readonly where: string;
  private readonly buf: Uint8Array;
  private readonly end: number;
  private readonly depth: number;
  private readonly maxDepth: number;
  private pos: number;
  private fieldNumber = 0;
  private wireType = 0;
  private tagStart = 0;

  /** A reader over all of `bytes`, a top-level message read from `file`. */
  static root(bytes: Uint8Array, file: string, maxDepth = DEFAULT_MAX_DEPTH): ProtoReader {
    return new ProtoReader(bytes, 0, bytes.length, { file, where: '', depth: 0, maxDepth });
  }

  private constructor(bytes: Uint8Array, start: number, end: number, position: Position) {
    this.buf = bytes;
    this.pos = start;
    this.end = end;
    this.file = position.file;
    this.where = position.where;
    this.depth = position.depth;
    this.maxDepth = position.maxDepth;
  }

  /** The current field's number (valid after `next()` returned true). */
  get field(): number {
    return this.fieldNumber;
  }

  /** A FormatError about this message: `file: where: message`. */
  error(message: string): FormatError {
    return new FormatError(this.file, this.where ? `${this.where}: ${message}` : message);
  }

  /** Steps to the next field; false at the end of the message. */
  next(): boolean {
    if (this.pos >= this.end) return false;
    this.tagStart = this.pos;
    const tag = this.readVarintNumber('a field tag');
    const field = Math.floor(tag / 8);
    this.wireType = tag % 8;
    if (field < 1 || field > MAX_FIELD_NUMBER) {
      throw this.error(`invalid field number ${field} at byte ${this.tagStart} (must be in [1, ${MAX_FIELD_NUMBER}])`);
    }
    if (this.wireType === WIRE_START_GROUP || this.wireType === WIRE_END_GROUP) {
      throw this.error(`field ${field} at byte ${this.tagStart} uses wire type ${wireName(this.wireType)}; groups are not supported`);
    }
    if (this.wireType > WIRE_FIXED32) throw this.error(`field ${field} at byte ${this.tagStart} has invalid wire type ${this.wireType}`);
    this.fieldNumber = field;
    return true;
  }

  /** Skips the current field's value, whatever its wire type. */
  skip(): void {
    switch (this.wireType) {
      case WIRE_VARINT:
        this.skipVarint('field');
        break;
      case WIRE_FIXED64:
        this.take(8, 'field');
        break;
      case WIRE_FIXED32:
        this.take(4, 'field');
        break;
      default:
        this.take(this.readLength('field'), 'field');
    }
  }

  /** An int64 (or int32, enum, bool) field: a varint as a signed 64-bit value. */
  int64(name: string): bigint {
    this.expect(WIRE_VARINT, name);
    return BigInt.asIntN(64, this.readVarintBigInt(name));
  }

  /** An int64 field whose value must be a safe integer in [min, 2^53 - 1] (a count, a version, a dim). */
  safeInteger(name: string, min: number = Number.MIN_SAFE_INTEGER): number {
    const value = this.int64(name);
    if (value < BigInt(min) || value > MAX_SAFE) {
      const range = min === Number.MIN_SAFE_INTEGER ? '±(2^53 - 1)' : `[${min}, 2^53 - 1]`;
      throw this.error(`${name} is ${value}, outside ${range}`);
    }
    return Number(value);
  }

  /** A float field (fixed32, little-endian IEEE 754). */
  float(name: string): number {
    this.expect(WIRE_FIXED32, name);
    const at = this.take(4, name);
    return new DataView(this.buf.buffer, this.buf.byteOffset + at, 4).getFloat32(0, true);
  }

  /** A bytes field: a view of the input, not a copy. */
  bytes(name: string): Uint8Array {
    this.expect(WIRE_LENGTH_DELIMITED, name);
    const length = this.readLength(name);
    const at = this.take(length, name);
    return this.buf.subarray(at, at + length);
  }

  /** A string field: UTF-8, checked. */
  string(name: string): string {
    const bytes = this.bytes(name);
    try {
      return UTF8.decode(bytes);
    } catch {
      throw this.error(`${name} is not valid UTF-8`);
    }
  }

  /**
   * A nested message field: a reader over its bytes, whose errors name `label` (e.g. `node[3]`)
   * after this message's path. The nesting depth is checked here.
   */
  message(label: string): ProtoReader {
    this.expect(WIRE_LENGTH_DELIMITED, label);
    const where = this.where ? `${this.where}.${label}` : label;
    if (this.depth + 1 > this.maxDepth) {
      throw this.error(`${label} nests messages more than ${this.maxDepth} deep (at byte ${this.tagStart})`);
    }
    const length = this.readLength(label);
    const at = this.take(length, label);
    return new ProtoReader(this.buf, at, at + length, { file: this.file, where, depth: this.depth + 1, maxDepth: this.maxDepth });
  }

  /**
   * One occurrence of a repeated fixed-width field (float: width 4, double: width 8): appends its
   * little-endian bytes to `chunks`, a view of one value (unpacked) or of several (packed).
   */
  repeatedFixed(name: string, width: 4 | 8, chunks: Uint8Array[]): void {
    if (this.wireType === WIRE_LENGTH_DELIMITED) {
      const packed = this.bytes(name);
      if (packed.length % width !== 0) throw this.error(`packed ${name} has ${packed.length} bytes, not a multiple of ${width}`);
      chunks.push(packed);
      return;
    }
    this.expect(width === 4 ? WIRE_FIXED32 : WIRE_FIXED64, name);
    const at = this.take(width, name);
    chunks.push(this.buf.subarray(at, at + width));
  }

  /** One occurrence of a repeated varint field (packed or unpacked): its values are added to `list`. */
  repeatedVarint(name: string, list: VarintList): void {
    if (this.wireType === WIRE_LENGTH_DELIMITED) {
      const packed = this.bytes(name);
      list.add(packed, this.countVarints(packed, name));
      return;
    }
    this.expect(WIRE_VARINT, name);
    const start = this.pos;
    this.skipVarint(name);
    list.add(this.buf.subarray(start, this.pos), 1);
  }

  /** Checks the current field's wire type. */
  private expect(wireType: number, name: string): void {
    if (this.wireType !== wireType) {
      throw this.error(`${name} (field ${this.fieldNumber}) at byte ${this.tagStart} has wire type ${wireName(this.wireType)}, expected ${wireName(wireType)}`);
    }
  }

  /** Advances past `length` bytes, checked against the message end; returns where they start. */
  private take(length: number, name: string): number {
    if (length > this.end - this.pos) {
      throw this.error(`${name} (field ${this.fieldNumber}) at byte ${this.tagStart} needs ${length} bytes but only ${this.end - this.pos} remain in the message`);
    }
    const at = this.pos;
    this.pos += length;
    return at;
  }

  /** The byte length of a varint at the current position, checked (at most 10 bytes, inside the message). */
  private varintLength(name: string): number {
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (this.pos + i >= this.end) throw this.error(`${name} at byte ${this.pos} is a varint cut off by the end of the message`);
      if (!(this.buf[this.pos + i] & 0x80)) {
        if (i === MAX_VARINT_BYTES - 1 && this.buf[this.pos + i] > 1) throw this.error(`${name} at byte ${this.pos} is a varint over 64 bits`);
        return i + 1;
      }
    }
    throw this.error(`${name} at byte ${this.pos} is a varint longer than ${MAX_VARINT_BYTES} bytes`);
  }

  private skipVarint(name: string): void {
    this.pos += this.varintLength(name);
  }

  /** A varint as an unsigned 64-bit bigint. */
  private readVarintBigInt(name: string): bigint {
    const length = this.varintLength(name);
    const value = unsignedVarint(this.buf, this.pos, this.pos + length);
    this.pos += length;
    return value;
  }

  /** A varint that must be at most 2^53 - 1 (tags and lengths): plain number arithmetic. */
  private readVarintNumber(name: string): number {
    const length = this.varintLength(name);
    let value = 0;
    for (let i = 0; i < length; i++) value += (this.buf[this.pos + i] & 0x7f) * 2 ** (7 * i);
    if (value > Number.MAX_SAFE_INTEGER) {
      throw this.error(`${name} at byte ${this.pos} is ${unsignedVarint(this.buf, this.pos, this.pos + length)}, over 2^53 - 1`);
    }
    this.pos += length;
    return value;
  }

  /** A length prefix (a varint at most 2^53 - 1; `take` checks it against the message end). */
  private readLength(name: string): number {
    return this.readVarintNumber(`${name} (field ${this.fieldNumber}) length`);
  }

  /** How many varints `packed` holds, checking that each is well formed and the last is complete. */
  private countVarints(packed: Uint8Array, name: string): number {
    let count = 0;
    let run = 0;
    for (let i = 0; i < packed.length; i++) {
      run++;
      if (packed[i] & 0x80) {
        if (run === MAX_VARINT_BYTES) throw this.error(`packed ${name} holds a varint longer than ${MAX_VARINT_BYTES} bytes`);
      } else {
        if (run === MAX_VARINT_BYTES && packed[i] > 1) throw this.error(`packed ${name} holds a varint over 64 bits`);
        count++;
        run = 0;
      }
    }
    if (run > 0) throw this.error(`packed ${name} ends in the middle of a varint`);
    return count;
  }
}
