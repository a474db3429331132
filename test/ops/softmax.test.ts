/**
 * softmax() / softmaxSync() against the fp64 reference (test/reference/rows.ts) with the kernel
 * rule of test/tolerance.ts: odd sizes on every ISA, large logits, -Infinity entries and rows,
 * strided and in-place rows, async, runSequence, and bad arguments.
 */
import type { IsaName, SoftmaxOptions, TensorLike } from '../../lib';
import { ArgumentError, UnsupportedError, cpuInfo, softmax, softmaxSync } from '../../lib';
import { native } from '../../lib/native';
import { softmaxArgs } from '../../lib/ops/softmax';
import { contiguousCopy, permutedView, randomTensor, seedFromString } from '../reference/attention';
import { referenceSoftmax } from '../reference/rows';
import { TOLERANCE, expectClose } from '../tolerance';
import { expectArgumentError } from '../support/argument-error';

const info = cpuInfo();
const ISAS = (['auto', 'scalar', 'avx2', 'avx512'] as const).filter((isa) => isa === 'auto' || isa === 'scalar' || info[isa]);
const SIZES = [1, 3, 5, 80, 768, 1000];

function logits(rows: number, cols: number, seed: number, scale: number, offset = 0): TensorLike {
  const t = randomTensor([rows, cols], seed, scale);
  for (let i = 0; i < t.data.length; i++) t.data[i] += offset;
  return t;
}

describe('softmax: sizes and ISAs', () => {
  for (const isa of ISAS) {
    test.each(SIZES)(`C = %i, isa ${isa}`, (cols) => {
      const x = logits(6, cols, seedFromString(`softmax ${cols}`), 8);
      expectClose(softmaxSync(x, { isa }).data, referenceSoftmax(x), TOLERANCE.kernel, { C: cols, isa });
    });
  }

  test.each(ISAS)('a single column gives exactly 1, isa %s', (isa) => {
    const out = softmaxSync(logits(4, 1, 1, 100), { isa });
    expect(Array.from(out.data)).toEqual([1, 1, 1, 1]);
  });

  test.each([
    [1000, 1e4, 10],
    [768, -3e4, 30],
    [80, 0, 80],
  ])('C = %i, logits %p + [-%p, %p): max subtraction keeps it finite and exact', (cols, offset, spread) => {
    for (const isa of ISAS) {
      const x = logits(5, cols, seedFromString(`big ${cols}`), spread, offset);
      const out = softmaxSync(x, { isa });
      expectClose(out.data, referenceSoftmax(x), TOLERANCE.kernel, { C: cols, offset, spread, isa });
    }
  });

  test('-Infinity entries get 0; a row of only -Infinity gives zeros, not NaN', () => {
    for (const isa of ISAS) {
      const x = logits(3, 37, 2, 3);
      for (const c of [0, 5, 20, 36]) x.data[c] = -Infinity; // row 0: some masked
      x.data.fill(-Infinity, 37, 74); // row 1: all masked
      const out = softmaxSync(x, { isa });
      expect(out.data.every((v) => Number.isFinite(v))).toBe(true);
      expect(Array.from(out.data.subarray(37, 74))).toEqual(new Array(37).fill(0));
      expect([0, 5, 20, 36].map((c) => out.data[c])).toEqual([0, 0, 0, 0]);
      expectClose(out.data, referenceSoftmax(x), TOLERANCE.kernel, { case: '-inf', isa });
    }
  });
});

describe('softmax: layouts', () => {
  test('strided rows in and out, and a [B, N, C] input', () => {
    for (const isa of ISAS) {
      const x = permutedView(logits(5, 1000, 3, 5), [0, 1], 24);
      const out = { data: new Float32Array(5 * 1024).fill(Number.NaN), shape: [5, 1000], strides: [1024, 1] };
      softmaxSync(x, { isa, out });
      expectClose(contiguousCopy(out).data, referenceSoftmax(x), TOLERANCE.kernel, { case: 'strided', isa });
      const tokens = randomTensor([2, 3, 80], 4, 6);
      expectClose(softmaxSync(tokens, { isa }).data, referenceSoftmax(tokens), TOLERANCE.kernel, { case: '[B, N, C]', isa });
    }
  });

  test('in place (out = x)', () => {
    for (const isa of ISAS) {
      const x = logits(9, 1000, 5, 10);
      const ref = referenceSoftmax(x);
      expect(softmaxSync(x, { isa, out: x }).data).toBe(x.data);
      expectClose(x.data, ref, TOLERANCE.kernel, { case: 'in place', isa });
    }
  });

  test('many rows (split between threads) equal one thread, bit for bit', () => {
    const x = logits(400, 1000, 6, 10);
    const many = softmaxSync(x);
    const one = softmaxSync(x, { threads: 1 });
    expect(Buffer.from(many.data.buffer).equals(Buffer.from(one.data.buffer))).toBe(true);
  });
});

