/**
 * Draws a pattern's Nq x Nk mask as a grayscale PNG, like the figures of the Sparse Transformer
 * paper: row i is query i (top to bottom), column j is key j (left to right), an allowed pair is
 * a dark cell and every other pair a white one. Each cell is scale x scale pixels.
 */
import { writeFile } from 'node:fs/promises';

import { ArgumentError } from '../errors';
import { encodePng } from '../io/png';
import { checkPositiveInt } from '../ops/validate';
import { normalizePattern } from './index';
import { combinedMask } from './mask-matrix';
import type { PatternShape } from './shape';
import { readShape } from './shape';
import type { Pattern, PatternSpec } from './types';

export type { PatternShape as RenderShape } from './shape';

export interface RenderOptions {
  /** Also require j <= i. */
  causal?: boolean;
  /** Pixels per cell side; default the largest that keeps the image within 512 pixels, at least 1. */
  scale?: number;
}

/** The gray level of an allowed cell. */
export const ALLOWED_GRAY = 0;
/** The gray level of a pair that is not allowed. */
export const BLOCKED_GRAY = 255;

const TARGET_SIDE = 512;
/** The most pixels an image may have (256 Mi, one byte each). */
const MAX_PIXELS = 2 ** 28;

function cellScale(nq: number, nk: number, scale: unknown): number {
  const cells = scale === undefined ? Math.max(1, Math.floor(TARGET_SIDE / Math.max(nq, nk))) : checkPositiveInt('scale', scale);
  const pixels = nq * nk * cells * cells;
  if (pixels > MAX_PIXELS) {
    throw new ArgumentError(
      scale === undefined ? 'shape' : 'scale',
      `expected an image of at most ${MAX_PIXELS} pixels, received ${nk * cells} x ${nq * cells} = ${pixels} (Nq = ${nq}, Nk = ${nk}, scale ${cells})`,
    );
  }
  return cells;
}

/** Grayscale pixels of the mask, each cell scale x scale: nq * scale rows of nk * scale bytes. */
function maskPixels(mask: Uint8Array, nq: number, nk: number, scale: number): Uint8Array {
  const width = nk * scale;
  const pixels = new Uint8Array(width * nq * scale);
  for (let i = 0; i < nq; i++) {
    const top = i * scale * width;
    for (let j = 0; j < nk; j++) {
      pixels.fill(mask[i * nk + j] ? ALLOWED_GRAY : BLOCKED_GRAY, top + j * scale, top + (j + 1) * scale);
    }
    for (let r = 1; r < scale; r++) pixels.copyWithin(top + r * width, top, top + width);
  }
  return pixels;
}

/** The PNG file of a pattern (or a normalized spec) for the given shape. */
export function renderPatternPng(pattern: Pattern | PatternSpec, shape: PatternShape, options: RenderOptions = {}): Buffer {
  const { nq, nk } = readShape(shape);
  const scale = cellScale(nq, nk, options.scale);
  const mask = combinedMask(normalizePattern(pattern, nq, nk), nq, nk, { causal: options.causal });
  return encodePng({ width: nk * scale, height: nq * scale, channels: 1, pixels: maskPixels(mask, nq, nk, scale) });
}

/** Writes the PNG of a pattern (or a normalized spec) for the given shape to `file`. */
export async function renderPattern(pattern: Pattern | PatternSpec, shape: PatternShape, file: string, options: RenderOptions = {}): Promise<void> {
  await writeFile(file, renderPatternPng(pattern, shape, options));
}
