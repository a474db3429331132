/** `sliding {radius r}`: a local band, |i - j| <= r (r = 0: each token sees itself only). */
import { readInt } from './fields';
import type { PatternKind } from './kind';
import type { SlidingSpec } from './types';

export const sliding: PatternKind<SlidingSpec> = {
  fields: ['radius'],
  oneSequence: true,
  normalize: (fields, ctx) => ({ type: 'sliding', radius: readInt(fields, 'radius', ctx.path, 0) }),
  allowed: ({ radius }) => (i, j) => Math.abs(i - j) <= radius,
  // Keys max(i - r, 0) .. i + r, cut at the limit.
  rowCounter: ({ radius }) => (i, limit) => Math.max(0, Math.min(i + radius + 1, limit) - Math.max(i - radius, 0)),
};
