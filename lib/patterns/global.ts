/**
 * `global {tokens G, inner P}` (Longformer / BigBird style): a query in G sees every key, every
 * query sees the keys in G, and P decides every other pair.
 */
import { readIntList } from './fields';
import type { PatternKind } from './kind';
import type { GlobalSpec } from './types';

/** member[p] = 1 when position p is one of the tokens. */
function membership(tokens: Int32Array, n: number): Uint8Array {
  const member = new Uint8Array(n);
  for (const t of tokens) member[t] = 1;
  return member;
}

export const global: PatternKind<GlobalSpec> = {
  fields: ['tokens', 'inner'],
  oneSequence: true,
  normalize(fields, ctx) {
    const listed = readIntList(fields, 'tokens', ctx.path, { length: [0, Infinity], min: 0, max: ctx.nq - 1 });
    const tokens = Int32Array.from(new Set(listed)).sort();
    return { type: 'global', tokens, inner: ctx.nested(fields.inner, `${ctx.path}.inner`) };
  },
  allowed(spec, nq, nk, ops) {
    const member = membership(spec.tokens, nq);
    const inner = ops.predicate(spec.inner, nq, nk);
    return (i, j) => member[i] === 1 || member[j] === 1 || inner(i, j);
  },
  // The inner pattern's count, plus the global keys below the limit that the inner pattern hides.
  rowCounter(spec, nq, nk, ops) {
    const member = membership(spec.tokens, nq);
    const inner = ops.predicate(spec.inner, nq, nk);
    const innerCount = ops.rowCounter(spec.inner, nq, nk);
    return (i, limit) => {
      if (member[i] === 1) return limit;
      let count = innerCount(i, limit);
      for (const t of spec.tokens) {
        if (t >= limit) break;
        if (!inner(i, t)) count++;
      }
      return count;
    };
  },
};
