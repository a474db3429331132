/** `full`: every query sees every key (dense attention); any Nq, Nk. */
import type { PatternKind } from './kind';
import type { FullSpec } from './types';

export const full: PatternKind<FullSpec> = {
  fields: [],
  oneSequence: false,
  normalize: () => ({ type: 'full' }),
  allowed: () => () => true,
  rowCounter: () => (_i, limit) => limit,
};
