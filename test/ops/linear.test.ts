/**
 * linear() / linearSync() against the fp64 reference (test/reference/linear.ts) with the kernel
 * rule of test/tolerance.ts, on every ISA this CPU has; GELU's fp32 erf and tanh forms against
 * fp64 with the elementwise rule; argument errors.
 *
 * The kernel rule needs no GEMM-specific row: an output is a K-term dot product, and fp32
 * blocked summation errs by about sqrt(K) * 2^-24 * sqrt(sum of squared terms), which for the
 * K <= 3072 here stays below 1e-4 * max |ref| by more than an order of magnitude (max |ref| grows
 * like sqrt(K) too: inputs are uniform in [-1, 1)).
 *
 * Shapes are picked, not a Cartesian product (the JS reference costs M * N * K): each of
 * M, N, K runs through {1, 2, 3, 5, 13, 31, 64, 97, 197, 300} with the other two fixed, then the
 * kernels' block edges (K = 383..385, 769: several K blocks; N > 384, M > 256: several tasks per
 * dimension), then ViT-B's shapes.
 */
import type { IsaName, LinearActivation, LinearOptions, TensorLike, WeightLayout } from '../../lib';
import { ArgumentError, PackedWeight, Tensor, UnsupportedError, cpuInfo, linear, linearArgs, linearSync, packWeight } from '../../lib';
import { native } from '../../lib/native';
import { randomFloat32, seedFromString } from '../reference/attention';
import { geluErf, geluTanh } from '../reference/erf';
import type { ReferenceLinearOptions } from '../reference/linear';
import { referenceLinear } from '../reference/linear';
import { TOLERANCE, expectClose, formatLabel } from '../tolerance';

const FORCED_ISAS = ['scalar', 'avx2', 'avx512'] as const;
const ALL_ISAS: readonly IsaName[] = ['auto', ...FORCED_ISAS];
const info = cpuInfo();
const isaSupported = (isa: IsaName): boolean => isa === 'auto' || isa === 'scalar' || info[isa];

/** test, or test.skip with the reason in its name, for an isa. */
function testIsa(isa: IsaName): { run: jest.It; suffix: string } {
  return isaSupported(isa) ? { run: test, suffix: '' } : { run: test.skip, suffix: ` (skipped: this CPU lacks ${isa})` };
}

type ResidualMode = 'none' | 'separate' | 'in_place';

interface Case {
  m: number;
  n: number;
  k: number;
  layout?: WeightLayout;
  alpha?: number;
  bias?: boolean;
  activation?: LinearActivation;
  residual?: ResidualMode;
  /** Row strides of x and out / residual (default: contiguous). */
  xRowStride?: number;
  outRowStride?: number;
}

interface Inputs {
  x: TensorLike;
  weight: TensorLike;
  bias?: Float32Array;
  residual?: TensorLike;
}

function caseName(c: Case, isa: IsaName): string {
  return formatLabel({ M: c.m, N: c.n, K: c.k, layout: c.layout, alpha: c.alpha, bias: c.bias ? 'yes' : undefined, activation: c.activation, residual: c.residual, xRowStride: c.xRowStride, outRowStride: c.outRowStride, isa });
}

/** A [rows, cols] view with the given row stride over fresh random data (gaps hold NaN for views). */
function randomRows(rows: number, cols: number, rowStride: number, seed: number): TensorLike {
  const data = randomFloat32((rows - 1) * rowStride + cols, seed);
  for (let i = 0; i < rows; i++) data.fill(NaN, i * rowStride + cols, (i + 1) * rowStride);
  return { data, shape: [rows, cols], strides: [rowStride, 1] };
}

