/**
 * gelu() / geluSync() against the fp64 reference (test/reference/rows.ts, whose erf is the
 * series / continued fraction of test/reference/vit.ts, checked here to 1e-15) with the kernel
 * rule of test/tolerance.ts: both forms over -10..10 on every ISA, odd sizes (the vector bodies
 * and their scalar tails), strided and in-place rows, async, runSequence, and bad arguments.
 */
import type { GeluApproximation, GeluOptions, IsaName, TensorLike } from '../../lib';
import { ArgumentError, UnsupportedError, cpuInfo, gelu, geluSync } from '../../lib';
import { native } from '../../lib/native';
import { geluArgs } from '../../lib/ops/gelu';
import { contiguousCopy, permutedView, randomTensor, seedFromString } from '../reference/attention';
import { geluErf64, referenceGelu } from '../reference/rows';
import { erf, erfc } from '../reference/vit';
import { TOLERANCE, expectClose } from '../tolerance';
import { expectArgumentError } from '../support/argument-error';

const info = cpuInfo();
const ISAS = (['auto', 'scalar', 'avx2', 'avx512'] as const).filter((isa) => isa === 'auto' || isa === 'scalar' || info[isa]);
const FORMS: GeluApproximation[] = ['none', 'tanh'];
const SIZES = [1, 3, 5, 80, 768, 1000];

/** `count` points evenly spaced over [from, to], as [1, count]. */
function linspace(from: number, to: number, count: number): TensorLike {
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = from + ((to - from) * i) / (count - 1);
  return { data, shape: [1, count] };
}

describe('the fp64 oracle', () => {
  // Values from mpmath at 30 digits, rounded to the nearest double.
  test.each([
    [0.1, 0.11246291601828488],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [2, 0.9953222650189527],
    [2.9, 0.9999589021219005],
  ])('erf(%p) to 1e-15', (x, expected) => {
    expect(Math.abs(erf(x) - expected)).toBeLessThanOrEqual(1e-15 * expected);
    expect(erf(-x)).toBe(-erf(x));
  });

  test.each([
    [3, 2.209049699858544e-5],
    [4, 1.541725790028002e-8],
    [6, 2.1519736712498913e-17],
    [9, 4.13703174651381e-37],
  ])('erfc(%p) to 1e-15 relative', (x, expected) => {
    expect(Math.abs(erfc(x) - expected)).toBeLessThanOrEqual(1e-15 * expected);
  });

  test('GELU of the oracle: 0 at 0, x for large x, tiny negative tail', () => {
    expect(geluErf64(0)).toBe(0);
    expect(geluErf64(10)).toBe(10);
    expect(geluErf64(-10)).toBeCloseTo(-10 * 0.5 * 1.5239706048320995e-23, 35);
  });
});

describe('gelu: values and ISAs', () => {
  for (const approximate of FORMS) {
    test.each(ISAS)(`approximate '${approximate}' over [-10, 10], isa %s`, (isa) => {
      const x = linspace(-10, 10, 20001);
      expectClose(geluSync(x, { approximate, isa }).data, referenceGelu(x, approximate), TOLERANCE.kernel, { approximate, isa });
    });
  }

  test.each(ISAS)('the negative tail keeps its relative accuracy (exact form), isa %s', (isa) => {
    // Against the reference scaled up so the kernel rule measures relative error: gelu(x) for
    // x in [-9, -3] is 1e-19 .. 4e-3 in magnitude.
    const x = linspace(-9, -3, 6001);
    const out = geluSync(x, { isa });
    const ref = referenceGelu(x, 'none');
    const scaled = Float64Array.from(out.data, (v, i) => v / Math.abs(ref[i]));
    expectClose(scaled, ref.map((r) => r / Math.abs(r)), TOLERANCE.kernel, { tail: 'relative', isa });
  });

  for (const approximate of FORMS) {
    for (const isa of ISAS) {
      test.each(SIZES)(`C = %i, approximate '${approximate}', isa ${isa}`, (cols) => {
        const x = randomTensor([5, cols], seedFromString(`gelu ${cols}`), 6);
        expectClose(geluSync(x, { approximate, isa }).data, referenceGelu(x, approximate), TOLERANCE.kernel, { C: cols, approximate, isa });
      });
    }
  }

  test('special values: 0, NaN, large magnitudes', () => {
    for (const isa of ISAS) {
      for (const approximate of FORMS) {
        const out = geluSync({ data: new Float32Array([0, NaN, 1e4, -1e4, 3e38]), shape: [1, 5] }, { approximate, isa }).data;
        expect(out[0]).toBe(0);
        expect(out[1]).toBeNaN();
        expect(out[2]).toBe(1e4);
        expect(Math.abs(out[3])).toBeLessThan(1e-30);
        expect(out[4]).toBe(Math.fround(3e38));
      }
    }
  });
});

