/**
 * Attention under every pattern (ARCHITECTURE.md, "Attention patterns") against the fp64
 * reference given the equivalent boolean mask (combinedMask), on each SIMD path, with the
 * kernel rule of test/tolerance.ts for out and lse.
 */
import fc from 'fast-check';

import type { IsaName, Pattern } from '../../lib';
import { ArgumentError, attention, attentionSync, combinedMask, compilePattern, cpuInfo, normalizePattern } from '../../lib';
import { randomQkv, referenceAttention, seedFromString } from '../reference/attention';
import { TOLERANCE, expectClose, formatLabel } from '../tolerance';

const info = cpuInfo();
const ISAS = (['scalar', 'avx2', 'avx512'] as const).filter((isa) => isa === 'scalar' || info[isa]);

interface PatternCase {
  name: string;
  pattern: Pattern;
  n: number;
  causal?: boolean;
  keyLengths?: number[];
  D?: number;
}

/** Checks one case on one ISA: out and lse against the reference under the pattern's mask. */
function check(c: PatternCase, isa: IsaName): void {
  const dims = { B: 2, Nq: c.n, Nk: c.n, H: 2, D: c.D ?? 32 };
  const label = formatLabel({ pattern: c.name, n: c.n, causal: c.causal ? 'yes' : undefined, keyLengths: c.keyLengths, isa });
  const { q, k, v } = randomQkv(dims, seedFromString(label));
  const mask = combinedMask(normalizePattern(c.pattern, c.n, c.n), c.n, c.n);
  const ref = referenceAttention(q, k, v, { causal: c.causal, keyLengths: c.keyLengths, mask });
  const { out, lse } = attentionSync(q, k, v, { pattern: c.pattern, causal: c.causal, keyLengths: c.keyLengths, isa, returnLse: true });
  expectClose(out.data, ref.out, TOLERANCE.kernel, `${label} out`);
  expectClose(lse.data, ref.lse, TOLERANCE.kernel, `${label} lse`);
}

const CASES: PatternCase[] = [
  { name: 'sliding r=5', pattern: { type: 'sliding', radius: 5 }, n: 150 },
  { name: 'sliding r=0', pattern: { type: 'sliding', radius: 0 }, n: 70 },
  { name: 'sliding r=40 causal', pattern: { type: 'sliding', radius: 40 }, n: 200, causal: true },
  { name: 'strided l=7', pattern: { type: 'strided', stride: 7 }, n: 130 },
  { name: 'strided l=70 causal', pattern: { type: 'strided', stride: 70 }, n: 200, causal: true },
  { name: 'strided l=5 (column classes of 3 tiles)', pattern: { type: 'strided', stride: 5 }, n: 700 },
  { name: 'strided l=16 causal, key lengths', pattern: { type: 'strided', stride: 16 }, n: 300, causal: true, keyLengths: [300, 101] },
  { name: 'strided l=9, key lengths 0', pattern: { type: 'strided', stride: 9 }, n: 90, keyLengths: [0, 90] },
  { name: 'strided l=2^50 (once a crash: its residue table was stride-sized)', pattern: { type: 'strided', stride: 2 ** 50 }, n: 60 },
  { name: 'fixed l=16 c=2', pattern: { type: 'fixed', block: 16, summary: 2 }, n: 150 },
  { name: 'fixed l=50 c=1 causal', pattern: { type: 'fixed', block: 50, summary: 1 }, n: 170, causal: true },
  { name: '1D window 7', pattern: { type: 'neighborhood', grid: [100], window: [7] }, n: 100 },
  { name: '1D window 1', pattern: { type: 'neighborhood', grid: [90], window: [1] }, n: 90 },
  { name: '1D window > axis', pattern: { type: 'neighborhood', grid: [20], window: [31] }, n: 20 },
  { name: '1D dilation 3 on 70', pattern: { type: 'neighborhood', grid: [70], window: [5], dilation: [3] }, n: 70 },
  { name: '2D 7x7 on 13x11', pattern: { type: 'neighborhood', grid: [13, 11], window: [7, 7] }, n: 143 },
  { name: '2D 3x5 dilation 2x3, class token', pattern: { type: 'neighborhood', grid: [10, 9], window: [3, 5], dilation: [2, 3], offset: 1 }, n: 91 },
  { name: '2D window > grid', pattern: { type: 'neighborhood', grid: [5, 6], window: [9, 9] }, n: 30 },
  { name: '2D 5x5 causal', pattern: { type: 'neighborhood', grid: [12, 12], window: [5, 5] }, n: 144, causal: true },
  { name: '3D 3x5x5 on 4x9x7', pattern: { type: 'neighborhood', grid: [4, 9, 7], window: [3, 5, 5] }, n: 252 },
  { name: '3D T=1', pattern: { type: 'neighborhood', grid: [1, 10, 10], window: [3, 3, 3] }, n: 100 },
  { name: 'axial temporal [T,H,W]', pattern: { type: 'axial', grid: [9, 5, 6], axes: [0] }, n: 270 },
  { name: 'axial spatial + class token', pattern: { type: 'axial', grid: [3, 9, 10], axes: [1, 2], offset: 1 }, n: 271 },
  { name: 'axial rows of an image', pattern: { type: 'axial', grid: [17, 13], axes: [1] }, n: 221 },
  { name: 'axial T=1 causal', pattern: { type: 'axial', grid: [1, 8, 8], axes: [0] }, n: 64, causal: true },
  { name: 'global + sliding', pattern: { type: 'global', tokens: [0, 77, 149], inner: { type: 'sliding', radius: 3 } }, n: 150 },
  { name: 'global + 2D neighborhood', pattern: { type: 'global', tokens: [0, 5], inner: { type: 'neighborhood', grid: [10, 10], window: [3, 3], offset: 1 } }, n: 101 },
  { name: 'sliding with key lengths', pattern: { type: 'sliding', radius: 20 }, n: 120, keyLengths: [120, 37] },
  { name: '2D with key lengths 0', pattern: { type: 'neighborhood', grid: [8, 8], window: [3, 3] }, n: 64, keyLengths: [0, 50] },
  { name: 'D=80', pattern: { type: 'neighborhood', grid: [9, 9], window: [3, 3] }, n: 81, D: 80 },
  { name: 'D=3', pattern: { type: 'sliding', radius: 2 }, n: 40, D: 3 },
];

