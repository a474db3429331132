/**
 * A forward pass prepared for one input shape: a list of native op calls (each an op name and
 * the arguments its <op>Sync takes, built by the ops' *Args functions) over buffers allocated
 * once. run() executes the whole list in one asynchronous job (runSequence: no return to the
 * event loop between ops); runSync() executes it on the calling thread.
 */
import { callAsync, callSync } from '../ops/call';
import type { NativeStep } from '../native';
import { native } from '../native';
import type { TensorLike } from '../tensor';
import { shapeSize } from '../tensor';

type SyncOp = (args: object) => void;

export class Program {
  private readonly steps: NativeStep[] = [];

  /** Appends one op call (args from an op's *Args function). */
  add(op: string, args: object): void {
    this.steps.push({ op, args });
  }

  get length(): number {
    return this.steps.length;
  }

  runSync(): void {
    const binding = native() as unknown as Record<string, SyncOp>;
    for (const step of this.steps) callSync(binding[`${step.op}Sync`], step.args);
  }

  async run(): Promise<void> {
    await callAsync((steps) => native().runSequence(steps), this.steps);
  }
}

/** A 2D view [rows, cols] of data starting at element `offset`, rows `rowStride` apart. */
export function rowsView(data: Float32Array, rows: number, cols: number, rowStride = cols, offset = 0): TensorLike {
  const end = offset + (rows - 1) * rowStride + cols;
  return { data: data.subarray(offset, end), shape: [rows, cols], strides: [rowStride, 1] };
}

/** A contiguous tensor view of the first shapeSize(shape) elements of data. */
export function view(data: Float32Array, shape: readonly number[], offset = 0): TensorLike {
  return { data: data.subarray(offset, offset + shapeSize(shape)), shape };
}
