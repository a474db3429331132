/**
 * Patch embedding: a Conv2d/Conv3d whose stride equals its kernel, done as patchify (im2col)
 * plus one GEMM per image, with the position embeddings added in the GEMM's epilogue.
 *   pixels [B, C, H, W] (or video [B, C, T, H, W]) -> patches [B, P, C*prod(patch)]
 *   -> tokens written into out[b, offset + p, :] = patches[b, p] W^T + bias + positions[p].
 */
import { patchifyArgs } from '../ops/patchify';
import type { TensorLike } from '../tensor';
import { Linear } from './linear';
import type { Program } from './program';
import { rowsView } from './program';
import type { Weights } from './weights';

/** Where one item's patch tokens are written, and what is added to them. */
export interface PatchTarget {
  /** [P, hidden] rows. */
  out: TensorLike;
  /** [P, hidden], or null. */
  add: TensorLike | null;
}

export class PatchEmbed {
  constructor(
    /** [hidden, C * prod(patch)]: the conv weight flattened in (c, k...) order. */
    readonly projection: Linear,
    /** Kernel = stride: [ph, pw] or [pt, ph, pw]. */
    readonly patch: readonly number[],
  ) {}

  /** `name.weight` [hidden, C, ...patch] and `name.bias` [hidden] (a PyTorch Conv2d/Conv3d). */
  static load(weights: Weights, name: string, channels: number, hidden: number, patch: readonly number[]): PatchEmbed {
    const w = weights.get(`${name}.weight`, [hidden, channels, ...patch]);
    const b = weights.get(`${name}.bias`, [hidden]);
    const k = channels * patch.reduce((a, x) => a * x, 1);
    return new PatchEmbed(new Linear({ data: w.data, shape: [hidden, k] }, b), patch);
  }

  /** Patches of an input of spatial size `size` ([H, W] or [T, H, W]): floor division per axis. */
  patchGrid(size: readonly number[]): number[] {
    return size.map((n, i) => Math.floor(n / this.patch[i]));
  }

  /**
   * pixels: [B, C, ...size]; scratch: B * P * K elements; place(item) says where item's P tokens
   * go ([P, hidden] rows, any row stride) and what is added to them (e.g. position rows [P, hidden]).
   */
  emit(program: Program, pixels: TensorLike, scratch: Float32Array, place: (item: number) => PatchTarget): void {
    const batch = pixels.shape[0];
    const k = this.projection.inFeatures;
    const count = this.patchGrid(pixels.shape.slice(2)).reduce((a, n) => a * n, 1);
    const { args, out: patches } = patchifyArgs(pixels, { patch: this.patch, out: { data: scratch, shape: [batch, count, k] } });
    program.add('patchify', args);
    for (let i = 0; i < batch; i++) {
      const { out, add } = place(i);
      this.projection.emit(program, rowsView(patches.data, count, k, k, i * count * k), out, add ? { residual: add } : {});
    }
  }
}
