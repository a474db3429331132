/**
 * `strided {stride l}` (Child et al. 2019, "Generating Long Sequences with Sparse Transformers"):
 * i sees j when |i - j| < l (the local part) or (i - j) mod l == 0 (the strided part).
 */
import { readInt } from './fields';
import type { PatternKind } from './kind';
import type { StridedSpec } from './types';

export const strided: PatternKind<StridedSpec> = {
  fields: ['stride'],
  oneSequence: true,
  normalize: (fields, ctx) => ({ type: 'strided', stride: readInt(fields, 'stride', ctx.path, 1) }),
  allowed: ({ stride }) => (i, j) => Math.abs(i - j) < stride || (i - j) % stride === 0,
};
