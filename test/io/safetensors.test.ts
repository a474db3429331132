/**
 * safetensors reader and writer: round trips in F32/F16/BF16 checked against conversions written
 * independently here, a file built byte by byte from the format description, and corrupt files,
 * each rejected with a FormatError that names the file and the problem before anything sized by
 * the file's claims is allocated.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ArgumentError, FormatError } from '../../lib/errors';
import {
  SAFETENSORS_MAX_HEADER_BYTES,
  float32BitsToBfloat16,
  float32BitsToHalf,
  parseSafetensors,
  readSafetensors,
  serializeSafetensors,
  writeSafetensors,
} from '../../lib/io/safetensors';
import type { TensorLike } from '../../lib/tensor';
import { Tensor } from '../../lib/tensor';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-safetensors-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

let fileCount = 0;
/** A fresh path in the temporary folder. */
function tempPath(name = 'model.safetensors'): string {
  return path.join(dir, `${fileCount++}-${name}`);
}

// ---------------------------------------------------------------------------------------------
// Independent helpers: the format and the conversions, written from their definitions.

/** A file: u64 little-endian `length` (the header's byte length unless given), header, data. */
function fileBytes(header: string | object, data: Uint8Array | number = 0, length?: bigint): Buffer {
  const text = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(length ?? BigInt(text.length));
  return Buffer.concat([prefix, text, typeof data === 'number' ? Buffer.alloc(data) : data]);
}

/** Little-endian bytes of u16 values. */
function u16Bytes(values: number[]): Buffer {
  const out = Buffer.alloc(2 * values.length);
  values.forEach((v, i) => out.writeUInt16LE(v, 2 * i));
  return out;
}

/** Little-endian bytes of f32 values. */
function f32Bytes(values: number[]): Buffer {
  const out = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => out.writeFloatLE(v, 4 * i));
  return out;
}

/** The bits of an fp32 value. */
function f32Bits(x: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, x);
  return view.getUint32(0);
}

/** An fp32 value from its bits. */
function f32FromBits(bits: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, bits >>> 0);
  return view.getFloat32(0);
}

/** binary16 value from the IEEE 754 definition: (-1)^s 2^(e-15) (1.f), or 2^-14 (0.f) when e = 0. */
function halfValue(bits: number): number {
  const s = bits >> 15 ? -1 : 1;
  const e = (bits >> 10) & 31;
  const f = (bits & 1023) / 1024;
  if (e === 31) return f ? NaN : s * Infinity;
  return e === 0 ? s * 2 ** -14 * f : s * 2 ** (e - 15) * (1 + f);
}

const isHalfNaN = (bits: number): boolean => (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;

/**
 * The binary16 nearest to x, ties to the even pattern, found by searching the (monotonic) table
 * of all positive finite half values: no bit tricks shared with the code under test.
 */
function nearestHalf(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00; // 65504 + half an ulp (16) and above round to infinity
  let lo = 0;
  let hi = 0x7bff;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (halfValue(mid) <= a) lo = mid;
    else hi = mid - 1;
  }
  if (lo === 0x7bff) return sign | lo;
  const below = a - halfValue(lo);
  const above = halfValue(lo + 1) - a;
  return sign | (below < above || (below === above && lo % 2 === 0) ? lo : lo + 1);
}

/** The bfloat16 nearest to an fp32 value (by comparing the two candidates' distances). */
function nearestBfloat16(x: number): number {
  const lo = f32Bits(x) >>> 16;
  if (!Number.isFinite(x)) return lo;
  const loValue = Math.abs(f32FromBits(lo << 16));
  const hiValue = (lo & 0x7fff) === 0x7f7f ? 2 ** 128 : Math.abs(f32FromBits((lo + 1) << 16));
  const below = Math.abs(x) - loValue;
  const above = hiValue - Math.abs(x);
  return below < above || (below === above && lo % 2 === 0) ? lo : lo + 1;
}

/** A deterministic stream of u32 values (xorshift32). */
function randomBits(count: number, seed = 0x2545f491): number[] {
  let s = seed;
  return Array.from({ length: count }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  });
}

