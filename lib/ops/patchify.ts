/**
 * patchify(pixels, options) and patchifySync: im2col for a convolution whose stride equals its
 * kernel, so a ViT patch embedding (Conv2d) or a video tubelet embedding (Conv3d) becomes one
 * GEMM with the conv weight flattened to [hidden, K].
 *   images: pixels [B, C, H, W],    patch [ph, pw]     -> [B, (H/ph)(W/pw), C ph pw]
 *   video:  pixels [B, C, T, H, W], patch [pt, ph, pw] -> [B, (T/pt)(H/ph)(W/pw), C pt ph pw]
 * Features in (c, k...) order (a PyTorch Conv weight [hidden, C, ...patch] flattened), patches
 * in row-major grid order; pixels past the last whole patch of an axis are dropped, as the
 * convolution drops them. pixels may be any strided view: channels-last [B, H, W, C] data is
 * passed as shape [B, C, H, W] with strides [H*W*C, 1, W*C, C].
 */
import { ArgumentError } from '../errors';
import type { NativePatchifyArgs } from '../native';
import { native } from '../native';
import type { TensorLike } from '../tensor';
import { Tensor } from '../tensor';
import { callAsync, callSync } from './call';
import { checkPositiveInt, checkTensor, describeShape, distinctElements, overlaps } from './validate';
import { outputTensor } from './output';

export const MAX_PATCH_RANK = 3;

export interface PatchifyOptions {
  /** Kernel = stride per spatial axis: [ph, pw], or [pt, ph, pw] for tubelets (1 to 3 axes). */
  patch: readonly number[];
  /** Write here instead of a new tensor: [B, N, K], any strides, not overlapping pixels. */
  out?: TensorLike;
  /** Worker threads for this call (default: the shared pool's size). */
  threads?: number;
}

const SPATIAL_NAMES = [['L'], ['H', 'W'], ['T', 'H', 'W']] as const;

function checkPatch(patch: unknown): number[] {
  const valid = Array.isArray(patch) && patch.length >= 1 && patch.length <= MAX_PATCH_RANK && patch.every((p) => Number.isSafeInteger(p) && p >= 1);
  if (!valid) {
    throw new ArgumentError('patch', `expected 1 to ${MAX_PATCH_RANK} positive integers ([ph, pw] or [pt, ph, pw]), received ${describeShape(patch)}`);
  }
  return [...(patch as number[])];
}

/** The caller's output tensor: [B, N, K], every element its own address, apart from pixels. */
function checkOut(out: TensorLike, shape: readonly number[], pixels: TensorLike): Tensor {
  const strides = checkTensor('out', out, ['B', 'N', 'K']);
  if (out.shape.some((dim, i) => dim !== shape[i])) {
    throw new ArgumentError('out', `expected shape ${describeShape(shape)} ([B, N, K] of these pixels and patch), received ${describeShape(out.shape)}`);
  }
  if (!distinctElements(out.shape, strides)) {
    throw new ArgumentError('out', `expected strides that give every element its own address, received ${describeShape(strides)}`);
  }
  if (overlaps(out.data, pixels.data)) throw new ArgumentError('out', 'expected memory that does not overlap pixels');
  return new Tensor(out.data, out.shape, strides);
}

/**
 * Validates everything and prepares the output and the native call's arguments without running
 * it (a model puts these into a runSequence step as op 'patchify').
 */
export function patchifyArgs(pixels: TensorLike, options: PatchifyOptions): { args: NativePatchifyArgs; out: Tensor } {
  if (typeof options !== 'object' || options === null) {
    throw new ArgumentError('options', `expected an object { patch: [ph, pw] or [pt, ph, pw] }, received ${options === null ? 'null' : typeof options}`);
  }
  const patch = checkPatch(options.patch);
  const spatial = SPATIAL_NAMES[patch.length - 1];
  const pixelStrides = checkTensor('pixels', pixels, ['B', 'C', ...spatial]);
  const [batch, channels, ...size] = pixels.shape;
  size.forEach((n, i) => {
    if (patch[i] > n) {
      throw new ArgumentError('patch', `expected patch[${i}] <= ${spatial[i]} = ${n} (at least one patch per axis), received ${patch[i]}`);
    }
  });
  const threads = options.threads === undefined ? 0 : checkPositiveInt('threads', options.threads);
  const count = size.reduce((acc, n, i) => acc * Math.floor(n / patch[i]), 1);
  const features = patch.reduce((acc, p) => acc * p, channels);
  const shape = [batch, count, features];
  const out = options.out === undefined ? outputTensor(shape) : checkOut(options.out, shape, pixels);
  const args: NativePatchifyArgs = {
    pixels: pixels.data, out: out.data, batch, channels, size, patch, pixelStrides, outStrides: [...out.strides], threads,
  };
  return { args, out };
}

/** Synchronous patchify: blocks the calling thread; use for small inputs. */
export function patchifySync(pixels: TensorLike, options: PatchifyOptions): Tensor {
  const { args, out } = patchifyArgs(pixels, options);
  callSync((a) => native().patchifySync(a), args);
  return out;
}

/** patchify off the event loop; pixels stay referenced until the promise settles. */
export async function patchify(pixels: TensorLike, options: PatchifyOptions): Promise<Tensor> {
  const { args, out } = patchifyArgs(pixels, options);
  await callAsync((a) => native().patchifyAsync(a), args);
  return out;
}
