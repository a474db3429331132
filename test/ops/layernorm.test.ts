/**
 * layerNorm() / layerNormSync() against the fp64 reference (test/reference/rows.ts) with the
 * kernel rule of test/tolerance.ts: odd sizes on every ISA, strided and in-place rows, eps values,
 * rows with a large common offset (x = 1e4 + noise, where E[x^2] - E[x]^2 would cancel), async,
 * runSequence, and bad arguments.
 */
import type { IsaName, LayerNormOptions, TensorLike } from '../../lib';
import { ArgumentError, UnsupportedError, cpuInfo, layerNorm, layerNormSync } from '../../lib';
import { native } from '../../lib/native';
import { layerNormArgs } from '../../lib/ops/layernorm';
import { contiguousCopy, permutedView, randomFloat32, randomTensor, seedFromString } from '../reference/attention';
import { referenceLayerNorm } from '../reference/rows';
import { TOLERANCE, expectClose } from '../tolerance';
import { expectArgumentError } from '../support/argument-error';

const info = cpuInfo();
const ISAS = (['auto', 'scalar', 'avx2', 'avx512'] as const).filter((isa) => isa === 'auto' || isa === 'scalar' || info[isa]);
const SIZES = [1, 3, 5, 80, 768, 1000];

function affine(cols: number, seed: number): { gamma: Float32Array; beta: Float32Array } {
  const gamma = randomFloat32(cols, seed);
  for (let c = 0; c < cols; c++) gamma[c] += 1;
  return { gamma, beta: randomFloat32(cols, seed ^ 0x5bd1e995) };
}

/** x: [rows, cols] uniform in offset + [-scale, scale). */
function rowsTensor(rows: number, cols: number, seed: number, offset = 0, scale = 1): TensorLike {
  const t = randomTensor([rows, cols], seed, scale);
  for (let i = 0; i < t.data.length; i++) t.data[i] += offset;
  return t;
}

function check(x: TensorLike, options: LayerNormOptions & { eps: number }, label: Record<string, unknown>): void {
  const out = layerNormSync(x, options);
  expect(out.shape).toEqual(x.shape);
  expectClose(contiguousCopy(out).data, referenceLayerNorm(x, options), TOLERANCE.kernel, label);
}

describe('layerNorm: sizes and ISAs', () => {
  for (const isa of ISAS) {
    test.each(SIZES)(`C = %i, isa ${isa}`, (cols) => {
      const x = rowsTensor(7, cols, seedFromString(`ln ${cols}`), 0.5, 2);
      check(x, { ...affine(cols, cols), eps: 1e-5, isa }, { C: cols, isa });
    });
  }

  test('gamma and beta are optional (ones and zeros)', () => {
    const x = rowsTensor(4, 80, 3);
    check(x, { eps: 1e-6 }, { case: 'no affine' });
    check(x, { gamma: affine(80, 1).gamma, eps: 1e-6 }, { case: 'gamma only' });
    check(x, { beta: affine(80, 1).beta, eps: 1e-6 }, { case: 'beta only' });
  });

  test('eps defaults to 1e-5', () => {
    const x = rowsTensor(3, 5, 9, 0, 1e-3); // variance ~3e-7: eps matters
    expectClose(layerNormSync(x).data, referenceLayerNorm(x, { eps: 1e-5 }), TOLERANCE.kernel, 'default eps');
  });

  test.each([1e-12, 1e-6, 1e-5, 0.1, 0])('eps = %p on rows whose variance is comparable', (eps) => {
    for (const isa of ISAS) {
      const x = rowsTensor(6, 768, seedFromString(`eps ${eps}`), 0, 1e-3);
      check(x, { ...affine(768, 2), eps, isa }, { eps, isa });
    }
  });
});

describe('layerNorm: large offsets do not cancel', () => {
  for (const isa of ISAS) {
    test.each([
      [768, 1e4],
      [1000, 1e4],
      [5, 1e4],
      [80, -3e5],
      [768, 1e6],
    ])(`C = %i, x = %p + noise, isa ${isa}`, (cols, offset) => {
      const x = rowsTensor(5, cols, seedFromString(`offset ${cols} ${offset}`), offset, 1);
      check(x, { ...affine(cols, 4), eps: 1e-12, isa }, { C: cols, offset, isa });
    });
  }

  test('constant rows give beta exactly (zero variance), also with eps = 1e-12', () => {
    for (const isa of ISAS) {
      const x = { data: new Float32Array(3 * 100).fill(1e4 + 0.25), shape: [3, 100] };
      const { gamma, beta } = affine(100, 5);
      const out = layerNormSync(x, { gamma, beta, eps: 1e-12, isa });
      for (let r = 0; r < 3; r++) expect(Array.from(out.data.subarray(r * 100, r * 100 + 100))).toEqual(Array.from(beta));
    }
  });
});