/** The header and raw data section of a serialized file, read by hand. */
function splitFile(bytes: Buffer): { header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>; headerText: string; data: Buffer } {
  const n = Number(bytes.readBigUInt64LE(0));
  const headerText = bytes.subarray(8, 8 + n).toString('utf8');
  return { header: JSON.parse(headerText), headerText, data: bytes.subarray(8 + n) };
}

function bitsOf(t: Tensor): number[] {
  return Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length));
}

// ---------------------------------------------------------------------------------------------

describe('fp32 -> fp16 / bf16 conversion (round to nearest even)', () => {
  // [value, expected binary16 bits]
  const HALF_CASES: [string, number, number][] = [
    ['1', 1, 0x3c00],
    ['-2', -2, 0xc000],
    ['65504 (largest half)', 65504, 0x7bff],
    ['65519 rounds down', 65519, 0x7bff],
    ['65520 ties to infinity', 65520, 0x7c00],
    ['1/3', 1 / 3, 0x3555],
    ['2^-14 (smallest normal)', 2 ** -14, 0x0400],
    ['largest subnormal', 1023 * 2 ** -24, 0x03ff],
    ['2^-24 (smallest subnormal)', 2 ** -24, 0x0001],
    ['2^-25 ties to zero', 2 ** -25, 0x0000],
    ['0.75 ulp rounds up to 2^-24', 3 * 2 ** -26, 0x0001],
    ['1.5 ulp ties to 2 ulp', 3 * 2 ** -25, 0x0002],
    ['2.5 ulp ties to 2 ulp', 5 * 2 ** -25, 0x0002],
    ['1 + 2^-11 ties down to 1', 1 + 2 ** -11, 0x3c00],
    ['1 + 3 * 2^-11 ties up to even', 1 + 3 * 2 ** -11, 0x3c02],
    ['-0', -0, 0x8000],
    ['infinity', Infinity, 0x7c00],
    ['-infinity', -Infinity, 0xfc00],
    ['1e9 overflows', 1e9, 0x7c00],
  ];

  it.each(HALF_CASES)('F16 %s', (_name, value, bits) => {
    expect(float32BitsToHalf(f32Bits(value))).toBe(bits);
    expect(nearestHalf(Math.fround(value))).toBe(bits); // the oracle agrees with the table
  });

  it('F16 NaN stays NaN, with its sign', () => {
    expect(isHalfNaN(float32BitsToHalf(0x7fc00000))).toBe(true);
    expect(isHalfNaN(float32BitsToHalf(0x7f800001))).toBe(true); // payload only in low bits
    expect(float32BitsToHalf(0xffc00000) & 0x8000).toBe(0x8000);
  });

  it('F16 matches the table-search oracle on every half value, every midpoint and random fp32 values', () => {
    const inputs: number[] = [];
    for (let h = 0; h < 0x7c00; h++) {
      inputs.push(f32Bits(halfValue(h)), f32Bits(halfValue(h)) | 0x80000000);
      if (h < 0x7bff) inputs.push(f32Bits((halfValue(h) + halfValue(h + 1)) / 2)); // exact in fp32
    }
    inputs.push(...randomBits(100_000));
    const wrong = inputs.filter((bits) => {
      const x = f32FromBits(bits);
      return Number.isNaN(x) ? !isHalfNaN(float32BitsToHalf(bits)) : float32BitsToHalf(bits) !== nearestHalf(x);
    });
    expect(wrong.map((b) => b.toString(16))).toEqual([]);
  });

  const BF16_CASES: [string, number, number][] = [
    ['1', 0x3f800000, 0x3f80],
    ['-2', 0xc0000000, 0xc000],
    ['65504 rounds up to 65536', f32Bits(65504), 0x4780],
    ['1/3', f32Bits(1 / 3), 0x3eab],
    ['subnormal 2^-130', 0x00080000, 0x0008],
    ['tie down to even', 0x3f808000, 0x3f80],
    ['tie up to even', 0x3f818000, 0x3f82],
    ['largest fp32 overflows', 0x7f7fffff, 0x7f80],
    ['-0', 0x80000000, 0x8000],
    ['infinity', 0x7f800000, 0x7f80],
    ['-infinity', 0xff800000, 0xff80],
  ];

  it.each(BF16_CASES)('BF16 %s', (_name, bits, expected) => {
    expect(float32BitsToBfloat16(bits)).toBe(expected);
  });

  it('BF16 keeps NaN a NaN (even one whose payload is only in the dropped bits) and matches the oracle on random values', () => {
    for (const nan of [0x7fc00000, 0x7f800001, 0xffffffff]) {
      const b = float32BitsToBfloat16(nan);
      expect((b & 0x7f80) === 0x7f80 && (b & 0x7f) !== 0).toBe(true);
    }
    const wrong = randomBits(100_000, 7).filter((bits) => {
      const x = f32FromBits(bits);
      return !Number.isNaN(x) && float32BitsToBfloat16(bits) !== nearestBfloat16(x);
    });
    expect(wrong.map((b) => b.toString(16))).toEqual([]);
  });
});

