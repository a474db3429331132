/**
 * `fixed {block l, summary c}` (Child et al. 2019): i sees j when both are in the same block of l
 * positions (floor(i / l) == floor(j / l)) or j is a summary position, one of the last c of its
 * block ((j mod l) >= l - c). 0 <= c <= l: c = 0 is block-local attention, c = l is full.
 */
import { readInt } from './fields';
import type { PatternKind } from './kind';
import type { FixedSpec } from './types';

export const fixed: PatternKind<FixedSpec> = {
  fields: ['block', 'summary'],
  oneSequence: true,
  normalize(fields, ctx) {
    const block = readInt(fields, 'block', ctx.path, 1);
    return { type: 'fixed', block, summary: readInt(fields, 'summary', ctx.path, 0, block) };
  },
  allowed: ({ block, summary }) => (i, j) => Math.floor(i / block) === Math.floor(j / block) || j % block >= block - summary,
};