describe('layerNorm: layouts', () => {
  test('strided rows in and out (padding is never read or written)', () => {
    for (const isa of ISAS) {
      const x = permutedView(rowsTensor(9, 80, 11), [0, 1], 13);
      const outData = new Float32Array(9 * 96).fill(Number.NaN);
      const out = { data: outData, shape: [9, 80], strides: [96, 1] };
      const opts = { ...affine(80, 6), eps: 1e-6, isa };
      layerNormSync(x, { ...opts, out });
      expectClose(contiguousCopy(out).data, referenceLayerNorm(x, opts), TOLERANCE.kernel, { case: 'strided', isa });
      for (let r = 0; r < 9; r++) expect(outData.subarray(r * 96 + 80, r * 96 + 96).every(Number.isNaN)).toBe(true);
    }
  });

  test('[B, N, C] input, and the class tokens of [B, N, C] as a row-strided [B, C] view', () => {
    const tokens = randomTensor([3, 5, 64], 12);
    const opts = { ...affine(64, 7), eps: 1e-6 };
    const all = layerNormSync(tokens, opts);
    expect(all.shape).toEqual([3, 5, 64]);
    expectClose(all.data, referenceLayerNorm(tokens, opts), TOLERANCE.kernel, '[B, N, C]');
    const cls = { data: tokens.data, shape: [3, 64], strides: [5 * 64, 1] };
    expectClose(layerNormSync(cls, opts).data, referenceLayerNorm(cls, opts), TOLERANCE.kernel, 'class tokens');
  });

  test('in place (out = x), every ISA, also on strided rows', () => {
    for (const isa of ISAS) {
      for (const pad of [0, 3]) {
        const x = permutedView(rowsTensor(6, 768, 13, 2, 3), [0, 1], pad);
        const opts = { ...affine(768, 8), eps: 1e-12, isa };
        const ref = referenceLayerNorm(x, opts);
        const out = layerNormSync(x, { ...opts, out: x });
        expect(out.data).toBe(x.data);
        expectClose(contiguousCopy(x).data, ref, TOLERANCE.kernel, { case: 'in place', pad, isa });
      }
    }
  });

  test('many rows (split between threads) equal one thread, bit for bit', () => {
    const x = rowsTensor(400, 768, 14, 0.1, 4);
    const opts = { ...affine(768, 9), eps: 1e-6 };
    const many = layerNormSync(x, opts);
    const one = layerNormSync(x, { ...opts, threads: 1 });
    expect(Buffer.from(many.data.buffer).equals(Buffer.from(one.data.buffer))).toBe(true);
    expectClose(many.data, referenceLayerNorm(x, opts), TOLERANCE.kernel, '400 x 768');
  });
});

describe('layerNorm: async and runSequence', () => {
  test('layerNorm() resolves to what layerNormSync() returns', async () => {
    const x = rowsTensor(50, 768, 15, 1e4);
    const opts = { ...affine(768, 10), eps: 1e-12 };
    const out = await layerNorm(x, opts);
    expect(Array.from(out.data)).toEqual(Array.from(layerNormSync(x, opts).data));
  });

  test('layerNormArgs() builds a runSequence step', async () => {
    const x = rowsTensor(4, 80, 16);
    const opts = { ...affine(80, 11), eps: 1e-6 };
    const first = layerNormArgs(x, opts);
    const second = layerNormArgs(first.out, { ...opts, out: first.out }); // in place on the first result
    await native().runSequence([
      { op: 'layerNorm', args: first.args },
      { op: 'layerNorm', args: second.args },
    ]);
    const once = layerNormSync(x, opts);
    expectClose(second.out.data, referenceLayerNorm(once, opts), TOLERANCE.kernel, 'twice');
  });
});

