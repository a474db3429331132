/**
 * add(x, y, options) and addSync: out = x + y elementwise, y broadcast to x's shape by NumPy's
 * rules (dims aligned at the end; a dim of y that is 1, or missing, repeats):
 *   tokens [B, N, C] + position embeddings [N, C] or [1, N, C]
 *   video tokens [B, T, N, C] + time embeddings [T, 1, C]
 *   a residual [B, N, C] + [B, N, C]
 * x: rank 1 to 4, any strides; out: x's shape.
 */
import { ArgumentError } from '../errors';
import type { NativeAddArgs } from '../native';
import { native } from '../native';
import type { TensorLike } from '../tensor';
import { Tensor } from '../tensor';
import { callAsync, callSync } from './call';
import { checkOptions, checkPositiveInt, checkTensor, describeShape, distinctElements, overlaps } from './validate';
import { outputTensor } from './output';

export const MAX_ADD_RANK = 4;

export interface AddOptions {
  /** Write here instead of a new tensor: x's shape, any strides; may be x (or a same-shaped y) itself. */
  out?: TensorLike;
  /** Worker threads for this call (default: the shared pool's size). */
  threads?: number;
}

function dimNames(rank: number): string[] {
  return Array.from({ length: rank }, (_, i) => `D${i}`);
}

function checkRank(name: string, t: unknown, maxRank: number): number {
  const shape = (t as { shape?: unknown } | null)?.shape;
  if (Array.isArray(shape) && (shape.length < 1 || shape.length > maxRank)) {
    throw new ArgumentError(name, `expected a tensor of rank 1 to ${maxRank}, received shape ${describeShape(shape)}`);
  }
  return Array.isArray(shape) ? shape.length : 1;
}

/** y's strides as a view of x's shape: 0 where y repeats. */
function broadcastStrides(x: TensorLike, y: TensorLike, yStrides: readonly number[]): number[] {
  const lead = x.shape.length - y.shape.length;
  return x.shape.map((dim, i) => {
    if (i < lead) return 0;
    const ydim = y.shape[i - lead];
    if (ydim === dim) return yStrides[i - lead];
    if (ydim === 1) return 0;
    throw new ArgumentError('y', `expected a shape that broadcasts to ${describeShape(x.shape)} (each dim equal or 1, aligned at the end), received ${describeShape(y.shape)}`);
  });
}

/** Whether two views of `shape` start at the same element and step the same on every dim of size > 1. */
function sameView(a: Float32Array, aStrides: readonly number[], b: Float32Array, bStrides: readonly number[], shape: readonly number[]): boolean {
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset && shape.every((dim, i) => dim === 1 || aStrides[i] === bStrides[i]);
}

function checkOut(out: TensorLike, x: TensorLike, xStrides: number[], y: TensorLike, yStrides: number[]): Tensor {
  const strides = checkTensor('out', out, dimNames(x.shape.length));
  if (out.shape.some((dim, i) => dim !== x.shape[i])) {
    throw new ArgumentError('out', `expected shape ${describeShape(x.shape)} (the shape of x), received ${describeShape(out.shape)}`);
  }
  if (!distinctElements(out.shape, strides)) {
    throw new ArgumentError('out', `expected strides that give every element its own address, received ${describeShape(strides)}`);
  }
  const apart = (input: TensorLike, inputStrides: number[]): boolean =>
    sameView(out.data, strides, input.data, inputStrides, x.shape) || !overlaps(out.data, input.data);
  if (!apart(x, xStrides) || !apart(y, yStrides)) {
    throw new ArgumentError('out', 'expected x or y itself (in place) or memory that overlaps neither');
  }
  return new Tensor(out.data, out.shape, strides);
}

/** Pads a shape or strides of rank r <= 4 to rank 4 with leading `fill`. */
function padTo4(values: readonly number[], fill: number): number[] {
  return [...new Array<number>(MAX_ADD_RANK - values.length).fill(fill), ...values];
}

/**
 * Validates everything and prepares the output and the native call's arguments without running
 * it (a model puts these into a runSequence step as op 'add').
 */
export function addArgs(x: TensorLike, y: TensorLike, rawOptions?: AddOptions): { args: NativeAddArgs; out: Tensor } {
  const options = checkOptions<AddOptions>(rawOptions);
  const xStrides = checkTensor('x', x, dimNames(checkRank('x', x, MAX_ADD_RANK)));
  const yOwn = checkTensor('y', y, dimNames(checkRank('y', y, x.shape.length)));
  const yStrides = broadcastStrides(x, y, yOwn);
  const threads = options.threads === undefined ? 0 : checkPositiveInt('threads', options.threads);
  const out = options.out === undefined ? outputTensor(x.shape) : checkOut(options.out, x, xStrides, y, yStrides);
  const args: NativeAddArgs = {
    x: x.data, y: y.data, out: out.data, sizes: padTo4(x.shape, 1),
    xStrides: padTo4(xStrides, 0), yStrides: padTo4(yStrides, 0), outStrides: padTo4(out.strides, 0), threads,
  };
  return { args, out };
}

/** Synchronous add: blocks the calling thread; use for small inputs. */
export function addSync(x: TensorLike, y: TensorLike, options?: AddOptions): Tensor {
  const { args, out } = addArgs(x, y, options);
  callSync((a) => native().addSync(a), args);
  return out;
}

/** add off the event loop; x and y stay referenced until the promise settles. */
export async function add(x: TensorLike, y: TensorLike, options?: AddOptions): Promise<Tensor> {
  const { args, out } = addArgs(x, y, options);
  await callAsync((a) => native().addAsync(a), args);
  return out;
}
