/** Small fp32 tensor rearrangements for mapping ONNX initializers to Hugging Face parameters. */
import { Tensor } from '../../tensor';

/** [rows, cols] -> [cols, rows]: an ONNX MatMul weight [in, out] as PyTorch's [out, in]. */
export function transpose2d(t: Tensor): Tensor {
  const [rows, cols] = t.shape;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = t.data[r * cols + c];
  }
  return new Tensor(out, [cols, rows]);
}

/** The rows of a [rows, ...] tensor (or elements of a vector) in the given order. */
export function selectRows(t: Tensor, rows: readonly number[]): Tensor {
  const width = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, i) => out.set(t.data.subarray(r * width, (r + 1) * width), i * width));
  return new Tensor(out, [rows.length, ...t.shape.slice(1)]);
}

/** Every element times `factor`. */
export function scaled(t: Tensor, factor: number): Tensor {
  return new Tensor(t.data.map((v) => v * factor), t.shape);
}

/** The same elements under new dims (which must have the same element count). */
export function withDims(t: Tensor, dims: readonly number[]): Tensor {
  return new Tensor(t.data, dims);
}

/** Concatenates tensors along their first dim. */
export function concatRows(parts: readonly Tensor[]): Tensor {
  const data = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p.data, at);
    at += p.data.length;
  }
  return new Tensor(data, [parts.reduce((n, p) => n + p.shape[0], 0), ...parts[0].shape.slice(1)]);
}
