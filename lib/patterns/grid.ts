/**
 * What the grid patterns (neighborhood, axial) share. A grid [n0, .., n_{r-1}] (1 to 3 axes,
 * row-major, last axis fastest) occupies positions offset .. offset + prod(grid) - 1 of the
 * sequence; the positions before it (e.g. a class token) are global: they see every key and
 * every query sees them. Inside the grid, a query at coordinates x sees the keys whose
 * coordinate on every axis a lies in the axis range ranges[a][x_a], an arithmetic progression;
 * so a row's keys are a product of per-axis progressions, which can be counted without
 * testing every key.
 */
import { ArgumentError } from '../errors';
import { contiguousStrides, shapeSize } from '../tensor';
import { readInt, readIntList } from './fields';
import type { NormalizeContext, PatternFields } from './kind';
import type { PairPredicate, RowCounter } from './types';

export const MAX_GRID_RANK = 3;

/** The grid and where it starts in the sequence. */
export interface GridPlacement {
  grid: number[];
  offset: number;
}

/** Key coordinates first, first + step, .., first + (count - 1) * step along one axis. */
export interface AxisRange {
  first: number;
  step: number;
  count: number;
}

/** ranges[a][x]: along axis a, the key coordinates that a query at coordinate x sees. */
export type AxisRanges = readonly (readonly AxisRange[])[];

/**
 * Reads `grid` and `offset` (default 0) and checks that the grid fills the sequence after the
 * offset: prod(grid) == N - offset, where N = Nq = Nk.
 */
export function readGrid(fields: PatternFields, ctx: NormalizeContext): GridPlacement {
  const grid = readIntList(fields, 'grid', ctx.path, { length: [1, MAX_GRID_RANK], min: 1 });
  const offset = readInt(fields, 'offset', ctx.path, 0, Infinity, 0);
  const cells = shapeSize(grid);
  if (cells !== ctx.nq - offset) {
    throw new ArgumentError(
      `${ctx.path}.grid`,
      `expected N - offset = ${ctx.nq} - ${offset} = ${ctx.nq - offset} cells (the grid fills the sequence after the offset), ` +
        `received [${grid.join(', ')}] (${cells} cells)`,
    );
  }
  return { grid, offset };
}

function inRange(range: AxisRange, y: number): boolean {
  const d = y - range.first;
  return d >= 0 && d % range.step === 0 && d / range.step < range.count;
}

/** The pair predicate of a grid pattern: outside tokens are global, grid pairs follow the ranges. */
export function gridPredicate({ grid, offset }: GridPlacement, ranges: AxisRanges): PairPredicate {
  const strides = contiguousStrides(grid);
  return (i, j) => {
    if (i < offset || j < offset) return true;
    const qi = i - offset;
    const kj = j - offset;
    return grid.every((n, a) => inRange(ranges[a][Math.floor(qi / strides[a]) % n], Math.floor(kj / strides[a]) % n));
  };
}

/**
 * Counts the grid-local indices sum_a c_a * strides[a] < bound with each c_a in rowRanges[a].
 * Walks axis by axis; a coordinate whose whole sub-grid lies below the bound adds the size of the
 * remaining product at once, so the walk never needs to go past the last axis (stride 1).
 */
function countProductBelow(rowRanges: readonly AxisRange[], strides: readonly number[], bound: number): number {
  const tailSizes = rowRanges.map((_, a) => shapeSize(rowRanges.slice(a + 1).map((r) => r.count)));
  const visit = (axis: number, base: number): number => {
    const { first, step, count } = rowRanges[axis];
    let total = 0;
    for (let t = 0; t < count; t++) {
      const start = base + (first + t * step) * strides[axis];
      if (start >= bound) break;
      total += start + strides[axis] <= bound ? tailSizes[axis] : visit(axis + 1, start);
    }
    return total;
  };
  return visit(0, 0);
}

/** The row counter of a grid pattern, in O(sum of range counts) per row. */
export function gridRowCounter({ grid, offset }: GridPlacement, ranges: AxisRanges): RowCounter {
  const strides = contiguousStrides(grid);
  return (i, limit) => {
    if (i < offset) return limit;
    const qi = i - offset;
    const rowRanges = grid.map((n, a) => ranges[a][Math.floor(qi / strides[a]) % n]);
    return Math.min(offset, limit) + (limit > offset ? countProductBelow(rowRanges, strides, limit - offset) : 0);
  };
}
