/**
 * Position embeddings: sinusoidal tables for 1D, 2D and 3D grids (checked entry by entry against
 * the formula written out here in float64) and the resampling helpers (identity cases and
 * hand-computed values; the end-to-end bicubic case is covered by the vit-interp fixture).
 */
import { ArgumentError } from '../../lib/errors';
import { interpolateGrid2d, nearestGrid, sinusoidalPositions } from '../../lib/nn/position';

/** Entry (token, channel) of the table: per axis, [sin(p w_0..w_{k-1}), cos(p w_0..w_{k-1})], w_i = 10000^(-i/k). */
function expected(grid: readonly number[], dim: number, token: number, channel: number): number {
  const perAxis = dim / grid.length;
  const half = perAxis / 2;
  const axis = Math.floor(channel / perAxis);
  const within = channel % perAxis;
  const coords: number[] = [];
  let rest = token;
  for (let a = grid.length - 1; a >= 0; a--) {
    coords[a] = rest % grid[a];
    rest = Math.floor(rest / grid[a]);
  }
  const i = within % half;
  const angle = coords[axis] / 10000 ** (i / half);
  return within < half ? Math.sin(angle) : Math.cos(angle);
}

test.each([
  [[7], 8],
  [[3, 5], 12],
  [[2, 3, 4], 24],
])('sinusoidalPositions(%j, %i) follows the formula', (grid, dim) => {
  const table = sinusoidalPositions(grid, dim);
  const tokens = grid.reduce((a, b) => a * b, 1);
  expect(table.length).toBe(tokens * dim);
  for (let t = 0; t < tokens; t++) {
    for (let c = 0; c < dim; c++) expect(table[t * dim + c]).toBeCloseTo(expected(grid, dim, t, c), 6);
  }
  // token 0 sits at the origin of every axis: sin 0 = 0, cos 0 = 1
  expect(Array.from(table.subarray(0, dim))).toEqual(Array.from({ length: dim }, (_, c) => (c % (dim / grid.length) < dim / grid.length / 2 ? 0 : 1)));
});

test.each([
  [[4, 4], 10, 'dim'],
  [[4, 4, 4, 4], 16, 'grid'],
  [[0, 3], 8, 'grid'],
])('sinusoidalPositions(%j, %i) -> ArgumentError on %s', (grid, dim, param) => {
  expect(() => sinusoidalPositions(grid, dim)).toThrow(ArgumentError);
  try {
    sinusoidalPositions(grid, dim);
  } catch (e) {
    expect((e as ArgumentError).param).toBe(param);
  }
});

test('interpolateGrid2d to the same size is the identity; a constant grid stays constant', () => {
  const grid = Float32Array.from({ length: 3 * 4 * 2 }, (_, i) => Math.sin(i));
  expect(Array.from(interpolateGrid2d(grid, [3, 4], [3, 4], 2))).toEqual(Array.from(grid));
  const constant = new Float32Array(2 * 2 * 3).fill(1.5);
  for (const v of interpolateGrid2d(constant, [2, 2], [5, 3], 3)) expect(v).toBeCloseTo(1.5, 6);
});

test('nearestGrid picks floor(i * in / out) (float32 scale, like PyTorch)', () => {
  const line = Float32Array.from([10, 20, 30, 40]); // 4 positions, 1 channel
  expect(Array.from(nearestGrid(line, [4], [6], 1))).toEqual([10, 10, 20, 30, 30, 40]);
  expect(Array.from(nearestGrid(line, [4], [2], 1))).toEqual([10, 30]);
  // 26 -> 22: float32(26 / 22) * 11 rounds below 13, so index 11 reads 12, not floor(11 * 26 / 22) = 13.
  // Expected values: F.interpolate(torch.arange(26.).view(1, 1, 26), size=22, mode='nearest') (PyTorch 1.13).
  const line26 = Float32Array.from({ length: 26 }, (_, i) => i);
  expect(Array.from(nearestGrid(line26, [26], [22], 1))).toEqual([0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 20, 21, 22, 23, 24]);
});
