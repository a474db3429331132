/**
 * Shared by the row-wise ops (layerNorm, gelu, softmax): a tensor [M, C] or [B, N, C] read as M
 * (or B * N) rows of C contiguous elements, the output tensor (new, or the caller's `out`, which
 * may be x itself), and the options every kernel takes.
 */
import { ArgumentError } from '../errors';
import type { IsaName } from '../native';
import type { TensorLike } from '../tensor';
import { Tensor } from '../tensor';
import { checkOneOf, checkPositiveInt, checkTensor, describeShape, overlaps } from './validate';
import { outputTensor } from './output';

export const ISAS: readonly IsaName[] = ['auto', 'scalar', 'avx2', 'avx512'];

export interface KernelOptions {
  /** Worker threads for this call (default: the shared pool's size). */
  threads?: number;
  /** Force a SIMD path (for testing and benchmarking); default 'auto'. */
  isa?: IsaName;
}

export function checkKernelOptions(options: KernelOptions): { threads: number; isa: IsaName } {
  return {
    threads: options.threads === undefined ? 0 : checkPositiveInt('threads', options.threads),
    isa: checkOneOf('isa', options.isa ?? 'auto', ISAS),
  };
}

/** A tensor as rows: `rows` rows of `cols` contiguous elements, `rowStride` elements apart. */
export interface Rows {
  rows: number;
  cols: number;
  rowStride: number;
}

/**
 * Checks a tensor [M, C] or [B, N, C] with contiguous columns whose leading dims merge into one
 * row index (B's stride = N x N's stride, as in any contiguous tensor or a row-strided view).
 */
export function checkRows(name: string, t: unknown): Rows {
  const shape = (t as { shape?: unknown } | null)?.shape;
  if (Array.isArray(shape) && shape.length !== 2 && shape.length !== 3) {
    throw new ArgumentError(name, `expected shape [M, C] or [B, N, C], received ${describeShape(shape)}`);
  }
  const layout = Array.isArray(shape) && shape.length === 3 ? ['B', 'N', 'C'] : ['M', 'C'];
  const strides = checkTensor(name, t, layout);
  const dims = (t as TensorLike).shape;
  const cols = dims[dims.length - 1];
  if (cols > 1 && strides[strides.length - 1] !== 1) {
    throw new ArgumentError(name, `expected contiguous columns (stride 1 on C), received strides ${describeShape(strides)}`);
  }
  if (dims.length === 2) return { rows: dims[0], cols, rowStride: strides[0] };
  const [batch, tokens] = dims;
  if (batch > 1 && tokens > 1 && strides[0] !== tokens * strides[1]) {
    throw new ArgumentError(
      name,
      `expected B and N to merge into rows (stride of B = N x stride of N = ${tokens * strides[1]}), received strides ${describeShape(strides)}`,
    );
  }
  return { rows: batch * tokens, cols, rowStride: tokens > 1 ? strides[1] : strides[0] };
}

/**
 * The output of a row-wise op on x: a new contiguous tensor shaped like x, or the caller's `out`
 * (x's shape; x itself for in place, or memory that does not overlap x).
 */
export function rowsOutput(x: TensorLike, xRows: Rows, out: TensorLike | undefined): { out: Tensor; rows: Rows } {
  if (out === undefined) {
    const tensor = outputTensor(x.shape);
    return { out: tensor, rows: { ...xRows, rowStride: xRows.cols } };
  }
  const rows = checkRows('out', out);
  if (out.shape.length !== x.shape.length || out.shape.some((dim, i) => dim !== x.shape[i])) {
    throw new ArgumentError('out', `expected shape ${describeShape(x.shape)} (the shape of x), received ${describeShape(out.shape)}`);
  }
  if (rows.rows > 1 && rows.rowStride < rows.cols) {
    throw new ArgumentError('out', `expected rows that do not overlap (row stride >= C = ${rows.cols}), received row stride ${rows.rowStride}`);
  }
  const inPlace =
    out.data.buffer === x.data.buffer && out.data.byteOffset === x.data.byteOffset && (rows.rows === 1 || rows.rowStride === xRows.rowStride);
  if (!inPlace && overlaps(out.data, x.data)) {
    throw new ArgumentError('out', 'expected x itself (in place) or memory that does not overlap x');
  }
  return { out: new Tensor(out.data, out.shape, out.strides), rows };
}