describe('round trips', () => {
  const SPECIALS = [1, -2, 65504, 2 ** -24, 1023 * 2 ** -24, 2 ** -25, Infinity, -Infinity, NaN, 1 / 3, -0, 0, 65520, 2 ** -130];

  it('F32 keeps every bit (NaN payloads, -0, subnormals), shapes and metadata', () => {
    const bits = new Uint32Array([...randomBits(1000), 0x7fc00001, 0x80000000, 0x00000001, 0x7f800000]);
    const weight = new Tensor(new Float32Array(bits.buffer), [4, 251]);
    const bias = new Tensor(Float32Array.from(SPECIALS), [SPECIALS.length]);
    const file = tempPath();
    writeSafetensors(file, { 'encoder.weight': weight, 'encoder.bias': bias }, { format: 'pt', note: 'ünïcode ✓' });
    const st = readSafetensors(file);
    expect(st.names()).toEqual(['encoder.bias', 'encoder.weight']);
    expect(st.metadata).toEqual({ format: 'pt', note: 'ünïcode ✓' });
    expect(st.info('encoder.weight')).toEqual({ dtype: 'F32', shape: [4, 251] });
    const w = st.tensor('encoder.weight');
    expect(w).toBeInstanceOf(Tensor);
    expect(w.shape).toEqual([4, 251]);
    expect(w.strides).toEqual([251, 1]);
    expect(bitsOf(w)).toEqual(Array.from(bits));
    expect(bitsOf(st.tensor('encoder.bias'))).toEqual(bitsOf(bias));
  });

  it('F16 stores the nearest-even bits and reads back their exact values', () => {
    const file = tempPath();
    writeSafetensors(file, { x: new Tensor(Float32Array.from(SPECIALS), [2, 7]) }, undefined, 'F16');
    const { header, data } = splitFile(fs.readFileSync(file));
    expect(header.x).toEqual({ dtype: 'F16', shape: [2, 7], data_offsets: [0, 28] });
    const stored = Array.from({ length: SPECIALS.length }, (_, i) => data.readUInt16LE(2 * i));
    const expected = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0000, 0x7c00, 0xfc00, NaN, 0x3555, 0x8000, 0x0000, 0x7c00, 0x0000];
    stored.forEach((bits, i) => (Number.isNaN(expected[i]) ? expect(isHalfNaN(bits)).toBe(true) : expect(bits).toBe(expected[i])));
    const back = readSafetensors(file).tensor('x');
    expect(Array.from(back.data)).toEqual(stored.map(halfValue));
    expect(Object.is(back.data[10], -0)).toBe(true);
  });

  it('BF16 stores the nearest-even top halves and reads them back exactly', () => {
    const values = Float32Array.from([...SPECIALS, f32FromBits(0x3f808000), f32FromBits(0x3f818000)]);
    const file = tempPath();
    writeSafetensors(file, { x: { data: values, shape: [values.length] } }, undefined, 'BF16');
    const { header, data } = splitFile(fs.readFileSync(file));
    expect(header.x).toEqual({ dtype: 'BF16', shape: [values.length], data_offsets: [0, 2 * values.length] });
    const stored = Array.from(values, (_, i) => data.readUInt16LE(2 * i));
    expect(stored.map((b, i) => (Number.isNaN(values[i]) ? 'nan' : b))).toEqual(
      Array.from(values, (v) => (Number.isNaN(v) ? 'nan' : nearestBfloat16(v))),
    );
    expect(bitsOf(readSafetensors(file).tensor('x'))).toEqual(stored.map((b) => (b << 16) >>> 0));
  });

  it('empty tensors (a dim of 0) and scalars', () => {
    const tensors = {
      empty: new Tensor(new Float32Array(0), [0, 3]),
      inner: { data: new Float32Array(0), shape: [2, 0, 4] },
      scalar: new Tensor(Float32Array.of(7.5), []),
    };
    for (const dtype of ['F32', 'F16', 'BF16'] as const) {
      const st = parseSafetensors(serializeSafetensors(tensors, undefined, dtype));
      expect(st.info('empty')).toEqual({ dtype, shape: [0, 3] });
      expect(st.tensor('empty').data.length).toBe(0);
      expect(st.tensor('inner').shape).toEqual([2, 0, 4]);
      expect(st.tensor('scalar').shape).toEqual([]);
      expect(Array.from(st.tensor('scalar').data)).toEqual([7.5]);
    }
    expect(parseSafetensors(serializeSafetensors({})).names()).toEqual([]);
  });

  it('strided tensors are written contiguous, and a Map works like an object', () => {
    // A [3, 2] transpose view of the row-major [2, 3] matrix 0..5.
    const transposed: TensorLike = { data: Float32Array.of(0, 1, 2, 3, 4, 5), shape: [3, 2], strides: [1, 3] };
    // Every other element of 0..9, shape [5].
    const stepped: TensorLike = { data: Float32Array.from({ length: 10 }, (_, i) => i), shape: [5], strides: [2] };
    const st = parseSafetensors(serializeSafetensors(new Map([['t', transposed], ['s', stepped]])));
    expect(Array.from(st.tensor('t').data)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(Array.from(st.tensor('s').data)).toEqual([0, 2, 4, 6, 8]);
  });
});

