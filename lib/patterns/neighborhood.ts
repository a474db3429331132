/**
 * `neighborhood {grid, window, dilation?, offset?}`: NATTEN neighborhood attention on a 1D, 2D or
 * 3D grid. Along an axis of size n with dilation d, coordinates split into d interleaved groups
 * (same coordinate mod d); in its group of size m, a query at group index p sees the min(k, m)
 * consecutive group indices starting at clamp(p - floor(k / 2), 0, max(m - k, 0)), so windows
 * shift inward at the edges and always hold min(k, m) keys. A key is allowed when it is in the
 * window on every axis; tokens before the grid are global.
 */
import { readIntList } from './fields';
import type { AxisRange } from './grid';
import { gridPredicate, gridRowCounter, readGrid } from './grid';
import type { PatternKind } from './kind';
import type { NeighborhoodSpec } from './types';

/** Along one axis of size n: the key coordinates seen from coordinate x with window k, dilation d. */
function axisWindow(n: number, k: number, d: number, x: number): AxisRange {
  const group = x % d;
  const p = Math.floor(x / d);
  const m = Math.floor((n - 1 - group) / d) + 1;
  const start = Math.min(Math.max(p - Math.floor(k / 2), 0), Math.max(m - k, 0));
  return { first: group + start * d, step: d, count: Math.min(k, m) };
}

/** windows[a][x]: the axis range of coordinate x on axis a. */
function windowRanges(spec: NeighborhoodSpec): AxisRange[][] {
  return spec.grid.map((n, a) => Array.from({ length: n }, (_, x) => axisWindow(n, spec.window[a], spec.dilation[a], x)));
}

export const neighborhood: PatternKind<NeighborhoodSpec> = {
  fields: ['grid', 'window', 'dilation', 'offset'],
  oneSequence: true,
  normalize(fields, ctx) {
    const { grid, offset } = readGrid(fields, ctx);
    const perAxis = { length: [grid.length, grid.length], lengthReason: 'one per grid axis', min: 1 } as const;
    const window = readIntList(fields, 'window', ctx.path, perAxis);
    const dilation = fields.dilation === undefined ? grid.map(() => 1) : readIntList(fields, 'dilation', ctx.path, perAxis);
    return { type: 'neighborhood', grid, window, dilation, offset };
  },
  allowed: (spec) => gridPredicate(spec, windowRanges(spec)),
  rowCounter: (spec) => gridRowCounter(spec, windowRanges(spec)),
};
