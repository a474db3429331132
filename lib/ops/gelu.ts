/**
 * gelu(x, options) and geluSync: GELU elementwise, as PyTorch's F.gelu:
 *   approximate 'none' (default): x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))
 *   approximate 'tanh':           0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
 *   x: [M, C] or [B, N, C], columns contiguous, rows may be strided -> out: the same shape
 */
import type { NativeGeluArgs } from '../native';
import { native } from '../native';
import type { Tensor, TensorLike } from '../tensor';
import { callAsync, callSync } from './call';
import type { KernelOptions } from './rows';
import { checkKernelOptions, checkRows, rowsOutput } from './rows';
import { checkOneOf, checkOptions } from './validate';

export type GeluApproximation = 'none' | 'tanh';

export interface GeluOptions extends KernelOptions {
  /** Default 'none' (the exact erf form). */
  approximate?: GeluApproximation;
  /** Write here instead of a new tensor: x's shape; may be x itself (in place). */
  out?: TensorLike;
}

/**
 * Validates everything and prepares the output and the native call's arguments without running
 * it (a model puts these into a runSequence step as op 'gelu').
 */
export function geluArgs(x: TensorLike, rawOptions?: GeluOptions): { args: NativeGeluArgs; out: Tensor } {
  const options = checkOptions<GeluOptions>(rawOptions);
  const rows = checkRows('x', x);
  const approximate = checkOneOf<GeluApproximation>('approximate', options.approximate ?? 'none', ['none', 'tanh']);
  const { threads, isa } = checkKernelOptions(options);
  const { out, rows: outRows } = rowsOutput(x, rows, options.out);
  const args: NativeGeluArgs = {
    x: x.data, out: out.data, rows: rows.rows, cols: rows.cols, xRowStride: rows.rowStride, outRowStride: outRows.rowStride,
    approximate, isa, threads,
  };
  return { args, out };
}

/** Synchronous GELU: blocks the calling thread; use for small inputs. */
export function geluSync(x: TensorLike, options?: GeluOptions): Tensor {
  const { args, out } = geluArgs(x, options);
  callSync((a) => native().geluSync(a), args);
  return out;
}

/** GELU off the event loop; x stays referenced until the promise settles. */
export async function gelu(x: TensorLike, options?: GeluOptions): Promise<Tensor> {
  const { args, out } = geluArgs(x, options);
  await callAsync((a) => native().geluAsync(a), args);
  return out;
}