/** The seed depends on the shape only, so the variants of one shape see the same data. */
function inputsFor(c: Case): Inputs {
  const seed = seedFromString(`${c.m} ${c.n} ${c.k}`);
  const layout = c.layout ?? 'out_in';
  const weight = layout === 'out_in' ? randomRows(c.n, c.k, c.k, seed ^ 1) : randomRows(c.k, c.n, c.n, seed ^ 1);
  return {
    x: randomRows(c.m, c.k, c.xRowStride ?? c.k, seed),
    weight,
    bias: c.bias ? randomFloat32(c.n, seed ^ 2) : undefined,
    residual: c.residual && c.residual !== 'none' ? randomRows(c.m, c.n, c.outRowStride ?? c.n, seed ^ 3) : undefined,
  };
}

function referenceFor(c: Case, inputs: Inputs): Float64Array {
  const options: ReferenceLinearOptions = { alpha: c.alpha, bias: inputs.bias, activation: c.activation, residual: inputs.residual };
  return referenceLinear(inputs.x, inputs.weight, c.layout ?? 'out_in', options);
}

/** The [M, N] result as a contiguous array (out may be a row-strided view). */
function contiguous(t: TensorLike): Float32Array {
  const [rows, cols] = t.shape;
  const stride = t.strides?.[0] ?? cols;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) out.set(t.data.subarray(i * stride, i * stride + cols), i * cols);
  return out;
}

/** Runs the case on one isa (sync) and returns its output. Inputs are copied when run in place. */
function runCase(c: Case, inputs: Inputs, packed: PackedWeight, isa: IsaName): TensorLike {
  const options: LinearOptions = { isa, bias: inputs.bias, activation: c.activation, ...(c.alpha === undefined ? {} : { alpha: c.alpha }) };
  if (inputs.residual && c.residual === 'in_place') {
    const target = { ...inputs.residual, data: Float32Array.from(inputs.residual.data) };
    return linearSync(inputs.x, packed, { ...options, residual: target, out: target });
  }
  if (inputs.residual) options.residual = inputs.residual;
  if (c.outRowStride !== undefined) options.out = randomRows(c.m, c.n, c.outRowStride, 5);
  return linearSync(inputs.x, packed, options);
}

/** Checks a case on every supported isa against one reference. */
function checkCase(c: Case, isas: readonly IsaName[] = ALL_ISAS.filter(isaSupported)): void {
  const inputs = inputsFor(c);
  const packed = packWeight(inputs.weight, c.layout ?? 'out_in');
  const ref = referenceFor(c, inputs);
  for (const isa of isas) {
    const out = runCase(c, inputs, packed, isa);
    expect(out.shape).toEqual([c.m, c.n]);
    expectClose(contiguous(out), ref, TOLERANCE.kernel, caseName(c, isa));
  }
}

const SIZES = [1, 2, 3, 5, 13, 31, 64, 97, 197, 300];

// ---------------------------------------------------------------------------------------------

describe('linear matches the fp64 reference', () => {
  const sweep: Case[] = SIZES.flatMap((s) => [
    { m: s, n: 31, k: 97 },
    { m: 13, n: s, k: 64 },
    { m: 31, n: 13, k: s },
  ]);
  const corners: Case[] = [
    { m: 1, n: 1, k: 1 },
    { m: 2, n: 3, k: 5 },
    { m: 300, n: 197, k: 64 },
    { m: 197, n: 97, k: 300 },
    { m: 300, n: 300, k: 300 },
  ];
  // K blocks of 384 (partial sums across blocks), N tasks of <= 384 columns, M tasks of <= 256 rows.
  const blockEdges: Case[] = [
    { m: 29, n: 40, k: 383 },
    { m: 29, n: 40, k: 384 },
    { m: 29, n: 40, k: 385 },
    { m: 30, n: 33, k: 769 },
    { m: 21, n: 800, k: 50 },
    { m: 600, n: 47, k: 60 },
    { m: 257, n: 385, k: 390 },
  ];

  test.each([...sweep, ...corners, ...blockEdges].map((c) => [formatLabel({ M: c.m, N: c.n, K: c.k }), c]))('%s: plain, and with bias + gelu + residual', (_name, c) => {
    checkCase(c);
    checkCase({ ...c, bias: true, activation: 'gelu', residual: 'separate' });
  });

  test('ViT-B attention output: 197 x 768 x 768 with bias and an in-place residual', () => {
    checkCase({ m: 197, n: 768, k: 768, bias: true, residual: 'in_place' });
  });

  test('ViT-B MLP: 197 x 3072 x 768 with bias and GELU', () => {
    checkCase({ m: 197, n: 3072, k: 768, bias: true, activation: 'gelu' });
  });
});

