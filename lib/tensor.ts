/** A dense or strided fp32 tensor: anything with data, shape and optional element strides. */
export interface TensorLike {
  readonly data: Float32Array;
  readonly shape: readonly number[];
  /** Element strides per dimension; row-major contiguous when omitted. */
  readonly strides?: readonly number[];
}

/** Row-major strides of a shape: [2, 3, 4] -> [12, 4, 1]. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = step;
    step *= shape[i];
  }
  return strides;
}

/** Number of elements of a shape. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Whether strides walk shape in row-major order (strides of size-1 dims do not matter). */
export function isRowMajor(shape: readonly number[], strides: readonly number[]): boolean {
  const rowMajor = contiguousStrides(shape);
  return strides.every((s, i) => s === rowMajor[i] || shape[i] === 1);
}

/**
 * A tensor's elements in row-major order: a view of its data when it is already contiguous
 * (strides of size-1 dims do not matter), else a copy. Strides must keep every element in data.
 */
export function rowMajorData(t: TensorLike): Float32Array {
  const size = shapeSize(t.shape);
  const strides = t.strides ?? contiguousStrides(t.shape);
  if (isRowMajor(t.shape, strides)) return t.data.subarray(0, size);
  const out = new Float32Array(size);
  const index = new Array<number>(t.shape.length).fill(0);
  let at = 0;
  for (let i = 0; i < size; i++) {
    out[i] = t.data[at];
    // Advance the multi-index like an odometer, last axis fastest.
    for (let d = t.shape.length - 1; d >= 0; d--) {
      at += strides[d];
      if (++index[d] < t.shape[d]) break;
      at -= strides[d] * t.shape[d];
      index[d] = 0;
    }
  }
  return out;
}

/** tessera's tensor: fp32 data with a shape and (optionally non-contiguous) strides. */
export class Tensor implements TensorLike {
  readonly data: Float32Array;
  readonly shape: readonly number[];
  readonly strides: readonly number[];

  constructor(data: Float32Array, shape: readonly number[], strides?: readonly number[]) {
    this.data = data;
    this.shape = [...shape];
    this.strides = strides ? [...strides] : contiguousStrides(shape);
  }

  static zeros(shape: readonly number[]): Tensor {
    return new Tensor(new Float32Array(shapeSize(shape)), shape);
  }

  get size(): number {
    return shapeSize(this.shape);
  }
}
