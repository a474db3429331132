/**
 * Attention patterns: validation and normalization (pattern -> PatternSpec), the exact
 * predicate of a spec, and its count of allowed pairs (for FLOPs: 4 * B * H * D * pairs).
 * One file per pattern type holds its semantics; this file only dispatches on `type`.
 */
import { ArgumentError } from '../errors';
import { checkPositiveInt } from '../ops/validate';
import { axial } from './axial';
import { describeValue, isList } from './fields';
import { fixed } from './fixed';
import { full } from './full';
import { global } from './global';
import type { PatternFields, PatternKind, PatternOps } from './kind';
import type { KeyLimitOptions } from './limits';
import { keyLimits } from './limits';
import { mask } from './mask';
import { neighborhood } from './neighborhood';
import { sliding } from './sliding';
import { strided } from './strided';
import type { PairPredicate, PatternSpec, PatternType, RowCounter, SpecOf } from './types';

const KINDS: { readonly [T in PatternType]: PatternKind<SpecOf<T>> } = { full, sliding, strided, fixed, neighborhood, axial, global, mask };

/** Every pattern type, in the order of ARCHITECTURE.md. */
export const PATTERN_TYPES = Object.keys(KINDS) as readonly PatternType[];

function kindOf(type: PatternType): PatternKind<PatternSpec> {
  return KINDS[type];
}

function checkFieldNames(fields: PatternFields, kind: PatternKind<PatternSpec>, path: string): void {
  const known = ['type', ...kind.fields];
  for (const name of Object.keys(fields)) {
    if (!known.includes(name)) {
      throw new ArgumentError(`${path}.${name}`, `expected only the fields ${known.join(', ')} of a '${fields.type}' pattern, received an unknown field '${name}'`);
    }
  }
}

function normalizeAt(pattern: unknown, path: string, nq: number, nk: number): PatternSpec {
  if (typeof pattern !== 'object' || pattern === null || isList(pattern)) {
    throw new ArgumentError(path, `expected a pattern object such as { type: 'sliding', radius: 3 }, received ${describeValue(pattern)}`);
  }
  const fields = pattern as PatternFields;
  const { type } = fields;
  if (typeof type !== 'string' || !Object.hasOwn(KINDS, type)) {
    const expected = PATTERN_TYPES.map((t) => `'${t}'`).join(', ');
    throw new ArgumentError(`${path}.type`, `expected one of ${expected}, received ${describeValue(type)}`);
  }
  const kind = kindOf(type as PatternType);
  checkFieldNames(fields, kind, path);
  if (kind.oneSequence && nq !== nk) {
    throw new ArgumentError(path, `expected Nq == Nk (a '${type}' pattern is self-attention over one sequence), received Nq = ${nq}, Nk = ${nk}`);
  }
  return kind.normalize(fields, { nq, nk, path, nested: (inner, at) => normalizeAt(inner, at, nq, nk) });
}

/**
 * Validates a pattern for Nq queries and Nk keys and returns its normalized spec. Errors are
 * ArgumentErrors whose param is the field's path ('pattern.type', 'pattern.window[1]',
 * 'pattern.inner.grid', ...).
 */
export function normalizePattern(pattern: unknown, nq: number, nk: number): PatternSpec {
  checkPositiveInt('nq', nq);
  checkPositiveInt('nk', nk);
  return normalizeAt(pattern, 'pattern', nq, nk);
}

/** Counts by testing each key below the limit. */
function scanningCounter(allowed: PairPredicate): RowCounter {
  return (i, limit) => {
    let count = 0;
    for (let j = 0; j < limit; j++) if (allowed(i, j)) count++;
    return count;
  };
}

const OPS: PatternOps = {
  predicate: (spec, nq, nk) => patternPredicate(spec, nq, nk),
  rowCounter: (spec, nq, nk) => kindOf(spec.type).rowCounter?.(spec, nq, nk, OPS) ?? scanningCounter(patternPredicate(spec, nq, nk)),
};

/**
 * The exact semantics of a spec (from normalizePattern with the same Nq, Nk) as a pure
 * predicate: (i, j) -> whether query i may see key j, for 0 <= i < Nq, 0 <= j < Nk.
 */
export function patternPredicate(spec: PatternSpec, nq: number, nk: number): PairPredicate {
  return kindOf(spec.type).allowed(spec, nq, nk, OPS);
}

/**
 * The number of allowed (i, j) pairs of one batch element and head, with `causal` and a key
 * length applied (for per-batch keyLengths, sum over b with keyLength = keyLengths[b]).
 * Grid, sliding, full and global patterns count each row without testing every key.
 */
export function countAllowedPairs(spec: PatternSpec, nq: number, nk: number, options?: KeyLimitOptions): number {
  const limit = keyLimits(options, nk);
  const count = OPS.rowCounter(spec, nq, nk);
  let pairs = 0;
  for (let i = 0; i < nq; i++) pairs += count(i, limit(i));
  return pairs;
}