describe('epilogues', () => {
  const combos = [false, true].flatMap((bias) =>
    (['none', 'gelu', 'gelu_tanh'] as const).flatMap((activation) => (['none', 'separate', 'in_place'] as const).map((residual) => ({ bias, activation, residual }))),
  );
  for (const isa of ALL_ISAS) {
    const { run, suffix } = testIsa(isa);
    // K = 400 takes two K blocks: the in-place residual must still be read before out is written.
    run.each(combos.map((e) => [formatLabel(e), e]))(`%s (isa ${isa})${suffix}`, (_name, e) => {
      checkCase({ m: 37, n: 50, k: 70, ...e }, [isa]);
      checkCase({ m: 23, n: 45, k: 400, ...e }, [isa]);
    });
  }
});

describe('alpha: out = act(alpha x W + bias) + residual', () => {
  for (const isa of ALL_ISAS) {
    const { run, suffix } = testIsa(isa);
    run(`alpha 1/8 and -2.5, with bias, GELU and residuals, one and two K blocks (isa ${isa})${suffix}`, () => {
      checkCase({ m: 37, n: 50, k: 70, alpha: 0.125, bias: true, activation: 'gelu', residual: 'in_place' }, [isa]);
      checkCase({ m: 23, n: 45, k: 400, alpha: -2.5, bias: true, residual: 'separate' }, [isa]);
      checkCase({ m: 3, n: 33, k: 5, alpha: 0 }, [isa]);
    });
  }
});