describe('softmax: async and runSequence', () => {
  test('softmax() resolves to what softmaxSync() returns', async () => {
    const x = logits(100, 1000, 7, 10);
    const out = await softmax(x);
    expect(Array.from(out.data)).toEqual(Array.from(softmaxSync(x).data));
  });

  test('softmaxArgs() builds a runSequence step (in place)', async () => {
    const x = logits(2, 10, 8, 3);
    const ref = referenceSoftmax(x);
    const step = softmaxArgs(x, { out: x });
    await native().runSequence([{ op: 'softmax', args: step.args }]);
    expectClose(x.data, ref, TOLERANCE.kernel, 'runSequence');
  });
});

describe('softmax: bad arguments', () => {
  const x = (): TensorLike => logits(2, 8, 9, 1);
  const cases: [string, () => unknown, string, string[]][] = [
    ['x of rank 1', () => softmaxSync({ data: new Float32Array(8), shape: [8] }), 'x', ['expected shape [M, C] or [B, N, C]', 'received [8]']],
    ['x shape a string', () => softmaxSync({ data: new Float32Array(8), shape: '2,4' } as unknown as TensorLike), 'x', ['expected shape [M, C]', 'received 2,4']],
    ['x negative stride', () => softmaxSync({ data: new Float32Array(16), shape: [2, 8], strides: [-8, 1] }), 'x', ['expected 2 non-negative integer strides', 'received [-8, 1]']],
    ['out data too short', () => softmaxSync(x(), { out: { data: new Float32Array(15), shape: [2, 8] } }), 'out', ['needs 16 elements', 'data has 15']],
    ['out columns strided', () => softmaxSync(x(), { out: { data: new Float32Array(32), shape: [2, 8], strides: [16, 2] } }), 'out', ['expected contiguous columns', 'received strides [16, 2]']],
    ['out rows overlapping each other', () => softmaxSync(x(), { out: { data: new Float32Array(8), shape: [2, 8], strides: [0, 1] } }), 'out', ['expected rows that do not overlap (row stride >= C = 8)', 'received row stride 0']],
    ['threads negative', () => softmaxSync(x(), { threads: -2 }), 'threads', ['expected a positive integer', 'received -2']],
    ['isa a number', () => softmaxSync(x(), { isa: 2 as unknown as IsaName }), 'isa', ["expected one of 'auto'", 'received 2']],
    ['options a string', () => softmaxSync(x(), 'fast' as unknown as SoftmaxOptions), 'options', ['expected an object', 'received string']],
  ];

  test.each(cases)('%s', (_name, run, param, message) => expectArgumentError(run, param, message));

  test('softmax() rejects (never throws synchronously)', async () => {
    await expect(softmax({ data: new Float32Array(1), shape: [1] })).rejects.toBeInstanceOf(ArgumentError);
  });

  const unsupported = (['avx2', 'avx512'] as const).filter((isa) => !info[isa]);
  (unsupported.length > 0 ? test : test.skip)(
    `an isa this CPU lacks is refused with UnsupportedError${unsupported.length > 0 ? '' : ' (skipped: this CPU supports every isa)'}`,
    () => {
      for (const isa of unsupported) expect(() => softmaxSync(x(), { isa })).toThrow(UnsupportedError);
    },
  );

  test('the raw binding checks sizes, strides and buffers itself', () => {
    const good = () => ({ x: new Float32Array(16), out: new Float32Array(16), rows: 2, cols: 8, xRowStride: 8, outRowStride: 8, isa: 'auto' as IsaName, threads: 0 });
    const raw = native();
    expect(() => raw.softmaxSync({ ...good(), rows: 3 })).toThrow(/^x: shape and strides reach element 23 but the data has 16 elements/);
    expect(() => raw.softmaxSync({ ...good(), outRowStride: 2 ** 40 })).toThrow(/^out: shape and strides reach element 1099511627783/);
    expect(() => raw.softmaxSync({ ...good(), cols: 0 })).toThrow(/^cols: expected an integer >= 1/);
    expect(() => raw.softmaxSync({ ...good(), out: undefined as unknown as Float32Array })).toThrow(/^out: expected a Float32Array/);
  });
});
