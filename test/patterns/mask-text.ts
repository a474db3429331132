/**
 * Test helpers that show a pattern's mask as text, one string per query row: 'x' where key j is
 * allowed, '.' where it is not, so that expected masks can be written and checked by hand.
 */
import type { KeyLimitOptions, Pattern } from '../../lib';
import { combinedMask, normalizePattern } from '../../lib';

/** The rows of the mask of `pattern` for nq queries and nk keys. */
export function maskRows(pattern: Pattern, nq: number, nk = nq, options?: KeyLimitOptions): string[] {
  const mask = combinedMask(normalizePattern(pattern, nq, nk), nq, nk, options);
  return Array.from({ length: nq }, (_, i) => Array.from(mask.subarray(i * nk, (i + 1) * nk), (bit) => (bit ? 'x' : '.')).join(''));
}

/** The keys that query i sees, ascending, in a sequence of n tokens. */
export function keysOf(pattern: Pattern, n: number, i: number): number[] {
  return [...maskRows(pattern, n)[i]].flatMap((cell, j) => (cell === 'x' ? [j] : []));
}
