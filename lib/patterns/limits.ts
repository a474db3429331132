/**
 * The attention options that combine with any pattern, as limits on a query row's keys:
 * `causal` (j <= i) and a key length (j < keyLength, one batch's keyLengths[b]). Both cut a
 * row to a prefix of the keys, so a row's limit is an exclusive bound on j.
 */
import { ArgumentError } from '../errors';
import { checkInt, describeValue } from './fields';

export interface KeyLimitOptions {
  /** Query i sees only keys j <= i. */
  causal?: boolean;
  /** Only keys j < keyLength are seen (one batch's keyLengths[b]); default Nk. */
  keyLength?: number;
}

/** Validates the options and returns i -> the exclusive bound on the keys j of row i. */
export function keyLimits(options: KeyLimitOptions | undefined, nk: number): (i: number) => number {
  const { causal = false, keyLength = nk } = options ?? {};
  if (typeof causal !== 'boolean') throw new ArgumentError('causal', `expected a boolean, received ${describeValue(causal)}`);
  const end = checkInt('keyLength', keyLength, 0, nk);
  return causal ? (i) => Math.min(i + 1, end) : () => end;
}
