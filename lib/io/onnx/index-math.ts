/**
 * Index arithmetic of ONNX's data-movement ops on row-major tensors, shared by shape folding
 * (shape-fold.ts, on small integer tensors) and layout probing (layout-probe.ts, on element
 * indices): which source element each output element of a Transpose, Gather, Slice or Split is.
 */
import { contiguousStrides } from '../../tensor';

/** A possibly negative axis as an index in [0, rank), or -1 when out of range. */
export function normalizeAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : -1;
}

export function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/**
 * The flat source index of every element of the selection that keeps, on each axis, the listed
 * indices in order (row-major over the selection's shape).
 */
export function selectIndices(shape: readonly number[], perAxis: readonly (readonly number[])[]): Int32Array {
  const outShape = perAxis.map((list) => list.length);
  const out = new Int32Array(product(outShape));
  const strides = contiguousStrides(shape);
  const rank = shape.length;
  const counter = new Array<number>(rank).fill(0);
  for (let k = 0; k < out.length; k++) {
    let source = 0;
    for (let a = 0; a < rank; a++) source += perAxis[a][counter[a]] * strides[a];
    out[k] = source;
    for (let a = rank - 1; a >= 0; a--) {
      if (++counter[a] < outShape[a]) break;
      counter[a] = 0;
    }
  }
  return out;
}

/** The flat source index of every element of Transpose(perm) of a tensor of `shape`. */
export function transposeIndices(shape: readonly number[], perm: readonly number[]): Int32Array {
  const outShape = perm.map((p) => shape[p]);
  const strides = contiguousStrides(shape);
  const permuted = perm.map((p) => strides[p]);
  const out = new Int32Array(product(outShape));
  const counter = new Array<number>(perm.length).fill(0);
  for (let k = 0; k < out.length; k++) {
    let source = 0;
    for (let a = 0; a < perm.length; a++) source += counter[a] * permuted[a];
    out[k] = source;
    for (let a = perm.length - 1; a >= 0; a--) {
      if (++counter[a] < outShape[a]) break;
      counter[a] = 0;
    }
  }
  return out;
}

/** Every index of an axis: [0, 1, ..., dim - 1]. */
export function fullRange(dim: number): number[] {
  return Array.from({ length: dim }, (_, i) => i);
}

/** Where ONNX Slice starts and stops on an axis of size `dim` (negative starts/ends count from the end; clamped). */
function sliceBounds(dim: number, start: number, end: number, step: number): { first: number; stop: number } {
  const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
  const s = start < 0 ? start + dim : start;
  const e = end < 0 ? end + dim : end;
  return step > 0 ? { first: clamp(s, 0, dim), stop: clamp(e, 0, dim) } : { first: clamp(s, -1, dim - 1), stop: clamp(e, -1, dim - 1) };
}

/** How many indices ONNX Slice keeps on an axis of size `dim`, without listing them (step must not be 0). */
export function sliceCount(dim: number, start: number, end: number, step: number): number {
  const { first, stop } = sliceBounds(dim, start, end, step);
  return Math.max(0, Math.ceil((stop - first) / step));
}

/** The indices ONNX Slice keeps on an axis of size `dim` (negative starts/ends count from the end; clamped). */
export function sliceRange(dim: number, start: number, end: number, step: number): number[] {
  const { first, stop } = sliceBounds(dim, start, end, step);
  const out: number[] = [];
  if (step > 0) {
    for (let i = first; i < stop; i += step) out.push(i);
  } else {
    for (let i = first; i > stop; i += step) out.push(i);
  }
  return out;
}

/** Broadcasts shapes numpy-style; undefined when they are incompatible. */
export function broadcastShapes(shapes: readonly (readonly number[])[]): number[] | undefined {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const shape of shapes) {
    for (let i = 0; i < shape.length; i++) {
      const a = rank - shape.length + i;
      const d = shape[i];
      if (d === out[a] || d === 1) continue;
      if (out[a] !== 1) return undefined;
      out[a] = d;
    }
  }
  return out;
}

/** For each element of `outShape`, the flat index of the element of `shape` broadcast onto it. */
export function broadcastIndices(shape: readonly number[], outShape: readonly number[]): Int32Array {
  const padded = [...new Array<number>(outShape.length - shape.length).fill(1), ...shape];
  return selectIndices(padded, outShape.map((d, a) => Array.from({ length: d }, (_, i) => (padded[a] === 1 ? 0 : i))));
}
