/** The sequence lengths a pattern is used with. */
import { ArgumentError } from '../errors';
import { checkPositiveInt } from '../ops/validate';
import { describeValue } from './fields';

/** One sequence of n tokens (self-attention), or nq queries over nk keys. */
export type PatternShape = { n: number } | { nq: number; nk: number };

export function readShape(shape: unknown): { nq: number; nk: number } {
  const expected = 'expected { n } or { nq, nk } with positive integers';
  if (typeof shape !== 'object' || shape === null) throw new ArgumentError('shape', `${expected}, received ${describeValue(shape)}`);
  const { n, nq, nk } = shape as { n?: unknown; nq?: unknown; nk?: unknown };
  if (n !== undefined && nq === undefined && nk === undefined) {
    const size = checkPositiveInt('shape.n', n);
    return { nq: size, nk: size };
  }
  if (n === undefined && nq !== undefined && nk !== undefined) return { nq: checkPositiveInt('shape.nq', nq), nk: checkPositiveInt('shape.nk', nk) };
  throw new ArgumentError('shape', `${expected}, received ${JSON.stringify({ n, nq, nk })}`);
}
