/**
 * fp64 oracles of the row-wise ops (LayerNorm, GELU, softmax) and of broadcast add. Each reads
 * strided views itself (through contiguousCopy) and shares no code with lib/, so a stride bug in
 * the library cannot hide in the oracle too. Results are contiguous Float64Arrays.
 */
import type { TensorLike } from '../../lib';
import { contiguousCopy, rowMajorStrides } from './attention';
import { erf, erfc } from './vit';

/** Applies f to each row of C (the last dim) of x; returns x's shape contiguous. */
function mapRows(x: TensorLike, f: (row: Float64Array) => Float64Array): Float64Array {
  const data = contiguousCopy(x).data;
  const cols = x.shape[x.shape.length - 1];
  const out = new Float64Array(data.length);
  for (let start = 0; start < data.length; start += cols) {
    out.set(f(Float64Array.from(data.subarray(start, start + cols))), start);
  }
  return out;
}

export interface LayerNormReferenceOptions {
  gamma?: Float32Array | null;
  beta?: Float32Array | null;
  eps: number;
}

/** PyTorch's LayerNorm in fp64: (x - mean) / sqrt(var + eps) * gamma + beta, biased variance. */
export function referenceLayerNorm(x: TensorLike, options: LayerNormReferenceOptions): Float64Array {
  return mapRows(x, (row) => {
    const n = row.length;
    const mean = row.reduce((a, b) => a + b, 0) / n;
    const variance = row.reduce((a, b) => a + (b - mean) * (b - mean), 0) / n;
    const rstd = 1 / Math.sqrt(variance + options.eps);
    return row.map((v, c) => (v - mean) * rstd * (options.gamma ? options.gamma[c] : 1) + (options.beta ? options.beta[c] : 0));
  });
}

/** GELU, exact form x Phi(x); Phi from erfc for x < 0 so the tail is exact in relative terms. */
export function geluErf64(x: number): number {
  return x < 0 ? 0.5 * x * erfc(-x / Math.SQRT2) : 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** GELU, tanh approximation (PyTorch's approximate='tanh'). */
export function geluTanh64(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}

export function referenceGelu(x: TensorLike, approximate: 'none' | 'tanh'): Float64Array {
  const f = approximate === 'tanh' ? geluTanh64 : geluErf64;
  return mapRows(x, (row) => row.map(f));
}

/** Softmax of each row, max-subtracted; a row of only -Infinity gives zeros. */
export function referenceSoftmax(x: TensorLike): Float64Array {
  return mapRows(x, (row) => {
    const max = Math.max(...row);
    if (max === -Infinity) return new Float64Array(row.length);
    const e = row.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / sum);
  });
}

/** x + y with y broadcast to x's shape by NumPy's rules; x's shape, contiguous. */
export function referenceAdd(x: TensorLike, y: TensorLike): Float64Array {
  const xs = contiguousCopy(x);
  const ys = contiguousCopy(y);
  const lead = x.shape.length - y.shape.length;
  const yStrides = rowMajorStrides(y.shape);
  const xStrides = rowMajorStrides(x.shape);
  const out = new Float64Array(xs.data.length);
  for (let i = 0; i < out.length; i++) {
    let offset = 0;
    for (let d = lead; d < x.shape.length; d++) {
      const coordinate = Math.floor(i / xStrides[d]) % x.shape[d];
      if (y.shape[d - lead] !== 1) offset += coordinate * yStrides[d - lead];
    }
    out[i] = xs.data[i] + ys.data[offset];
  }
  return out;
}