describe('gelu: layouts', () => {
  test('strided rows in and out (padding is never read or written)', () => {
    for (const isa of ISAS) {
      const x = permutedView(randomTensor([7, 80], 21, 5), [0, 1], 5);
      const outData = new Float32Array(7 * 100).fill(Number.NaN);
      const out = { data: outData, shape: [7, 80], strides: [100, 1] };
      geluSync(x, { isa, out });
      expectClose(contiguousCopy(out).data, referenceGelu(x, 'none'), TOLERANCE.kernel, { case: 'strided', isa });
      for (let r = 0; r < 7; r++) expect(outData.subarray(r * 100 + 80, r * 100 + 100).every(Number.isNaN)).toBe(true);
    }
  });

  test('in place (out = x) on [B, N, C], every ISA and form', () => {
    for (const isa of ISAS) {
      for (const approximate of FORMS) {
        const x = randomTensor([2, 13, 771], 22, 8);
        const ref = referenceGelu(x, approximate);
        expect(geluSync(x, { approximate, isa, out: x }).data).toBe(x.data);
        expectClose(x.data, ref, TOLERANCE.kernel, { case: 'in place', approximate, isa });
      }
    }
  });

  test('many rows (split between threads) equal one thread, bit for bit', () => {
    const x = randomTensor([100, 3072], 23, 5);
    const many = geluSync(x);
    const one = geluSync(x, { threads: 1 });
    expect(Buffer.from(many.data.buffer).equals(Buffer.from(one.data.buffer))).toBe(true);
  });
});

describe('gelu: async and runSequence', () => {
  test('gelu() resolves to what geluSync() returns', async () => {
    const x = randomTensor([16, 3072], 24, 5);
    for (const approximate of FORMS) {
      const out = await gelu(x, { approximate });
      expect(Array.from(out.data)).toEqual(Array.from(geluSync(x, { approximate }).data));
    }
  });

  test('geluArgs() builds a runSequence step', async () => {
    const x = randomTensor([3, 80], 25, 4);
    const step = geluArgs(x, { approximate: 'tanh' });
    await native().runSequence([{ op: 'gelu', args: step.args }]);
    expectClose(step.out.data, referenceGelu(x, 'tanh'), TOLERANCE.kernel, 'runSequence');
  });
});

describe('gelu: bad arguments', () => {
  const x = (): TensorLike => randomTensor([2, 8], 26);
  const cases: [string, () => unknown, string, string[]][] = [
    ['x of rank 1', () => geluSync({ data: new Float32Array(8), shape: [8] }), 'x', ['expected shape [M, C] or [B, N, C]', 'received [8]']],
    ['x a plain object', () => geluSync({ shape: [2, 8] } as unknown as TensorLike), 'x', ['expected data to be a Float32Array', 'received undefined']],
    ['x dims fractional', () => geluSync({ data: new Float32Array(16), shape: [2, 7.5] }), 'x', ['expected C (dim 1) to be a positive integer', 'received 7.5']],
    ['x columns strided', () => geluSync({ data: new Float32Array(32), shape: [2, 8], strides: [16, 2] }), 'x', ['expected contiguous columns', 'received strides [16, 2]']],
    ['approximate unknown', () => geluSync(x(), { approximate: 'sigmoid' as GeluApproximation }), 'approximate', ["expected one of 'none', 'tanh'", 'received sigmoid']],
    ['out of another shape', () => geluSync(x(), { out: randomTensor([8, 2], 1) }), 'out', ['expected shape [2, 8] (the shape of x)', 'received [8, 2]']],
    ['out overlapping x', () => { const d = new Float32Array(20); return geluSync({ data: d, shape: [2, 8] }, { out: { data: d.subarray(2), shape: [2, 8] } }); }, 'out', ['expected x itself (in place) or memory that does not overlap x']],
    ['threads fractional', () => geluSync(x(), { threads: 1.5 }), 'threads', ['expected a positive integer', 'received 1.5']],
    ['isa unknown', () => geluSync(x(), { isa: 'AVX2' as IsaName }), 'isa', ["expected one of 'auto'", 'received AVX2']],
    ['options null', () => geluSync(x(), null as unknown as GeluOptions), 'options', ['expected an object', 'received null']],
  ];

  test.each(cases)('%s', (_name, run, param, message) => expectArgumentError(run, param, message));

  test('gelu() rejects (never throws synchronously)', async () => {
    await expect(gelu(x(), { approximate: 'erf' as GeluApproximation })).rejects.toBeInstanceOf(ArgumentError);
  });

  const unsupported = (['avx2', 'avx512'] as const).filter((isa) => !info[isa]);
  (unsupported.length > 0 ? test : test.skip)(
    `an isa this CPU lacks is refused with UnsupportedError${unsupported.length > 0 ? '' : ' (skipped: this CPU supports every isa)'}`,
    () => {
      for (const isa of unsupported) expect(() => geluSync(x(), { isa })).toThrow(UnsupportedError);
    },
  );

  test('the raw binding checks sizes, strides and buffers itself', () => {
    const good = () => ({ x: new Float32Array(16), out: new Float32Array(16), rows: 2, cols: 8, xRowStride: 8, outRowStride: 8, approximate: 'none' as const, isa: 'auto' as IsaName, threads: 0 });
    const raw = native();
    expect(() => raw.geluSync({ ...good(), cols: 9 })).toThrow(/^x: shape and strides reach element/);
    expect(() => raw.geluSync({ ...good(), approximate: 'fast' as 'none' })).toThrow(/^approximate: expected 'none' or 'tanh', received 'fast'/);
    expect(() => raw.geluSync({ ...good(), threads: -1 })).toThrow(/^threads: expected an integer >= 0/);
    expect(() => raw.geluSync({ ...good(), x: new Float64Array(16) as unknown as Float32Array })).toThrow(/^x: expected a Float32Array/);
  });
});
