/**
 * The fp64 oracle for patchify: a direct convolution whose stride equals its kernel, for 1, 2 or
 * 3 spatial axes (PyTorch Conv1d/2d/3d with stride = kernel_size, no padding):
 *   pixels [B, C, ...S], weight [O, C, ...P], bias [O] -> out [B, O, ...G], G_i = floor(S_i / P_i)
 * It reads strided views itself and shares no code with lib/.
 */
import type { TensorLike } from '../../lib';
import { rowMajorStrides } from './attention';

function stridesOf(t: TensorLike): readonly number[] {
  return t.strides ?? rowMajorStrides(t.shape);
}

/** Row-major coordinates of index i in a grid of the given sizes. */
function unravel(i: number, sizes: readonly number[]): number[] {
  const out = new Array<number>(sizes.length);
  for (let d = sizes.length - 1; d >= 0; d--) {
    out[d] = i % sizes[d];
    i = Math.floor(i / sizes[d]);
  }
  return out;
}

export function referenceConv(pixels: TensorLike, weight: TensorLike, bias: Float32Array | null): Float64Array {
  const [batch, channels, ...size] = pixels.shape;
  const [outChannels, , ...patch] = weight.shape;
  const grid = size.map((n, i) => Math.floor(n / patch[i]));
  const cells = grid.reduce((a, b) => a * b, 1);
  const taps = patch.reduce((a, b) => a * b, 1);
  const ps = stridesOf(pixels);
  const ws = stridesOf(weight);
  const out = new Float64Array(batch * outChannels * cells);
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outChannels; o++) {
      for (let cell = 0; cell < cells; cell++) {
        const g = unravel(cell, grid);
        let sum = bias ? bias[o] : 0;
        for (let c = 0; c < channels; c++) {
          for (let tap = 0; tap < taps; tap++) {
            const k = unravel(tap, patch);
            let p = b * ps[0] + c * ps[1];
            let w = o * ws[0] + c * ws[1];
            k.forEach((kd, d) => {
              p += (g[d] * patch[d] + kd) * ps[2 + d];
              w += kd * ws[2 + d];
            });
            sum += pixels.data[p] * weight.data[w];
          }
        }
        out[(b * outChannels + o) * cells + cell] = sum;
      }
    }
  }
  return out;
}
