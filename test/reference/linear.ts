/**
 * The fp64 oracle for linear.
 *
 * referenceLinear() is deliberately plain: one output element at a time, a dot product over K,
 * everything in float64 computed from the fp32 inputs. It reads strided views and both weight
 * layouts itself and shares no code with lib/ (only the TensorLike type).
 *   x: [M, K], weight: [N, K] ('out_in') or [K, N] ('in_out'), bias: [N], residual: [M, N]
 *   -> out = act(alpha x W + bias) + residual: [M, N] (contiguous)
 */
import type { TensorLike } from '../../lib';
import { rowMajorStrides } from './attention';
import { geluErf, geluTanh } from './erf';

export type ReferenceActivation = 'none' | 'gelu' | 'gelu_tanh';

export interface ReferenceLinearOptions {
  /** Default 1. */
  alpha?: number;
  bias?: ArrayLike<number>;
  activation?: ReferenceActivation;
  residual?: TensorLike;
}

const ACTIVATIONS: Record<ReferenceActivation, (x: number) => number> = {
  none: (x) => x,
  gelu: geluErf,
  gelu_tanh: geluTanh,
};

/** t[i, j] of a 2D view. */
function at(t: TensorLike, i: number, j: number): number {
  const strides = t.strides ?? rowMajorStrides(t.shape);
  return t.data[i * strides[0] + j * strides[1]];
}

export function referenceLinear(
  x: TensorLike,
  weight: TensorLike,
  layout: 'out_in' | 'in_out',
  options: ReferenceLinearOptions = {},
): Float64Array {
  const [m, k] = x.shape;
  const n = layout === 'out_in' ? weight.shape[0] : weight.shape[1];
  const w = layout === 'out_in' ? (kk: number, j: number) => at(weight, j, kk) : (kk: number, j: number) => at(weight, kk, j);
  const activate = ACTIVATIONS[options.activation ?? 'none'];
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let kk = 0; kk < k; kk++) sum += at(x, i, kk) * w(kk, j);
      const pre = (options.alpha ?? 1) * sum + (options.bias ? options.bias[j] : 0);
      out[i * n + j] = activate(pre) + (options.residual ? at(options.residual, i, j) : 0);
    }
  }
  return out;
}
