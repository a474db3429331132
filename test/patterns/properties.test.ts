/**
 * Properties over random patterns and shapes (fast-check):
 *   - countAllowedPairs (fast per-row counts for full, sliding, grid and global patterns) equals
 *     the number of ones of the dense mask, with causal and a key length;
 *   - normalizing a normalized spec gives it back (a spec is a valid pattern);
 *   - neighborhood predicates equal a naive reading of the NATTEN rule, which lists each
 *     dilation group and slices the window out of it.
 */
import fc from 'fast-check';

import type { NeighborhoodPattern, Pattern } from '../../lib';
import { combinedMask, countAllowedPairs, normalizePattern, patternPredicate } from '../../lib';

interface Case {
  pattern: Pattern;
  nq: number;
  nk: number;
}

const MAX_N = 12;

const sequenceLength = fc.integer({ min: 1, max: MAX_N });

/** A grid of 1 to 3 axes, with 0 to 2 tokens before it. */
const placement = fc.record({ grid: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), offset: fc.integer({ min: 0, max: 2 }) });

const perAxis = (rank: number, max: number) => fc.array(fc.integer({ min: 1, max }), { minLength: rank, maxLength: rank });

const sizeOf = (grid: readonly number[], offset: number) => grid.reduce((a, b) => a * b, 1) + offset;

const neighborhoodCase: fc.Arbitrary<Case> = placement.chain(({ grid, offset }) =>
  fc
    .record({ window: perAxis(grid.length, 6), dilation: fc.option(perAxis(grid.length, 5), { nil: undefined }) })
    .map(({ window, dilation }): Case => {
      const n = sizeOf(grid, offset);
      return { pattern: { type: 'neighborhood', grid, window, ...(dilation && { dilation }), offset }, nq: n, nk: n };
    }),
);

const axialCase: fc.Arbitrary<Case> = placement.chain(({ grid, offset }) =>
  fc.shuffledSubarray([...grid.keys()]).map((axes): Case => {
    const n = sizeOf(grid, offset);
    return { pattern: { type: 'axial', grid, axes, offset }, nq: n, nk: n };
  }),
);

const selfCase = (pattern: (n: number) => fc.Arbitrary<Pattern>): fc.Arbitrary<Case> =>
  sequenceLength.chain((n) => pattern(n).map((p) => ({ pattern: p, nq: n, nk: n })));

const maskCase: fc.Arbitrary<Case> = fc.record({ nq: sequenceLength, nk: sequenceLength }).chain(({ nq, nk }) =>
  fc.array(fc.boolean(), { minLength: nq * nk, maxLength: nq * nk }).map((bits): Case => ({ pattern: { type: 'mask', bits }, nq, nk })),
);

const simpleCase: fc.Arbitrary<Case> = fc.oneof(
  fc.record({ nq: sequenceLength, nk: sequenceLength }).map(({ nq, nk }): Case => ({ pattern: { type: 'full' }, nq, nk })),
  selfCase(() => fc.integer({ min: 0, max: MAX_N + 1 }).map((radius): Pattern => ({ type: 'sliding', radius }))),
  selfCase(() => fc.integer({ min: 1, max: MAX_N + 1 }).map((stride): Pattern => ({ type: 'strided', stride }))),
  selfCase(() => fc.integer({ min: 1, max: 6 }).chain((block) => fc.integer({ min: 0, max: block }).map((summary): Pattern => ({ type: 'fixed', block, summary })))),
  neighborhoodCase,
  axialCase,
  maskCase,
);

const globalCase: fc.Arbitrary<Case> = simpleCase
  .filter(({ nq, nk }) => nq === nk)
  .chain(({ pattern, nq, nk }) =>
    fc.array(fc.integer({ min: 0, max: nq - 1 }), { maxLength: 4 }).map((tokens): Case => ({ pattern: { type: 'global', tokens, inner: pattern }, nq, nk })),
  );

const anyCase = fc.oneof(simpleCase, globalCase);

test('countAllowedPairs equals the ones of the dense mask, with causal and a key length', () => {
  fc.assert(
    fc.property(anyCase, fc.boolean(), fc.double({ min: 0, max: 1, noNaN: true }), ({ pattern, nq, nk }, causal, keyFraction) => {
      const spec = normalizePattern(pattern, nq, nk);
      const options = { causal, keyLength: Math.round(keyFraction * nk) };
      const ones = combinedMask(spec, nq, nk, options).reduce((a, b) => a + b, 0);
      expect(countAllowedPairs(spec, nq, nk, options)).toBe(ones);
    }),
    { numRuns: 2000 },
  );
});

test('a normalized spec normalizes to itself', () => {
  fc.assert(
    fc.property(anyCase, ({ pattern, nq, nk }) => {
      const spec = normalizePattern(pattern, nq, nk);
      expect(normalizePattern(spec, nq, nk)).toEqual(spec);
    }),
    { numRuns: 500 },
  );
});

/** The NATTEN rule read literally: list the query's dilation group, slice its window. */
function naiveNeighborhood({ grid, window, dilation = grid.map(() => 1), offset = 0 }: NeighborhoodPattern): (i: number, j: number) => boolean {
  const coords = (position: number): number[] => {
    const out: number[] = [];
    let rest = position - offset;
    for (let a = grid.length - 1; a >= 0; a--) {
      out[a] = rest % grid[a];
      rest = Math.floor(rest / grid[a]);
    }
    return out;
  };
  const axisWindow = (a: number, x: number): number[] => {
    const [n, k, d] = [grid[a], window[a], dilation[a]];
    const group = [...Array(n).keys()].filter((y) => y % d === x % d);
    const m = group.length;
    const start = Math.min(Math.max(group.indexOf(x) - Math.floor(k / 2), 0), Math.max(m - k, 0));
    return group.slice(start, start + Math.min(k, m));
  };
  return (i, j) => {
    if (i < offset || j < offset) return true;
    const [ci, cj] = [coords(i), coords(j)];
    return grid.every((_, a) => axisWindow(a, ci[a]).includes(cj[a]));
  };
}

test('neighborhood predicates follow the NATTEN rule read literally', () => {
  fc.assert(
    fc.property(neighborhoodCase, ({ pattern, nq, nk }) => {
      const allowed = patternPredicate(normalizePattern(pattern, nq, nk), nq, nk);
      const naive = naiveNeighborhood(pattern as NeighborhoodPattern);
      const pairs = Array.from({ length: nq * nk }, (_, e) => [Math.floor(e / nk), e % nk] as const);
      expect(pairs.filter(([i, j]) => allowed(i, j))).toEqual(pairs.filter(([i, j]) => naive(i, j)));
    }),
    { numRuns: 500 },
  );
});

test('countAllowedPairs counts large grids quickly: divided space-time attention on 375 x 16 x 16 tokens', () => {
  const n = 375 * 16 * 16;
  const temporal = normalizePattern({ type: 'axial', grid: [375, 16, 16], axes: [0] }, n, n);
  const spatial = normalizePattern({ type: 'axial', grid: [375, 16, 16], axes: [1, 2] }, n, n);
  expect(countAllowedPairs(temporal, n, n)).toBe(n * 375);
  expect(countAllowedPairs(spatial, n, n)).toBe(n * 256);
  expect(countAllowedPairs(spatial, n, n, { causal: true })).toBe(375 * ((256 * 257) / 2));
});
