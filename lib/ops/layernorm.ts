/**
 * layerNorm(x, options) and layerNormSync: LayerNorm over the last axis, as PyTorch's
 * nn.LayerNorm / F.layer_norm: (x - mean) / sqrt(var + eps) * gamma + beta per row, with the
 * biased variance computed in two passes (a large common offset does not cancel).
 *   x: [M, C] or [B, N, C], columns contiguous, rows may be strided -> out: the same shape
 */
import type { NativeLayerNormArgs } from '../native';
import { native } from '../native';
import { ArgumentError } from '../errors';
import type { Tensor, TensorLike } from '../tensor';
import { callAsync, callSync } from './call';
import type { KernelOptions } from './rows';
import { checkKernelOptions, checkRows, rowsOutput } from './rows';
import { FLOAT32_MAX, checkOptions } from './validate';

export interface LayerNormOptions extends KernelOptions {
  /** Scale [C]; default ones. */
  gamma?: Float32Array | null;
  /** Shift [C]; default zeros. */
  beta?: Float32Array | null;
  /** Added to the variance; default 1e-5 (PyTorch's default; Hugging Face ViT configs use 1e-12). */
  eps?: number;
  /** Write here instead of a new tensor: x's shape; may be x itself (in place). */
  out?: TensorLike;
}

function checkChannelVector(name: string, value: unknown, cols: number): Float32Array | null {
  if (value === undefined || value === null) return null;
  if (!(value instanceof Float32Array) || value.length !== cols) {
    const received = value instanceof Float32Array ? `Float32Array(${value.length})` : ((value as object)?.constructor?.name ?? typeof value);
    throw new ArgumentError(name, `expected a Float32Array of C = ${cols} elements, received ${received}`);
  }
  return value;
}

function checkEps(eps: unknown): number {
  if (typeof eps !== 'number' || !(eps >= 0 && eps <= FLOAT32_MAX)) {
    throw new ArgumentError('eps', `expected a finite float32 number >= 0, received ${String(eps)}`);
  }
  return eps;
}

/**
 * Validates everything and prepares the output and the native call's arguments without running
 * it (a model puts these into a runSequence step as op 'layerNorm').
 */
export function layerNormArgs(x: TensorLike, rawOptions?: LayerNormOptions): { args: NativeLayerNormArgs; out: Tensor } {
  const options = checkOptions<LayerNormOptions>(rawOptions);
  const rows = checkRows('x', x);
  const gamma = checkChannelVector('gamma', options.gamma, rows.cols);
  const beta = checkChannelVector('beta', options.beta, rows.cols);
  const eps = checkEps(options.eps ?? 1e-5);
  const { threads, isa } = checkKernelOptions(options);
  const { out, rows: outRows } = rowsOutput(x, rows, options.out);
  const args: NativeLayerNormArgs = {
    x: x.data, out: out.data, rows: rows.rows, cols: rows.cols, xRowStride: rows.rowStride, outRowStride: outRows.rowStride,
    gamma, beta, eps, isa, threads,
  };
  return { args, out };
}

/** Synchronous LayerNorm: blocks the calling thread; use for small inputs. */
export function layerNormSync(x: TensorLike, options?: LayerNormOptions): Tensor {
  const { args, out } = layerNormArgs(x, options);
  callSync((a) => native().layerNormSync(a), args);
  return out;
}

/** LayerNorm off the event loop; x (and gamma, beta) stay referenced until the promise settles. */
export async function layerNorm(x: TensorLike, options?: LayerNormOptions): Promise<Tensor> {
  const { args, out } = layerNormArgs(x, options);
  await callAsync((a) => native().layerNormAsync(a), args);
  return out;
}