function maskPattern(nq: number, nk: number, seed: number): Pattern {
  const bits = new Uint8Array(nq * nk);
  let x = seed;
  for (let i = 0; i < bits.length; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    bits[i] = x % 5 === 0 ? 1 : 0;
  }
  bits.fill(0, 3 * nk, 5 * nk); // rows 3 and 4: no key at all
  return { type: 'mask', bits };
}

describe('attention with a pattern equals the reference under its mask', () => {
  const table = CASES.flatMap((c) => ISAS.map((isa) => [`${c.name} ${isa}`, c, isa] as const));
  test.each(table)('%s', (_name, c, isa) => check(c, isa));

  test.each(ISAS)('explicit mask with empty rows, Nq != Nk (%s)', (isa) => {
    const nq = 70;
    const nk = 130;
    const pattern = maskPattern(nq, nk, 7);
    const dims = { B: 2, Nq: nq, Nk: nk, H: 2, D: 16 };
    const { q, k, v } = randomQkv(dims, 11);
    const mask = combinedMask(normalizePattern(pattern, nq, nk), nq, nk);
    const ref = referenceAttention(q, k, v, { mask });
    const { out, lse } = attentionSync(q, k, v, { pattern, isa, returnLse: true });
    expectClose(out.data, ref.out, TOLERANCE.kernel, `mask ${isa} out`);
    expectClose(lse.data, ref.lse, TOLERANCE.kernel, `mask ${isa} lse`);
    expect(out.data.slice(3 * 2 * 16, 5 * 2 * 16).every((x) => x === 0)).toBe(true);
  });
});

