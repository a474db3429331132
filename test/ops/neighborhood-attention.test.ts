/**
 * Neighborhood patterns on the SIMD paths run the direct neighborhood kernel (queries of a grid
 * line in SIMD lanes, exactly the window's keys): checked against the fp64 reference under the
 * pattern's mask (ARCHITECTURE.md, "Attention patterns"), with the kernel rule of
 * test/tolerance.ts, on shapes that reach every branch of it: clamped windows on every axis,
 * dilation groups of unequal sizes, lines shorter than a vector or not a multiple of it, global
 * tokens before the grid, causal, key lengths inside the grid, several head sizes.
 */
import type { IsaName, Pattern } from '../../lib';
import { attentionSync, combinedMask, compilePattern, cpuInfo, normalizePattern } from '../../lib';
import { randomQkv, referenceAttention, seedFromString } from '../reference/attention';
import { TOLERANCE, expectClose, formatLabel } from '../tolerance';

const info = cpuInfo();
const ISAS = (['scalar', 'avx2', 'avx512'] as const).filter((isa) => isa === 'scalar' || info[isa]);

interface NeighborhoodCase {
  name: string;
  grid: number[];
  window: number[];
  dilation?: number[];
  /** Global tokens before the grid (the grid's offset). */
  before?: number;
  causal?: boolean;
  keyLengths?: number[];
  D?: number;
}

function patternOf(c: NeighborhoodCase): { pattern: Pattern; n: number } {
  const volume = c.grid.reduce((a, b) => a * b, 1);
  const pattern: Pattern = { type: 'neighborhood', grid: c.grid, window: c.window, dilation: c.dilation, offset: c.before ?? 0 };
  return { pattern, n: volume + (c.before ?? 0) };
}

function check(c: NeighborhoodCase, isa: IsaName): void {
  const { pattern, n } = patternOf(c);
  const dims = { B: 2, Nq: n, Nk: n, H: 2, D: c.D ?? 16 };
  const label = formatLabel({ neighborhood: c.name, n, causal: c.causal ? 'yes' : undefined, keyLengths: c.keyLengths, isa });
  const { q, k, v } = randomQkv(dims, seedFromString(label));
  const mask = combinedMask(normalizePattern(pattern, n, n), n, n);
  const ref = referenceAttention(q, k, v, { causal: c.causal, keyLengths: c.keyLengths, mask });
  const { out, lse } = attentionSync(q, k, v, { pattern, causal: c.causal, keyLengths: c.keyLengths, isa, returnLse: true });
  expectClose(out.data, ref.out, TOLERANCE.kernel, `${label} out`);
  expectClose(lse.data, ref.lse, TOLERANCE.kernel, `${label} lse`);
}

const CASES: NeighborhoodCase[] = [
  { name: '1D window 5', grid: [40], window: [5], D: 8 },
  { name: '1D window 1', grid: [37], window: [1] },
  { name: '1D window > axis', grid: [11], window: [15] },
  { name: '1D dilation 3 (unequal groups)', grid: [50], window: [4], dilation: [3] },
  { name: '2D last axis 21', grid: [13, 21], window: [5, 7], D: 64 },
  { name: '2D borders on both axes', grid: [9, 35], window: [3, 9] },
  { name: '2D window > grid', grid: [5, 7], window: [9, 11] },
  { name: '2D dilation not dividing', grid: [10, 23], window: [3, 5], dilation: [3, 4] },
  { name: '2D dilation 13 (lanes spread past a vector)', grid: [6, 40], window: [3, 3], dilation: [2, 13] },
  { name: '2D last axis 5', grid: [12, 5], window: [3, 3], D: 80 },
  { name: '2D last axis 11', grid: [7, 11], window: [5, 3] },
  { name: '2D 7x7 on 16x32, D=128', grid: [16, 32], window: [7, 7], D: 128 },
  { name: '3D 3x5x7 on 4x9x19', grid: [4, 9, 19], window: [3, 5, 7] },
  { name: '3D T=1', grid: [1, 12, 18], window: [3, 5, 5] },
  { name: '3D dilated', grid: [5, 6, 20], window: [3, 3, 5], dilation: [2, 1, 3] },
  { name: 'class token', grid: [10, 18], window: [5, 5], before: 1, D: 64 },
  { name: 'two tokens before the grid', grid: [6, 20], window: [3, 7], before: 2 },
  { name: 'causal', grid: [9, 20], window: [5, 7], causal: true },
  { name: 'causal, class token, dilation', grid: [8, 19], window: [3, 5], dilation: [1, 2], before: 1, causal: true },
  { name: 'key lengths inside the grid', grid: [8, 20], window: [3, 5], keyLengths: [97, 33] },
  { name: 'key lengths with a class token', grid: [6, 17], window: [5, 3], before: 1, keyLengths: [90, 0] },
  { name: 'key lengths inside the class token', grid: [5, 9], window: [3, 3], before: 2, keyLengths: [1, 46] },
  { name: 'causal with key lengths', grid: [7, 18], window: [3, 5], causal: true, keyLengths: [70, 126], D: 8 },
];

describe('neighborhood patterns on the direct kernel equal the reference under their mask', () => {
  const table = CASES.flatMap((c) => ISAS.map((isa) => [`${c.name} ${isa}`, c, isa] as const));
  test.each(table)('%s', (_name, c, isa) => check(c, isa));
});

describe('the direct kernel computes only the window pairs', () => {
  test.each([
    ['2D 7x7 on 64x64', { type: 'neighborhood', grid: [64, 64], window: [7, 7] }, 4096],
    ['3D 3x7x7 on 8x32x32', { type: 'neighborhood', grid: [8, 32, 32], window: [3, 7, 7] }, 8192],
    ['1D 7 on 4096', { type: 'neighborhood', grid: [4096], window: [7] }, 4096],
  ] as const)('%s: computed pairs = allowed pairs', (_name, pattern, n) => {
    const compiled = compilePattern(pattern as Pattern, { n });
    expect(compiled.stats.computedPairs).toBe(compiled.stats.allowedPairs);
  });

  test('a lone line whose tiles waste less than 2x stays on the tile kernel (1D 65 on 4096)', () => {
    const compiled = compilePattern({ type: 'neighborhood', grid: [4096], window: [65] }, { n: 4096 });
    expect(compiled.stats.computedPairs).toBeGreaterThan(compiled.stats.allowedPairs);
  });

  test('with a class token: the grid rows exactly, the token row against every key', () => {
    const compiled = compilePattern({ type: 'neighborhood', grid: [16, 16], window: [5, 5], offset: 1 }, { n: 257 });
    expect(compiled.stats.computedPairs).toBe(compiled.stats.allowedPairs);
  });
});
