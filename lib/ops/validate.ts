/** Argument checks shared by the ops: each error names the parameter and what was wrong. */
import { ArgumentError } from '../errors';
import type { TensorLike } from '../tensor';
import { contiguousStrides } from '../tensor';

export function describeShape(shape: unknown): string {
  return Array.isArray(shape) ? `[${shape.join(', ')}]` : String(shape);
}

function isNonNegativeInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Checks a tensor argument: Float32Array data, a shape of `expected` (its rank and dim names,
 * e.g. ['B', 'N', 'H', 'D']) with positive integer dims, non-negative integer strides, and
 * every element inside the data. Returns its strides.
 */
export function checkTensor(name: string, t: unknown, expected: readonly string[]): number[] {
  const layout = `[${expected.join(', ')}]`;
  if (typeof t !== 'object' || t === null) {
    throw new ArgumentError(name, `expected a tensor { data: Float32Array, shape: ${layout} }, received ${t === null ? 'null' : typeof t}`);
  }
  const { data, shape, strides } = t as TensorLike;
  if (!(data instanceof Float32Array)) {
    const received = data === undefined ? 'undefined' : (data as object)?.constructor?.name ?? typeof data;
    throw new ArgumentError(name, `expected data to be a Float32Array, received ${received}`);
  }
  if (!Array.isArray(shape) || shape.length !== expected.length) {
    throw new ArgumentError(name, `expected shape ${layout}, received ${describeShape(shape)}`);
  }
  shape.forEach((dim, i) => {
    if (!isNonNegativeInt(dim) || dim < 1) {
      throw new ArgumentError(name, `expected ${expected[i]} (dim ${i}) to be a positive integer, received ${dim}`);
    }
  });
  const s = strides === undefined ? contiguousStrides(shape) : Array.isArray(strides) ? [...strides] : [];
  if (s.length !== shape.length || !s.every(isNonNegativeInt)) {
    throw new ArgumentError(name, `expected ${shape.length} non-negative integer strides, received ${describeShape(strides)}`);
  }
  const last = shape.reduce((acc: number, dim: number, i: number) => acc + (dim - 1) * s[i], 0);
  if (last >= data.length) {
    throw new ArgumentError(
      name,
      `shape ${describeShape(shape)} with strides ${describeShape(s)} needs ${last + 1} elements, but data has ${data.length}`,
    );
  }
  return s;
}

export function checkPositiveInt(name: string, value: unknown): number {
  if (!isNonNegativeInt(value) || value < 1) {
    throw new ArgumentError(name, `expected a positive integer, received ${String(value)}`);
  }
  return value;
}

/** The largest finite float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** A number the kernels can hold as a finite float32 (|value| <= FLOAT32_MAX). */
export function checkFiniteFloat32(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(Math.abs(value) <= FLOAT32_MAX)) {
    throw new ArgumentError(name, `expected a finite float32 number (|${name}| <= ${FLOAT32_MAX}), received ${String(value)}`);
  }
  return value;
}

export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new ArgumentError(name, `expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, received ${String(value)}`);
  }
  return value as T;
}

/** An options argument: undefined (no options) or an object. */
export function checkOptions<T extends object>(options: unknown): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) {
    throw new ArgumentError('options', `expected an object, received ${options === null ? 'null' : typeof options}`);
  }
  return options as Partial<T>;
}

/** Whether two arrays share any memory. */
export function overlaps(a: Float32Array, b: Float32Array): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/**
 * Whether every index of a tensor has its own element (so writes never collide): sorted by
 * stride, each dim of size > 1 must step past everything the smaller dims reach.
 */
export function distinctElements(shape: readonly number[], strides: readonly number[]): boolean {
  const dims = shape.map((size, i) => ({ size, stride: strides[i] })).filter((d) => d.size > 1);
  dims.sort((a, b) => a.stride - b.stride);
  let reach = 0;
  for (const { size, stride } of dims) {
    if (stride <= reach) return false;
    reach += (size - 1) * stride;
  }
  return true;
}