describe('compiled patterns', () => {
  test('a compiled pattern gives the same result as the raw one, sync and async', async () => {
    const pattern: Pattern = { type: 'neighborhood', grid: [10, 12], window: [5, 3] };
    const compiled = compilePattern(pattern, { n: 120 });
    const { q, k, v } = randomQkv({ B: 1, Nq: 120, Nk: 120, H: 3, D: 64 }, 5);
    const raw = attentionSync(q, k, v, { pattern });
    expect(attentionSync(q, k, v, { pattern: compiled }).data).toEqual(raw.data);
    expect((await attention(q, k, v, { pattern: compiled })).data).toEqual(raw.data);
  });

  test('stats count the allowed pairs of the mask and skip empty tiles', () => {
    const spec = normalizePattern({ type: 'neighborhood', grid: [64, 64], window: [7, 7] }, 4096, 4096);
    const compiled = compilePattern(spec, { n: 4096 });
    const mask = combinedMask(spec, 4096, 4096);
    expect(compiled.stats.allowedPairs).toBe(mask.reduce((a, b) => a + b, 0));
    expect(compiled.stats.computedPairs).toBeLessThan(4096 * 4096 / 10);
  });

  test('strided patterns run as a local band and residue-class columns: about 2x the allowed pairs, not 22x', () => {
    const stats = compilePattern({ type: 'strided', stride: 64 }, { n: 4096 }, { causal: true }).stats;
    expect(stats.computedPairs / stats.allowedPairs).toBeLessThan(2.1);
  });

  test('a strided plan counts the mask\'s pairs and grows with N, not N^2', () => {
    const spec = normalizePattern({ type: 'strided', stride: 37 }, 1500, 1500);
    const { allowedPairs } = compilePattern(spec, { n: 1500 }, { causal: true }).stats;
    expect(allowedPairs).toBe(combinedMask(spec, 1500, 1500, { causal: true }).reduce((a, b) => a + b, 0));
    // The one tile plan of all rows had (N / 64) x (N / 96) / 2 key tiles, 1.4 million here (27,327 split).
    const n = 2 ** 17;
    expect(compilePattern({ type: 'strided', stride: 64 }, { n }, { causal: true }).stats.keyTiles).toBeLessThan(n / 2);
  });

  test('axial patterns compile to full tiles only', () => {
    const compiled = compilePattern({ type: 'axial', grid: [20, 16, 16], axes: [0] }, { n: 5120 });
    expect(compiled.stats.partialTiles).toBe(0);
    expect(compiled.stats.computedPairs).toBe(compiled.stats.allowedPairs);
  });

  test('a pattern compiled for other sizes or causality is refused, naming pattern', () => {
    const compiled = compilePattern({ type: 'sliding', radius: 2 }, { n: 50 });
    const { q, k, v } = randomQkv({ B: 1, Nq: 60, Nk: 60, H: 1, D: 8 }, 1);
    expect(() => attentionSync(q, k, v, { pattern: compiled })).toThrow(ArgumentError);
    const same = randomQkv({ B: 1, Nq: 50, Nk: 50, H: 1, D: 8 }, 1);
    expect(() => attentionSync(same.q, same.k, same.v, { pattern: compiled, causal: true })).toThrow(/pattern: expected a pattern compiled for Nq = 50, Nk = 50, causal = true/);
  });

  test('an invalid pattern is an ArgumentError naming the field', () => {
    const { q, k, v } = randomQkv({ B: 1, Nq: 30, Nk: 30, H: 1, D: 8 }, 1);
    const bad = { type: 'neighborhood', grid: [5, 5], window: [3, 3] } as Pattern;
    expect(() => attentionSync(q, k, v, { pattern: bad })).toThrow(expect.objectContaining({ param: 'pattern.grid' }));
    const zero = { type: 'neighborhood', grid: [5, 6], window: [0, 3] } as Pattern;
    expect(() => attentionSync(q, k, v, { pattern: zero })).toThrow(expect.objectContaining({ param: 'pattern.window[0]' }));
  });
});

describe('property: random patterns and shapes', () => {
  const patternArb = fc.oneof(
    fc.record({ type: fc.constant('sliding' as const), radius: fc.integer({ min: 0, max: 40 }) }),
    fc.record({ type: fc.constant('strided' as const), stride: fc.integer({ min: 1, max: 40 }) }),
    fc.integer({ min: 1, max: 30 }).chain((block) => fc.record({ type: fc.constant('fixed' as const), block: fc.constant(block), summary: fc.integer({ min: 0, max: block }) })),
  );
  const gridArb = fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 3 });

  test('sequence patterns', () => {
    fc.assert(
      fc.property(patternArb, fc.integer({ min: 1, max: 160 }), fc.boolean(), fc.constantFrom(...ISAS), (pattern, n, causal, isa) => {
        check({ name: JSON.stringify(pattern), pattern, n, causal, D: 16 }, isa);
      }),
      { numRuns: 25, seed: 42 },
    );
  });

  test('grid patterns', () => {
    fc.assert(
      fc.property(gridArb, fc.integer({ min: 0, max: 2 }), fc.boolean(), fc.boolean(), fc.constantFrom(...ISAS), fc.integer({ min: 1, max: 1000 }), (grid, offset, axial, causal, isa, seed) => {
        const n = grid.reduce((a, b) => a * b, 1) + offset;
        const pattern: Pattern = axial
          ? { type: 'axial', grid, axes: grid.map((_, a) => a).filter((a) => (seed >> a) & 1), offset }
          : { type: 'neighborhood', grid, window: grid.map((_, a) => 1 + ((seed >> (2 * a)) % 9)), dilation: grid.map((_, a) => 1 + ((seed >> (3 * a)) % 3)), offset };
        check({ name: JSON.stringify(pattern), pattern, n, causal, D: 16 }, isa);
      }),
      { numRuns: 30, seed: 7 },
    );
  });
});