describe('asynchronous reads (tensorAsync, preload)', () => {
  const values = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i) * 1000);
  function writeAllDtypes(): string {
    const file = tempPath();
    writeSafetensors(file, { a: { data: values, shape: [3, 100] } }, undefined, 'F32');
    const f16 = tempPath();
    writeSafetensors(f16, { b: { data: values, shape: [300] } }, undefined, 'F16');
    return file;
  }

  it('tensorAsync gives the bits tensor() gives, for F32, F16 and BF16, from a file and a buffer', async () => {
    for (const dtype of ['F32', 'F16', 'BF16'] as const) {
      const file = tempPath();
      writeSafetensors(file, { x: { data: values, shape: [3, 100] }, y: { data: values.subarray(0, 7), shape: [7] } }, undefined, dtype);
      for (const st of [readSafetensors(file), parseSafetensors(fs.readFileSync(file), file)]) {
        for (const name of ['x', 'y']) {
          const [sync, async] = [st.tensor(name), await st.tensorAsync(name)];
          expect(async.shape).toEqual(sync.shape);
          expect(bitsOf(async)).toEqual(bitsOf(sync));
        }
      }
    }
  });

  it('preload hands each tensor out once, then reads the file again; other names keep their errors', async () => {
    const file = writeAllDtypes();
    const st = readSafetensors(file);
    const loaded = await st.preload();
    expect(loaded.has('a')).toBe(true);
    const first = loaded.tensor('a');
    const second = loaded.tensor('a');
    expect(second).not.toBe(first);
    expect(bitsOf(second)).toEqual(bitsOf(first));
    expect(bitsOf(first)).toEqual(bitsOf(st.tensor('a')));
    expect(() => loaded.tensor('missing')).toThrow(/no tensor named 'missing'/);
  });

  it('a file changed on disk since it was opened is refused by the asynchronous reads too', async () => {
    const file = writeAllDtypes();
    const st = readSafetensors(file);
    fs.appendFileSync(file, Buffer.alloc(8));
    await expect(st.tensorAsync('a')).rejects.toThrow(FormatError);
    await expect(st.preload()).rejects.toThrow(/changed on disk since it was opened/);
  });
});

