/**
 * `axial {grid, axes, offset?}`: attention along some axes of a grid. Query i sees key j when
 * their coordinates are equal on every axis NOT in `axes`: in a [T, H, W] video grid, axes [0]
 * is temporal attention (same patch, every frame) and axes [1, 2] spatial attention (inside each
 * frame); axes [1] of an [H, W] image is attention along its rows. Tokens before the grid are global.
 */
import { ArgumentError } from '../errors';
import { readIntList } from './fields';
import type { AxisRange } from './grid';
import { gridPredicate, gridRowCounter, readGrid } from './grid';
import type { PatternKind } from './kind';
import type { AxialSpec } from './types';

/** ranges[a][x]: the whole axis where a is attended along, else only x itself. */
function axialRanges(spec: AxialSpec): AxisRange[][] {
  return spec.grid.map((n, a) => {
    const whole: AxisRange = { first: 0, step: 1, count: n };
    return Array.from({ length: n }, (_, x) => (spec.axes.includes(a) ? whole : { first: x, step: 1, count: 1 }));
  });
}

export const axial: PatternKind<AxialSpec> = {
  fields: ['grid', 'axes', 'offset'],
  oneSequence: true,
  normalize(fields, ctx) {
    const { grid, offset } = readGrid(fields, ctx);
    const rank = grid.length;
    const axes = readIntList(fields, 'axes', ctx.path, { length: [0, rank], lengthReason: 'distinct grid axes', min: 0, max: rank - 1 });
    axes.forEach((axis, i) => {
      if (axes.indexOf(axis) !== i) {
        throw new ArgumentError(`${ctx.path}.axes[${i}]`, `expected distinct axes, received axis ${axis} again in [${axes.join(', ')}]`);
      }
    });
    return { type: 'axial', grid, axes: axes.sort((a, b) => a - b), offset };
  },
  allowed: (spec) => gridPredicate(spec, axialRanges(spec)),
  rowCounter: (spec) => gridRowCounter(spec, axialRanges(spec)),
};
