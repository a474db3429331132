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