describe('the written layout', () => {
  it('pads the header with spaces to a multiple of 8, puts metadata first and tensors in name order', () => {
    const t = (n: number): TensorLike => ({ data: new Float32Array(n), shape: [n] });
    const bytes = serializeSafetensors({ b: t(3), a: t(1), '10': t(2) }, { k: 'v' });
    const n = Number(bytes.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const { header, headerText, data } = splitFile(bytes);
    expect(headerText.trimEnd()).toBe(
      '{"__metadata__":{"k":"v"},"10":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
        '"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"b":{"dtype":"F32","shape":[3],"data_offsets":[12,24]}}',
    );
    expect(/^ *$/.test(headerText.slice(headerText.trimEnd().length))).toBe(true);
    expect(header.b.data_offsets).toEqual([12, 24]);
    expect(data.length).toBe(24);
  });

  it('writes through a temporary file and leaves nothing else behind', () => {
    const sub = fs.mkdtempSync(path.join(dir, 'atomic-'));
    const file = path.join(sub, 'w.safetensors');
    writeSafetensors(file, { x: new Tensor(Float32Array.of(1, 2), [2]) });
    writeSafetensors(file, { x: new Tensor(Float32Array.of(3), [1]) }); // replaces it
    expect(fs.readdirSync(sub)).toEqual(['w.safetensors']);
    expect(Array.from(readSafetensors(file).tensor('x').data)).toEqual([3]);
  });
});

describe('a file written by the reference implementation (built by hand from the format)', () => {
  // Header in the reference writer's style: compact JSON, metadata first, padded with spaces, but
  // entries deliberately not in data order. Data: F32 [2] | F16 [2, 2] | BF16 [3] (+2 bytes) | I64 [1, 2].
  const header =
    '{"__metadata__":{"format":"pt"},' +
    '"vit.embeddings.position_ids":{"dtype":"I64","shape":[1,2],"data_offsets":[22,38]},' +
    '"a.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
    '"b.weight":{"dtype":"F16","shape":[2,2],"data_offsets":[8,16]},' +
    '"c.scale":{"dtype":"BF16","shape":[3],"data_offsets":[16,22]}}';
  const padded = header + ' '.repeat((8 - (Buffer.byteLength(header) % 8)) % 8);
  const i64 = Buffer.alloc(16);
  i64.writeBigInt64LE(0n, 0);
  i64.writeBigInt64LE(1n, 8);
  const data = Buffer.concat([f32Bytes([0.5, -1.25]), u16Bytes([0x3c00, 0xc000, 0x0001, 0x7bff]), u16Bytes([0x3f80, 0xc040, 0x7f80]), i64]);
  const bytes = fileBytes(padded, data);

  it('reads every float tensor with its values and reports the integer one', () => {
    const file = tempPath();
    fs.writeFileSync(file, bytes);
    for (const st of [readSafetensors(file), parseSafetensors(bytes)]) {
      expect(st.names()).toEqual(['a.bias', 'b.weight', 'c.scale', 'vit.embeddings.position_ids']);
      expect(st.metadata).toEqual({ format: 'pt' });
      expect(Array.from(st.tensor('a.bias').data)).toEqual([0.5, -1.25]);
      const w = st.tensor('b.weight');
      expect(w.shape).toEqual([2, 2]);
      expect(Array.from(w.data)).toEqual([1, -2, 2 ** -24, 65504]);
      expect(Array.from(st.tensor('c.scale').data)).toEqual([1, -3, Infinity]);
      expect(st.has('vit.embeddings.position_ids')).toBe(true);
      expect(st.info('vit.embeddings.position_ids')).toEqual({ dtype: 'I64', shape: [1, 2] });
      expect(() => st.tensor('vit.embeddings.position_ids')).toThrow(/tensor 'vit.embeddings.position_ids' is I64; only F32, F16, BF16 convert/);
    }
  });

  it('reads tensor data only when asked for (opening reads the prefix and the header)', () => {
    const file = tempPath();
    fs.writeFileSync(file, bytes);
    const spy = jest.spyOn(fs, 'readSync');
    try {
      const st = readSafetensors(file);
      const readBytes = (): number => spy.mock.results.reduce((sum, r) => sum + (r.value as number), 0);
      expect(readBytes()).toBe(8 + Buffer.byteLength(padded));
      st.tensor('b.weight');
      expect(readBytes()).toBe(8 + Buffer.byteLength(padded) + 8);
    } finally {
      spy.mockRestore();
    }
  });

  it('a missing tensor is a FormatError naming the file and the tensor', () => {
    const st = parseSafetensors(bytes, 'hand.safetensors');
    for (const call of [() => st.tensor('nope'), () => st.info('nope')]) {
      expect(call).toThrow(FormatError);
      expect(call).toThrow("hand.safetensors: no tensor named 'nope' (the file has 4)");
    }
    expect(st.has('nope')).toBe(false);
  });

  it('a file changed on disk after it was opened is refused, not mixed', () => {
    const file = tempPath();
    fs.writeFileSync(file, bytes);
    const st = readSafetensors(file);
    fs.writeFileSync(file, Buffer.concat([bytes, Buffer.alloc(8)]));
    expect(() => st.tensor('a.bias')).toThrow(FormatError);
    expect(() => st.tensor('a.bias')).toThrow(/changed on disk since it was opened/);
  });
});

describe('corrupt files: a FormatError naming the file and the problem, nothing big allocated', () => {
  const f32 = (shape: unknown, offsets: unknown): object => ({ dtype: 'F32', shape, data_offsets: offsets });
  const valid = serializeSafetensors({ a: new Tensor(new Float32Array(100), [100]) });

  const CASES: [string, Buffer, RegExp | string][] = [
    ['shorter than 8 bytes', Buffer.from([1, 2, 3]), 'is 3 bytes, too short for the 8-byte header length'],
    ['header length beyond the file', fileBytes('{}', 0, 1000n), 'header length 1000 runs past the end of the file (8 + 1000 > 10 bytes)'],
    ['header length over the cap', fileBytes('{}', 0, BigInt(SAFETENSORS_MAX_HEADER_BYTES) + 1n), /header length 104857601 is over the limit of 104857600 bytes/],
    ['header length 2^64 - 1', fileBytes('{}', 0, 2n ** 64n - 1n), /header length 18446744073709551615 is over the limit/],
    ['empty header', fileBytes('', 0), /header is not valid JSON/],
    ['non-JSON header', fileBytes('{"a": {', 0), /header is not valid JSON/],
    ['header an array', fileBytes('[]', 0), 'header must be a JSON object, received []'],
    ['entry not an object', fileBytes({ a: 5 }, 0), "tensor 'a': expected an object { dtype, shape, data_offsets }, received 5"],
    ['entry null', fileBytes({ a: null }, 0), "tensor 'a': expected an object { dtype, shape, data_offsets }, received null"],
    ['unknown dtype', fileBytes({ a: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, 16), /tensor 'a': unknown dtype "F128" \(known: BOOL, U8, .*F32, F64, I64, U64\)/],
    ['dtype an inherited name', fileBytes({ a: { dtype: 'toString', shape: [], data_offsets: [0, 0] } }, 0), /unknown dtype "toString"/],
    ['dtype missing', fileBytes({ a: { shape: [1], data_offsets: [0, 4] } }, 4), /tensor 'a': unknown dtype undefined/],
    ['shape not an array', fileBytes({ a: f32(4, [0, 16]) }, 16), "tensor 'a': shape must be an array of integers, received 4"],
    ['negative dim', fileBytes({ a: f32([2, -1], [0, 8]) }, 8), "tensor 'a': shape[1] must be an integer in [0, 2^53 - 1], received -1"],
    ['fractional dim', fileBytes({ a: f32([1.5], [0, 6]) }, 6), "tensor 'a': shape[0] must be an integer in [0, 2^53 - 1], received 1.5"],
    ['dim beyond 2^53', fileBytes({ a: f32([2 ** 60], [0, 8]) }, 8), /shape\[0\] must be an integer in \[0, 2\^53 - 1\], received 1152921504606847000/],
    ['huge dims', fileBytes({ a: f32([2 ** 40, 2 ** 40], [0, 8]) }, 8), "tensor 'a': data_offsets [0, 8] give 8 bytes but F32 [1099511627776, 1099511627776] needs more than 2^53 - 1"],
    ['100000 huge dims', fileBytes(`{"a":{"dtype":"F32","shape":[${Array(1e5).fill(2 ** 52).join(',')}],"data_offsets":[0,8]}}`, 8), `tensor 'a': data_offsets [0, 8] give 8 bytes but F32 [${Array(8).fill(2 ** 52).join(', ')}, ... (100000 dims)] needs more than 2^53 - 1`],
    ['offsets outside the data', fileBytes({ a: f32([4], [0, 16]) }, 8), "tensor 'a': data_offsets [0, 16] run past the end of the data section (8 bytes; is the file truncated?)"],
    ['offsets reversed', fileBytes({ a: f32([0], [8, 0]) }, 8), "tensor 'a': data_offsets must be [begin, end] with integers 0 <= begin <= end, received [8, 0]"],
    ['offsets negative', fileBytes({ a: f32([1], [-4, 0]) }, 0), /data_offsets must be \[begin, end\].*received \[-4, 0\]/],
    ['offsets fractional', fileBytes({ a: f32([1], [0, 4.5]) }, 8), /received \[0, 4.5\]/],
    ['offsets of the wrong length', fileBytes({ a: f32([1], [0]) }, 4), /received \[0\]/],
    ['offsets missing', fileBytes({ a: { dtype: 'F32', shape: [1] } }, 4), /data_offsets must be .*received undefined/],
    ['overlapping offsets', fileBytes({ a: f32([2], [0, 8]), b: f32([2], [4, 12]) }, 12), "tensors 'a' [0, 8] and 'b' [4, 12] overlap"],
    ['an empty tensor inside another', fileBytes({ a: f32([2], [0, 8]), b: f32([0], [4, 4]) }, 8), "tensors 'a' [0, 8] and 'b' [4, 4] overlap"],
    ['a gap between tensors', fileBytes({ a: f32([1], [0, 4]), b: f32([1], [8, 12]) }, 12), "bytes [4, 8) belong to no tensor (a gap after 'a', before 'b')"],
    ['a gap at the start', fileBytes({ a: f32([1], [4, 8]) }, 8), "bytes [0, 4) belong to no tensor (a gap at the start of the data section, before 'a')"],
    ['trailing bytes after the last tensor', fileBytes({ a: f32([1], [0, 4]) }, 8), 'the data section has 4 bytes after the last tensor (which ends at 4 of 8)'],
    ['data but no tensors', fileBytes({}, 4), 'the data section has 4 bytes but the header lists no tensors'],
    ['byte length not matching shape × dtype', fileBytes({ 'vit.embeddings.cls_token': f32([1, 1, 80], [0, 100]) }, 100), "tensor 'vit.embeddings.cls_token': data_offsets [0, 100] give 100 bytes but F32 [1, 1, 80] needs 320"],
    ['truncated file', valid.subarray(0, valid.length - 4), "tensor 'a': data_offsets [0, 400] run past the end of the data section (396 bytes; is the file truncated?)"],
    ['a repeated tensor name', fileBytes(`{"a":${JSON.stringify(f32([1], [0, 4]))},"a":${JSON.stringify(f32([1], [0, 4]))}}`, 4), "header repeats the key 'a' (JSON readers disagree on which copy counts)"],
    ['a repeated field', fileBytes('{"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}', 4), "header repeats the key 'dtype' (JSON readers disagree on which copy counts)"],
    ['a repeated key spelled with an escape', fileBytes('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\\u0061":{}}', 4), "header repeats the key 'a' (JSON readers disagree on which copy counts)"],
    ['metadata not an object', fileBytes({ __metadata__: [1] }, 0), '__metadata__ must be an object of strings, received [1]'],
    ['metadata value not a string', fileBytes({ __metadata__: { format: 1 } }, 0), "__metadata__['format'] must be a string, received 1"],
  ];

  it.each(CASES)('%s', (_name, bytes, message) => {
    const file = tempPath();
    fs.writeFileSync(file, bytes);
    const spy = jest.spyOn(fs, 'readSync');
    let thrown: unknown;
    try {
      readSafetensors(file);
    } catch (error) {
      thrown = error;
    } finally {
      spy.mockRestore();
    }
    expect(thrown).toBeInstanceOf(FormatError);
    const error = thrown as FormatError;
    expect(error.code).toBe('ERR_TESSERA_BAD_FILE');
    expect(error.file).toBe(file);
    expect(error.message.startsWith(`${file}: `)).toBe(true);
    if (typeof message === 'string') expect(error.message).toBe(`${file}: ${message}`);
    else expect(error.message).toMatch(message);
    // Every buffer the reader filled was no bigger than the file itself.
    for (const [, target] of spy.mock.calls) expect((target as Uint8Array).byteLength).toBeLessThanOrEqual(bytes.length);
    // The in-memory parser gives the same error.
    expect(() => parseSafetensors(bytes, 'mem')).toThrow(error.message.replace(file, 'mem'));
  });

  it('a header that is not UTF-8 says so', () => {
    const raw = Buffer.concat([Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([0x7b, 0xff, 0x7d])]);
    expect(() => parseSafetensors(raw, 'x')).toThrow('x: header is not valid UTF-8');
  });

  it('a folder is not a safetensors file; a missing file is Node’s ENOENT', () => {
    expect(() => readSafetensors(dir)).toThrow(`${dir}: not a regular file`);
    expect(() => readSafetensors(path.join(dir, 'missing.safetensors'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe('writer argument errors are ArgumentErrors naming the parameter', () => {
  const ok = new Tensor(Float32Array.of(1, 2), [2]);
  const CASES: [string, () => unknown, string, RegExp][] = [
    ['dtype', () => serializeSafetensors({ ok }, undefined, 'F64' as never), 'dtype', /expected one of 'F32', 'F16', 'BF16', received F64/],
    ['tensors null', () => serializeSafetensors(null as never), 'tensors', /expected an object or Map of name -> tensor, received null/],
    ['reserved name', () => serializeSafetensors({ __metadata__: ok }), 'tensors', /'__metadata__' is reserved/],
    ['non-string Map key', () => serializeSafetensors(new Map([[1 as never, ok]])), 'tensors', /expected string names, received a number key/],
    ['not a tensor', () => serializeSafetensors({ w: 5 as never }), "tensors['w']", /received number/],
    ['data not Float32Array', () => serializeSafetensors({ w: { data: [1, 2] as never, shape: [2] } }), "tensors['w']", /expected data to be a Float32Array, received Array/],
    ['negative dim', () => serializeSafetensors({ w: { data: new Float32Array(2), shape: [-2] } }), "tensors['w']", /non-negative integers, received \[-2\]/],
    ['data too short', () => serializeSafetensors({ w: { data: new Float32Array(5), shape: [2, 3] } }), "tensors['w']", /needs 6 elements, but data has 5/],
    ['strides of the wrong length', () => serializeSafetensors({ w: { data: new Float32Array(6), shape: [2, 3], strides: [3] } }), "tensors['w']", /expected 2 non-negative integer strides, received \[3\]/],
    ['a huge broadcast', () => serializeSafetensors({ w: { data: new Float32Array(1), shape: [2 ** 30, 2 ** 30], strides: [0, 0] } }), "tensors['w']", /too many elements/],
    ['metadata value', () => serializeSafetensors({ ok }, { a: 1 as never }), "metadata['a']", /expected a string, received 1/],
    ['metadata not an object', () => serializeSafetensors({ ok }, 'x' as never), 'metadata', /expected an object of strings, received "x"/],
    ['parse of a non-buffer', () => parseSafetensors('abc' as never), 'bytes', /expected a Uint8Array or Buffer, received "abc"/],
  ];

  it.each(CASES)('%s', (_name, call, param, message) => {
    expect(call).toThrow(ArgumentError);
    expect(call).toThrow(expect.objectContaining({ param, message: expect.stringMatching(message) }));
  });

  it('a bad argument writes no file', () => {
    const file = tempPath();
    expect(() => writeSafetensors(file, { w: { data: new Float32Array(1), shape: [2] } })).toThrow(ArgumentError);
    expect(fs.existsSync(file)).toBe(false);
  });
});
