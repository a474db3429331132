/**
 * softmax(x, options) and softmaxSync: softmax over the last axis, max-subtracted, fp32 (e.g.
 * classification probabilities from logits). -Infinity entries get probability 0; a row that is
 * entirely -Infinity gives zeros (not NaN).
 *   x: [M, C] or [B, N, C], columns contiguous, rows may be strided -> out: the same shape
 */
import type { NativeSoftmaxArgs } from '../native';
import { native } from '../native';
import type { Tensor, TensorLike } from '../tensor';
import { callAsync, callSync } from './call';
import type { KernelOptions } from './rows';
import { checkKernelOptions, checkRows, rowsOutput } from './rows';
import { checkOptions } from './validate';

export interface SoftmaxOptions extends KernelOptions {
  /** Write here instead of a new tensor: x's shape; may be x itself (in place). */
  out?: TensorLike;
}

/**
 * Validates everything and prepares the output and the native call's arguments without running
 * it (a model puts these into a runSequence step as op 'softmax').
 */
export function softmaxArgs(x: TensorLike, rawOptions?: SoftmaxOptions): { args: NativeSoftmaxArgs; out: Tensor } {
  const options = checkOptions<SoftmaxOptions>(rawOptions);
  const rows = checkRows('x', x);
  const { threads, isa } = checkKernelOptions(options);
  const { out, rows: outRows } = rowsOutput(x, rows, options.out);
  const args: NativeSoftmaxArgs = {
    x: x.data, out: out.data, rows: rows.rows, cols: rows.cols, xRowStride: rows.rowStride, outRowStride: outRows.rowStride,
    isa, threads,
  };
  return { args, out };
}

/** Synchronous softmax: blocks the calling thread; use for small inputs. */
export function softmaxSync(x: TensorLike, options?: SoftmaxOptions): Tensor {
  const { args, out } = softmaxArgs(x, options);
  callSync((a) => native().softmaxSync(a), args);
  return out;
}

/** Softmax off the event loop; x stays referenced until the promise settles. */
export async function softmax(x: TensorLike, options?: SoftmaxOptions): Promise<Tensor> {
  const { args, out } = softmaxArgs(x, options);
  await callAsync((a) => native().softmaxAsync(a), args);
  return out;
}
