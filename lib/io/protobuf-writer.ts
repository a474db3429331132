/**
 * A minimal protocol-buffers encoder, enough to write small messages (such as ONNX models) in
 * memory. Fields are appended in call order; a repeated field is written by calling the method
 * once per element (the unpacked encoding, proto2's default, which every parser accepts).
 */

const WIRE_VARINT = 0;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const MAX_FIELD_NUMBER = 2 ** 29 - 1;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** The base-128 varint encoding of an unsigned 64-bit value. */
function varint(value: bigint): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80n) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  bytes.push(Number(rest));
  return Uint8Array.from(bytes);
}

function checkFieldNumber(field: number): void {
  if (!Number.isInteger(field) || field < 1 || field > MAX_FIELD_NUMBER) {
    throw new RangeError(`protobuf field number must be an integer in [1, ${MAX_FIELD_NUMBER}], received ${field}`);
  }
}

/** A JS integer (number or bigint) as a bigint, checked to fit a signed 64-bit field. */
function toInt64(value: number | bigint): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new RangeError(`protobuf int64 must be a safe integer, received ${value}`);
  }
  const big = BigInt(value);
  if (big < INT64_MIN || big > INT64_MAX) throw new RangeError(`protobuf int64 out of range: ${big}`);
  return big;
}

/** Appends fields to a message; `finish()` returns its bytes. */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  /**
   * Varint fields: int64, int32, bool and enum.
   * Negative values take ten bytes (64-bit two's complement), as protobuf specifies.
   */
  int64(field: number, value: number | bigint): this {
    return this.tag(field, WIRE_VARINT).push(varint(BigInt.asUintN(64, toInt64(value))));
  }

  /** float (32-bit) fields. */
  float(field: number, value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    return this.tag(field, WIRE_FIXED32).push(bytes);
  }

  /** string fields (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  /** bytes fields; the bytes are copied when the message is finished, not now. */
  bytes(field: number, value: Uint8Array): this {
    return this.tag(field, WIRE_LENGTH_DELIMITED).push(varint(BigInt(value.byteLength))).push(value);
  }

  /** A nested message field holding what `message` has written so far. */
  message(field: number, message: ProtoWriter): this {
    this.tag(field, WIRE_LENGTH_DELIMITED).push(varint(BigInt(message.length)));
    for (const chunk of message.chunks) this.push(chunk);
    return this;
  }

  /** The encoded message. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }

  private tag(field: number, wireType: number): this {
    checkFieldNumber(field);
    return this.push(varint((BigInt(field) << 3n) | BigInt(wireType)));
  }

  private push(bytes: Uint8Array): this {
    this.chunks.push(bytes);
    this.length += bytes.byteLength;
    return this;
  }
}