describe('layerNorm: bad arguments', () => {
  const x = (): TensorLike => rowsTensor(2, 8, 17);
  const cases: [string, () => unknown, string, string[]][] = [
    ['x of rank 1', () => layerNormSync({ data: new Float32Array(8), shape: [8] }), 'x', ['expected shape [M, C] or [B, N, C]', 'received [8]']],
    ['x of rank 4', () => layerNormSync(randomTensor([1, 2, 2, 8], 1)), 'x', ['expected shape [M, C] or [B, N, C]', 'received [1, 2, 2, 8]']],
    ['x data a Float64Array', () => layerNormSync({ data: new Float64Array(16), shape: [2, 8] } as unknown as TensorLike), 'x', ['expected data to be a Float32Array', 'received Float64Array']],
    ['x null', () => layerNormSync(null as unknown as TensorLike), 'x', ['expected a tensor', 'received null']],
    ['x data too short', () => layerNormSync({ data: new Float32Array(15), shape: [2, 8] }), 'x', ['needs 16 elements', 'data has 15']],
    ['x columns strided', () => layerNormSync({ data: new Float32Array(32), shape: [2, 8], strides: [16, 2] }), 'x', ['expected contiguous columns', 'received strides [16, 2]']],
    ['B and N do not merge', () => layerNormSync({ data: new Float32Array(64), shape: [2, 2, 8], strides: [32, 8, 1] }), 'x', ['expected B and N to merge into rows', 'received strides [32, 8, 1]']],
    ['gamma too short', () => layerNormSync(x(), { gamma: new Float32Array(7) }), 'gamma', ['expected a Float32Array of C = 8 elements', 'received Float32Array(7)']],
    ['beta a plain array', () => layerNormSync(x(), { beta: [1, 2] as unknown as Float32Array }), 'beta', ['expected a Float32Array of C = 8 elements', 'received Array']],
    ['eps negative', () => layerNormSync(x(), { eps: -1e-5 }), 'eps', ['expected a finite float32 number >= 0', 'received -0.00001']],
    ['eps NaN', () => layerNormSync(x(), { eps: NaN }), 'eps', ['expected a finite float32 number >= 0', 'received NaN']],
    ['eps beyond float32', () => layerNormSync(x(), { eps: 1e39 }), 'eps', ['expected a finite float32 number >= 0', 'received 1e+39']],
    ['out of another shape', () => layerNormSync(x(), { out: randomTensor([2, 9], 1) }), 'out', ['expected shape [2, 8] (the shape of x)', 'received [2, 9]']],
    ['out shifted over x', () => { const d = new Float32Array(32); return layerNormSync({ data: d, shape: [2, 8] }, { out: { data: d.subarray(4), shape: [2, 8] } }); }, 'out', ['expected x itself (in place) or memory that does not overlap x']],
    ['threads 0', () => layerNormSync(x(), { threads: 0 }), 'threads', ['expected a positive integer', 'received 0']],
    ['isa unknown', () => layerNormSync(x(), { isa: 'sse4' as IsaName }), 'isa', ["expected one of 'auto', 'scalar', 'avx2', 'avx512'", 'received sse4']],
    ['options a number', () => layerNormSync(x(), 3 as unknown as LayerNormOptions), 'options', ['expected an object', 'received number']],
  ];

  test.each(cases)('%s', (_name, run, param, message) => expectArgumentError(run, param, message));

  test('layerNorm() rejects (never throws synchronously)', async () => {
    const promise = layerNorm(x(), { eps: -1 });
    await expect(promise).rejects.toBeInstanceOf(ArgumentError);
  });

  const unsupported = (['avx2', 'avx512'] as const).filter((isa) => !info[isa]);
  (unsupported.length > 0 ? test : test.skip)(
    `an isa this CPU lacks is refused with UnsupportedError${unsupported.length > 0 ? '' : ' (skipped: this CPU supports every isa)'}`,
    () => {
      for (const isa of unsupported) expect(() => layerNormSync(x(), { isa })).toThrow(UnsupportedError);
    },
  );

  test('the raw binding checks sizes, strides and buffers itself', () => {
    const good = () => ({ x: new Float32Array(16), out: new Float32Array(16), gamma: null, beta: null, rows: 2, cols: 8, xRowStride: 8, outRowStride: 8, eps: 1e-5, isa: 'auto' as IsaName, threads: 0 });
    const raw = native();
    expect(() => raw.layerNormSync({ ...good(), xRowStride: 9 })).toThrow(/^x: shape and strides reach element 16 but the data has 16 elements/);
    expect(() => raw.layerNormSync({ ...good(), out: new Float32Array(4) })).toThrow(/^out: shape and strides reach element/);
    expect(() => raw.layerNormSync({ ...good(), gamma: new Float32Array(3) })).toThrow(/^gamma: expected C elements/);
    expect(() => raw.layerNormSync({ ...good(), eps: Number.POSITIVE_INFINITY })).toThrow(/^eps: expected a finite float32 >= 0/);
    expect(() => raw.layerNormSync({ ...good(), outRowStride: 4, out: new Float32Array(16) })).toThrow(/^out: expected a row stride >= C = 8/);
    expect(() => raw.layerNormSync({ ...good(), rows: 0 })).toThrow(/^rows: expected an integer >= 1/);
    expect(() => raw.layerNormSync({ ...good(), isa: 'neon' as IsaName })).toThrow(/^isa: expected 'auto', 'scalar', 'avx2' or 'avx512', received 'neon'/);
    const shared = new Float32Array(24);
    expect(() => raw.layerNormSync({ ...good(), x: shared, out: shared.subarray(4) })).toThrow(/^out: expected x itself \(in place\)/);
  });

});
