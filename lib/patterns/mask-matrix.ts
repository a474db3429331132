/**
 * The dense Nq x Nk mask of a pattern with `causal` and a key length applied: the input of the
 * dense reference (tests) and of the renderer.
 */
import { patternPredicate } from './index';
import type { KeyLimitOptions } from './limits';
import { keyLimits } from './limits';
import type { PatternSpec } from './types';

/** mask[i * nk + j] = 1 when query i may see key j; a row-major Uint8Array of Nq * Nk entries. */
export function combinedMask(spec: PatternSpec, nq: number, nk: number, options?: KeyLimitOptions): Uint8Array {
  const allowed = patternPredicate(spec, nq, nk);
  const limit = keyLimits(options, nk);
  const mask = new Uint8Array(nq * nk);
  for (let i = 0; i < nq; i++) {
    const end = limit(i);
    for (let j = 0; j < end; j++) mask[i * nk + j] = allowed(i, j) ? 1 : 0;
  }
  return mask;
}