describe('layouts and strided views', () => {
  for (const isa of ALL_ISAS) {
    const { run, suffix } = testIsa(isa);
    run(`in_out ([K, N]) and out_in ([N, K]) weights give the same result (isa ${isa})${suffix}`, () => {
      checkCase({ m: 33, n: 70, k: 90, layout: 'in_out', bias: true }, [isa]);
      const c: Case = { m: 33, n: 70, k: 90 };
      const inputs = inputsFor(c);
      const outIn = packWeight(inputs.weight, 'out_in');
      // The same weight seen as [K, N] through strides: in_out with strides [1, K].
      const transposed = { data: inputs.weight.data, shape: [c.k, c.n], strides: [1, c.k] };
      const inOut = packWeight(transposed, 'in_out');
      expect(linearSync(inputs.x, inOut, { isa }).data).toEqual(linearSync(inputs.x, outIn, { isa }).data);
    });

    run(`row-strided x, out and residual (isa ${isa})${suffix}`, () => {
      checkCase({ m: 45, n: 37, k: 60, xRowStride: 67, outRowStride: 41, bias: true, activation: 'gelu_tanh', residual: 'separate' }, [isa]);
      checkCase({ m: 45, n: 37, k: 60, xRowStride: 67, outRowStride: 41, residual: 'in_place' }, [isa]);
    });
  }

  test('the class-token rows of [B, N, C] as x [B, C] with row stride N * C', async () => {
    const [batch, tokens, channels, classes] = [4, 197, 48, 10];
    const hidden = randomFloat32(batch * tokens * channels, 11);
    const x = { data: hidden, shape: [batch, channels], strides: [tokens * channels, 1] };
    const weight = { data: randomFloat32(classes * channels, 12), shape: [classes, channels] };
    const bias = randomFloat32(classes, 13);
    const out = await linear(x, packWeight(weight, 'out_in'), { bias });
    expectClose(out.data, referenceLinear(x, weight, 'out_in', { bias }), TOLERANCE.kernel, 'class-token rows');
  });

  test('out receives the rows and leaves the gaps between them untouched', () => {
    const c: Case = { m: 7, n: 20, k: 30 };
    const inputs = inputsFor(c);
    const out = { data: new Float32Array(7 * 25).fill(NaN), shape: [7, 20], strides: [25, 1] };
    const result = linearSync(inputs.x, packWeight(inputs.weight, 'out_in'), { out });
    expect(result.data).toBe(out.data);
    expectClose(contiguous(out), referenceFor(c, inputs), TOLERANCE.kernel, 'strided out');
    expect(Number.isNaN(out.data[20])).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

describe('GELU accuracy (x in [-10, 10] through a 1 x 1 identity weight)', () => {
  const count = 20001;
  const special = [0, -0, 1e-30, -1e-30, 1e-6, -1e-6, 0.5, -0.5, 1, -1, 1.4142135, -1.4142135, 50, -50, 1e4, -1e4];
  const x = Float32Array.from([...Array.from({ length: count }, (_, i) => -10 + (20 * i) / (count - 1)), ...special]);
  const input = { data: x, shape: [x.length, 1] };
  const identity = packWeight({ data: new Float32Array([1]), shape: [1, 1] }, 'out_in');
  const forms = [
    ['gelu', geluErf],
    ['gelu_tanh', geluTanh],
  ] as const;
  for (const isa of ALL_ISAS) {
    const { run, suffix } = testIsa(isa);
    run.each(forms.map(([name, f]) => [name, f]))(`%s (isa ${isa})${suffix}`, (name, f) => {
      const out = linearSync(input, identity, { activation: name, isa });
      expectClose(out.data, Float64Array.from(x, f), TOLERANCE.elementwise, `${name} isa=${isa}`);
    });
  }

  test('the bias is added before the activation', () => {
    const bias = new Float32Array([0.75]);
    const out = linearSync(input, identity, { activation: 'gelu', bias });
    expectClose(out.data, Float64Array.from(x, (v) => geluErf(Math.fround(v + 0.75))), TOLERANCE.elementwise, 'gelu(x + 0.75)');
  });
});

// ---------------------------------------------------------------------------------------------

describe('API behavior', () => {
  const c: Case = { m: 97, n: 130, k: 200, bias: true, activation: 'gelu', residual: 'separate' };
  const inputs = inputsFor(c);
  const packed = packWeight(inputs.weight, 'out_in');
  const options: LinearOptions = { bias: inputs.bias, activation: 'gelu', residual: inputs.residual };

  test('PackedWeight reports K and N for both layouts', () => {
    expect(packed).toBeInstanceOf(PackedWeight);
    expect([packed.k, packed.n]).toEqual([200, 130]);
    const inOut = packWeight({ data: new Float32Array(6), shape: [2, 3] }, 'in_out');
    expect([inOut.k, inOut.n]).toEqual([2, 3]);
  });

  test.each(ALL_ISAS.filter(isaSupported).map((isa) => [isa]))('async linear gives the same bits as linearSync (isa %s)', async (isa) => {
    const sync = linearSync(inputs.x, packed, { ...options, isa });
    const result = await linear(inputs.x, packed, { ...options, isa });
    expect(result).toBeInstanceOf(Tensor);
    expect(result.data).toEqual(sync.data);
  });

  test('threads: 1 and 3 give the same bits as the default', () => {
    const byDefault = linearSync(inputs.x, packed, options);
    expect(linearSync(inputs.x, packed, { ...options, threads: 1 }).data).toEqual(byDefault.data);
    expect(linearSync(inputs.x, packed, { ...options, threads: 3 }).data).toEqual(byDefault.data);
  });

  test('several concurrent calls are all correct', async () => {
    const cases: Case[] = Array.from({ length: 8 }, (_, i) => ({ m: 20 + 37 * i, n: 30 + 29 * i, k: 40 + 61 * i, bias: i % 2 === 0, activation: i % 3 === 0 ? 'gelu_tanh' : 'none' }));
    const all = cases.map(inputsFor);
    const weights = all.map((inp) => packWeight(inp.weight, 'out_in'));
    const results = await Promise.all(cases.map((cc, i) => linear(all[i].x, weights[i], { bias: all[i].bias, activation: cc.activation })));
    results.forEach((result, i) => expectClose(result.data, referenceFor(cases[i], all[i]), TOLERANCE.kernel, `concurrent #${i}: ${caseName(cases[i], 'auto')}`));
  });

  test('a call sees new data written into the same x buffer (workers keep packed rows only within a call)', () => {
    for (const k of [200, 1000]) {
      const cc: Case = { m: 50, n: 300, k };
      const inp = inputsFor(cc);
      const w = packWeight(inp.weight, 'out_in');
      linearSync(inp.x, w);
      inp.x.data.set(randomFloat32(inp.x.data.length, 77));
      expectClose(linearSync(inp.x, w).data, referenceFor(cc, inp), TOLERANCE.kernel, `second call, K=${k}`);
    }
  });

  test('linearArgs builds a runSequence step: two chained linears in one job', async () => {
    const second = packWeight({ data: randomFloat32(40 * 130, 21), shape: [40, 130] }, 'out_in');
    const first = linearArgs(inputs.x, packed, { bias: inputs.bias, activation: 'gelu' });
    const last = linearArgs(first.out, second, {});
    expect(first.out.data.every((v) => v === 0)).toBe(true); // nothing ran yet
    await native().runSequence([
      { op: 'linear', args: first.args },
      { op: 'linear', args: last.args },
    ]);
    expect(first.out.data).toEqual(linearSync(inputs.x, packed, { bias: inputs.bias, activation: 'gelu' }).data);
    expect(last.out.data).toEqual(linearSync(first.out, second).data);
  });

  test('inputs are not modified; the weight array is not referenced after packing', () => {
    const copies = [inputs.x.data, inputs.bias as Float32Array, (inputs.residual as TensorLike).data].map((d) => Float32Array.from(d));
    const weight = { data: Float32Array.from(inputs.weight.data), shape: inputs.weight.shape };
    const own = packWeight(weight, 'out_in');
    const before = linearSync(inputs.x, own, options);
    weight.data.fill(0);
    expect(linearSync(inputs.x, own, options).data).toEqual(before.data);
    [inputs.x.data, inputs.bias as Float32Array, (inputs.residual as TensorLike).data].forEach((d, i) => expect(d).toEqual(copies[i]));
  });

  const unsupported = FORCED_ISAS.filter((isa) => !isaSupported(isa));
  (unsupported.length > 0 ? test : test.skip)(`an isa this CPU lacks is refused with UnsupportedError${unsupported.length > 0 ? '' : ' (skipped: this CPU supports every isa)'}`, async () => {
    for (const isa of unsupported) {
      expect(() => linearSync(inputs.x, packed, { isa })).toThrow(UnsupportedError);
      await expect(linear(inputs.x, packed, { isa })).rejects.toThrow(UnsupportedError);
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('argument errors', () => {
  const [m, n, k] = [6, 5, 4];
  const x = (): TensorLike => ({ data: randomFloat32(m * k, 1), shape: [m, k] });
  const packed = packWeight({ data: randomFloat32(n * k, 2), shape: [n, k] }, 'out_in');

  const cases: { name: string; x?: unknown; weight?: unknown; options?: unknown; param: string; message: (string | RegExp)[] }[] = [
    { name: 'x with the wrong K', x: { data: new Float32Array(m * 3), shape: [m, 3] }, param: 'x', message: ['expected [M, 4]', 'received [6, 3]'] },
    { name: 'x of rank 3', x: { data: new Float32Array(m * k), shape: [2, 3, k] }, param: 'x', message: ['expected shape [M, K]', 'received [2, 3, 4]'] },
    { name: 'x data not a Float32Array', x: { data: new Float64Array(m * k), shape: [m, k] }, param: 'x', message: ['expected data to be a Float32Array', 'received Float64Array'] },
    { name: 'x data a plain array', x: { data: Array.from({ length: m * k }, () => 0), shape: [m, k] }, param: 'x', message: ['Float32Array', 'received Array'] },
    { name: 'x columns not contiguous', x: { data: new Float32Array(m * k * 2), shape: [m, k], strides: [2 * k, 2] }, param: 'x', message: ['expected contiguous columns', 'received strides [8, 2]'] },
    { name: 'x data too short', x: { data: new Float32Array(m * k - 1), shape: [m, k] }, param: 'x', message: ['needs 24 elements', 'data has 23'] },
    { name: 'weight a plain object', weight: { k, n }, param: 'weight', message: ['expected a PackedWeight (from packWeight)', 'received Object'] },
    { name: 'weight a raw tensor', weight: { data: new Float32Array(n * k), shape: [n, k] }, param: 'weight', message: ['expected a PackedWeight', 'received Object'] },
    { name: 'weight null', weight: null, param: 'weight', message: ['expected a PackedWeight', 'received null'] },
    { name: 'bias of the wrong length', options: { bias: new Float32Array(n + 1) }, param: 'bias', message: ['expected a Float32Array of length 5', 'received a Float32Array of length 6'] },
    { name: 'bias a plain array', options: { bias: [1, 2, 3, 4, 5] }, param: 'bias', message: ['expected a Float32Array of length 5', 'received 1,2,3,4,5'] },
    { name: 'unknown activation', options: { activation: 'relu' }, param: 'activation', message: ["expected one of 'none', 'gelu', 'gelu_tanh'", 'received relu'] },
    { name: 'alpha NaN', options: { alpha: NaN }, param: 'alpha', message: ['expected a finite float32 number', 'received NaN'] },
    { name: 'alpha beyond float32', options: { alpha: 1e39 }, param: 'alpha', message: ['expected a finite float32 number', 'received 1e+39'] },
    { name: 'alpha a string', options: { alpha: '2' }, param: 'alpha', message: ['expected a finite float32 number', 'received 2'] },
    { name: 'residual of the wrong shape', options: { residual: { data: new Float32Array(m * (n + 1)), shape: [m, n + 1] } }, param: 'residual', message: ['expected [6, 5]', 'received [6, 6]'] },
    { name: 'residual not a tensor', options: { residual: new Float32Array(m * n) }, param: 'residual', message: ['expected data to be a Float32Array', 'received undefined'] },
    { name: 'out of the wrong shape', options: { out: { data: new Float32Array(m * n), shape: [n, m] } }, param: 'out', message: ['expected [6, 5]', 'received [5, 6]'] },
    { name: 'out rows that overlap', options: { out: { data: new Float32Array(m * n), shape: [m, n], strides: [4, 1] } }, param: 'out', message: ['expected a row stride >= N = 5', 'received 4'] },
    { name: 'options not an object', options: 3, param: 'options', message: ['expected an object', 'received number'] },
    { name: 'threads not a positive integer', options: { threads: 0 }, param: 'threads', message: ['expected a positive integer', 'received 0'] },
    { name: 'unknown isa', options: { isa: 'neon' }, param: 'isa', message: ["expected one of 'auto'", 'received neon'] },
  ];

  test.each(cases.map((c) => [c.name, c]))('%s -> ArgumentError (sync throws, async rejects)', async (_name, c) => {
    const args = ['x' in c ? c.x : x(), 'weight' in c ? c.weight : packed, c.options] as [TensorLike, PackedWeight, LinearOptions];
    const expectError = (error: unknown): void => {
      expect(error).toBeInstanceOf(ArgumentError);
      expect((error as ArgumentError).param).toBe(c.param);
      for (const piece of c.message) expect((error as Error).message).toMatch(piece);
    };
    expect.assertions(2 * (2 + c.message.length));
    try {
      linearSync(...args);
    } catch (error) {
      expectError(error);
    }
    await linear(...args).catch(expectError);
  });

  test('out overlapping x, out overlapping bias, a residual partly overlapping out', () => {
    const shared = randomFloat32(100, 3);
    const xs = { data: shared.subarray(0, m * k), shape: [m, k] };
    expect(() => linearSync(xs, packed, { out: { data: shared.subarray(10, 10 + m * n), shape: [m, n] } })).toThrow(/out: expected memory that does not overlap x/);
    const bias = shared.subarray(60, 65);
    expect(() => linearSync(x(), packed, { bias, out: { data: shared.subarray(40, 70), shape: [m, n] } })).toThrow(/out: expected memory that does not overlap bias/);
    const out = { data: shared.subarray(0, m * n), shape: [m, n] };
    const residual = { data: shared.subarray(1, 1 + m * n), shape: [m, n] };
    expect(() => linearSync(x(), packed, { out, residual })).toThrow(/residual: expected out itself/);
    // Disjoint views of one buffer are fine, and so is residual === out.
    const apart = { data: shared.subarray(m * k, m * k + m * n), shape: [m, n] };
    expect(() => linearSync(xs, packed, { out: apart, residual: apart })).not.toThrow();
  });

  test('packWeight: bad layout, shape or data -> ArgumentError', () => {
    const w = { data: new Float32Array(6), shape: [2, 3] };
    expect(() => packWeight(w, 'rows' as WeightLayout)).toThrow(expect.objectContaining({ param: 'layout' }));
    expect(() => packWeight({ data: new Float32Array(6), shape: [6] }, 'out_in')).toThrow(/weight: expected shape \[N, K\], received \[6\]/);
    expect(() => packWeight({ data: new Float32Array(5), shape: [2, 3] }, 'in_out')).toThrow(/weight: .*needs 6 elements/);
    expect(() => packWeight({ data: new Int32Array(6), shape: [2, 3] } as unknown as TensorLike, 'in_out')).toThrow(/Float32Array/);
  });

  test('the raw binding refuses out-of-bounds and mistyped arguments with errors, never a crash', () => {
    const { args } = linearArgs(x(), packed, { bias: new Float32Array(n), residual: { data: new Float32Array(m * n), shape: [m, n] } });
    const big = new Float32Array(m * n + m * k);
    const bad: [string, object, RegExp][] = [
      ['a too short', { ...args, a: new Float32Array(m * k - 1) }, /^a: shape and strides reach element 23/],
      ['out too short', { ...args, out: new Float32Array(m * n - 1) }, /^out: shape and strides reach element/],
      ['residual too short', { ...args, residual: new Float32Array(3) }, /^residual: shape and strides reach element/],
      ['row stride past the end', { ...args, aRowStride: 1e9 }, /^a: shape and strides reach element/],
      ['bias too short', { ...args, bias: new Float32Array(n - 1) }, /^bias: expected N = 5 elements, received 4/],
      ['weight not a handle', { ...args, weight: {} }, /^weight: expected a packed weight/],
      ['K differs from the weight', { ...args, k: 3, aRowStride: 3 }, /^a: expected \[M, K\] with K = 4/],
      ['out overlapping a', { ...args, a: big.subarray(m * k), out: big }, /^out: expected memory that does not overlap a/],
      ['unknown activation', { ...args, activation: 'relu' }, /^activation: expected 'none', 'gelu' or 'gelu_tanh'/],
      ['alpha infinite', { ...args, alpha: Infinity }, /^alpha: expected a finite float32 number/],
      ['alpha not a number', { ...args, alpha: '2' }, /^alpha: expected a number/],
      ['a not a Float32Array', { ...args, a: new Float64Array(m * k) }, /^a: expected a Float32Array/],
    ];
    for (const [, badArgs, message] of bad) expect(() => native().linearSync(badArgs as typeof args)).toThrow(message);
    expect(() => native().packMatrix({ weight: new Float32Array(5), k: 2, n: 3, strideK: 3, strideN: 1 })).toThrow(/^weight: shape and strides reach element 5/);
  });
});
