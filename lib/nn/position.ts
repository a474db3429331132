/**
 * Position embeddings: resampling a learned grid to another grid size (PyTorch's bicubic
 * F.interpolate with align_corners=False, as Hugging Face's interpolate_pos_encoding does), and
 * fixed sinusoidal embeddings for 1D, 2D and 3D token grids.
 */
import { ArgumentError } from '../errors';

/** Keys's cubic convolution kernel with a = -0.75 (PyTorch's bicubic). */
const CUBIC_A = -0.75;

function cubicNear(x: number): number {
  return ((CUBIC_A + 2) * x - (CUBIC_A + 3)) * x * x + 1;
}

function cubicFar(x: number): number {
  return ((CUBIC_A * x - 5 * CUBIC_A) * x + 8 * CUBIC_A) * x - 4 * CUBIC_A;
}

/** The 4 source indices (clamped) and weights of output index `i` along an axis n_in -> n_out. */
function cubicTaps(i: number, nIn: number, nOut: number): { index: number[]; weight: number[] } {
  const src = (nIn / nOut) * (i + 0.5) - 0.5;
  const base = Math.floor(src);
  const t = src - base;
  const clamp = (j: number): number => Math.min(Math.max(j, 0), nIn - 1);
  return {
    index: [clamp(base - 1), clamp(base), clamp(base + 1), clamp(base + 2)],
    weight: [cubicFar(t + 1), cubicNear(t), cubicNear(1 - t), cubicFar(2 - t)],
  };
}

/**
 * Bicubic resampling of a [h0, w0, C] grid of embeddings to [h1, w1, C] (rows of C channels in
 * row-major grid order), computed like PyTorch's upsample_bicubic2d (fp64 here, then fp32).
 */
export function interpolateGrid2d(grid: Float32Array, from: readonly [number, number], to: readonly [number, number], channels: number): Float32Array {
  const [h0, w0] = from;
  const [h1, w1] = to;
  if (grid.length < h0 * w0 * channels) {
    throw new ArgumentError('grid', `expected ${h0 * w0 * channels} elements ([${h0}, ${w0}, ${channels}]), received ${grid.length}`);
  }
  const rows = Array.from({ length: h1 }, (_, y) => cubicTaps(y, h0, h1));
  const cols = Array.from({ length: w1 }, (_, x) => cubicTaps(x, w0, w1));
  const out = new Float32Array(h1 * w1 * channels);
  const acc = new Float64Array(channels);
  for (let y = 0; y < h1; y++) {
    for (let x = 0; x < w1; x++) {
      acc.fill(0);
      for (let a = 0; a < 4; a++) {
        for (let b = 0; b < 4; b++) {
          const w = rows[y].weight[a] * cols[x].weight[b];
          const src = (rows[y].index[a] * w0 + cols[x].index[b]) * channels;
          for (let c = 0; c < channels; c++) acc[c] += w * grid[src + c];
        }
      }
      out.set(acc, (y * w1 + x) * channels);
    }
  }
  return out;
}

/**
 * Fixed sinusoidal embeddings for a token grid of rank 1, 2 or 3, [prod(grid), dim]: the channels
 * are split evenly between the axes (dim must be a multiple of 2 * rank); per axis, position p
 * gives [sin(p * w_0), ..., sin(p * w_{k-1}), cos(p * w_0), ..., cos(p * w_{k-1})] with
 * w_i = 10000^(-i / k) (the MAE / "Attention is all you need" form). Tokens in row-major grid order.
 */
export function sinusoidalPositions(grid: readonly number[], dim: number): Float32Array {
  const rank = grid.length;
  if (rank < 1 || rank > 3 || grid.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new ArgumentError('grid', `expected 1 to 3 positive integers, received [${grid.join(', ')}]`);
  }
  if (!Number.isInteger(dim) || dim < 1 || dim % (2 * rank) !== 0) {
    throw new ArgumentError('dim', `expected a positive multiple of ${2 * rank} (2 x the grid's rank), received ${dim}`);
  }
  const perAxis = dim / rank;
  const half = perAxis / 2;
  const tokens = grid.reduce((a, b) => a * b, 1);
  const out = new Float32Array(tokens * dim);
  const coord = new Array<number>(rank).fill(0);
  for (let t = 0; t < tokens; t++) {
    let rest = t;
    for (let a = rank - 1; a >= 0; a--) {
      coord[a] = rest % grid[a];
      rest = Math.floor(rest / grid[a]);
    }
    for (let a = 0; a < rank; a++) {
      for (let i = 0; i < half; i++) {
        const angle = coord[a] * Math.pow(10000, -i / half);
        out[t * dim + a * perAxis + i] = Math.sin(angle);
        out[t * dim + a * perAxis + half + i] = Math.cos(angle);
      }
    }
  }
  return out;
}

/**
 * PyTorch's 'nearest' source index (F.interpolate with an output size): floor(i * scale) with
 * scale = in / out, both rounded to float32 as PyTorch's CPU kernel computes them.
 */
function nearest(i: number, nIn: number, nOut: number): number {
  if (nIn === nOut) return i;
  const scale = Math.fround(nIn / nOut);
  return Math.min(Math.floor(Math.fround(i * scale)), nIn - 1);
}

/**
 * Nearest-neighbour resampling of a [g0..., C] grid of embeddings (rank 1 or 2) to [g1..., C],
 * as PyTorch's F.interpolate(mode='nearest', size=...) does.
 */
export function nearestGrid(grid: Float32Array, from: readonly number[], to: readonly number[], channels: number): Float32Array {
  const rows = to[0];
  const cols = to.length > 1 ? to[1] : 1;
  const fromCols = from.length > 1 ? from[1] : 1;
  const out = new Float32Array(rows * cols * channels);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const src = nearest(y, from[0], rows) * fromCols + (to.length > 1 ? nearest(x, fromCols, cols) : 0);
      out.set(grid.subarray(src * channels, (src + 1) * channels), (y * cols + x) * channels);
    }
  }
  return out;
}
