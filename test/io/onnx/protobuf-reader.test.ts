/**
 * The protobuf wire-format reader on its own: varints (values written by our ProtoWriter and
 * by hand), fixed-width fields, packed and unpacked repeated scalars, skipping every wire type,
 * and the depth limit.
 */
import { FormatError } from '../../../lib/errors';
import { ProtoReader, VarintList } from '../../../lib/io/onnx/protobuf-reader';
import { ProtoWriter } from '../../../lib/io/protobuf-writer';

/** The fields of a message as [field number, value read by `read`] pairs. */
function fields<T>(bytes: Uint8Array, read: (r: ProtoReader) => T): [number, T][] {
  const r = ProtoReader.root(bytes, 'm.pb');
  const out: [number, T][] = [];
  while (r.next()) out.push([r.field, read(r)]);
  return out;
}

test('int64 varints round trip, including negatives (ten bytes) and the extremes', () => {
  const values = [0n, 1n, 127n, 128n, 300n, -1n, -(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n + 1n];
  const w = new ProtoWriter();
  for (const v of values) w.int64(3, v);
  expect(fields(w.finish(), (r) => r.int64('v'))).toEqual(values.map((v) => [3, v]));
});

test('safeInteger checks the range and names the field', () => {
  const read = (value: bigint, min?: number) => fields(new ProtoWriter().int64(1, value).finish(), (r) => r.safeInteger('count', min));
  expect(read(2n ** 53n - 1n)).toEqual([[1, 2 ** 53 - 1]]);
  expect(read(-5n)).toEqual([[1, -5]]);
  expect(() => read(2n ** 53n)).toThrow(new FormatError('m.pb', 'count is 9007199254740992, outside ±(2^53 - 1)'));
  expect(() => read(-1n, 0)).toThrow('m.pb: count is -1, outside [0, 2^53 - 1]');
});

test('float, string and bytes fields', () => {
  const bytes = new ProtoWriter().float(1, -0.375).string(2, 'héllo').bytes(3, Uint8Array.of(9, 8)).finish();
  const r = ProtoReader.root(bytes, 'm.pb');
  expect([r.next(), r.float('f'), r.next(), r.string('s'), r.next(), Array.from(r.bytes('b')), r.next()]).toEqual([true, -0.375, true, 'héllo', true, [9, 8], false]);
});

test('repeated fixed-width and varint fields, packed and unpacked, in one list', () => {
  const packedFloats = new Uint8Array(new Float32Array([3, 4]).buffer);
  const w = new ProtoWriter().float(1, 1).float(1, 2).bytes(1, packedFloats).int64(2, -2).bytes(2, Uint8Array.of(0x01, 0xac, 0x02)).int64(2, 2n ** 40n);
  const r = ProtoReader.root(w.finish(), 'm.pb');
  const floats: Uint8Array[] = [];
  const ints = new VarintList();
  while (r.next()) {
    if (r.field === 1) r.repeatedFixed('floats', 4, floats);
    else r.repeatedVarint('ints', ints);
  }
  const all = new Uint8Array(floats.reduce((n, c) => n + c.length, 0));
  floats.reduce((at, c) => (all.set(c, at), at + c.length), 0);
  expect(Array.from(new Float32Array(all.buffer))).toEqual([1, 2, 3, 4]);
  expect(ints.count).toBe(4);
  expect(Array.from(ints.toBigInt64Array())).toEqual([-2n, 1n, 300n, 2n ** 40n]);
  const low32: number[] = [];
  ints.forEachInt32((v) => low32.push(v));
  expect(low32).toEqual([-2, 1, 300, 0]); // int32 keeps the low 32 bits, as protobuf does
});

test('skip() passes over every wire type', () => {
  const bytes = Buffer.concat([
    new ProtoWriter().int64(1, -1).float(2, 1).string(3, 'x').message(4, new ProtoWriter().int64(1, 1)).finish(),
    Uint8Array.of((5 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8), // fixed64
    new ProtoWriter().int64(6, 42).finish(),
  ]);
  const r = ProtoReader.root(bytes, 'm.pb');
  const seen: number[] = [];
  while (r.next()) {
    seen.push(r.field);
    if (r.field === 6) expect(r.int64('last')).toBe(42n);
    else r.skip();
  }
  expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
});

test('a packed fixed field whose length is not a multiple of the width, a fixed field cut short', () => {
  const r = ProtoReader.root(new ProtoWriter().bytes(1, new Uint8Array(6)).finish(), 'm.pb');
  r.next();
  expect(() => r.repeatedFixed('double_data', 8, [])).toThrow('m.pb: packed double_data has 6 bytes, not a multiple of 8');
  const short = ProtoReader.root(Uint8Array.of((1 << 3) | 5, 0, 0), 'm.pb');
  short.next();
  expect(() => short.float('f')).toThrow('m.pb: f (field 1) at byte 0 needs 4 bytes but only 2 remain in the message');
});

test('packed varints over 64 bits or longer than 10 bytes', () => {
  const read = (packed: number[]) => {
    const r = ProtoReader.root(new ProtoWriter().bytes(1, Uint8Array.from(packed)).finish(), 'm.pb');
    r.next();
    r.repeatedVarint('ints', new VarintList());
  };
  expect(() => read([...new Array<number>(9).fill(0xff), 0x02])).toThrow('m.pb: packed ints holds a varint over 64 bits');
  expect(() => read(new Array<number>(11).fill(0xff))).toThrow('m.pb: packed ints holds a varint longer than 10 bytes');
});

test('nesting deeper than maxDepth', () => {
  let w = new ProtoWriter().int64(1, 1);
  for (let i = 0; i < 5; i++) w = new ProtoWriter().message(1, w);
  const descend = (r: ProtoReader, depth: number): number => {
    r.next();
    return r.field === 1 && depth < 5 ? descend(r.message(`m${depth}`), depth + 1) : depth;
  };
  expect(descend(ProtoReader.root(w.finish(), 'm.pb', 5), 0)).toBe(5);
  expect(() => descend(ProtoReader.root(w.finish(), 'm.pb', 4), 0)).toThrow('m.pb: m0.m1.m2.m3: m4 nests messages more than 4 deep (at byte 8)');
});
