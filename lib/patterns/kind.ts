/**
 * The contract between the pattern dispatcher (index.ts) and the one file per pattern type:
 * each file exports a PatternKind that validates and normalizes its pattern objects and turns
 * a normalized spec into a pure predicate (and, where it has one, a fast per-row counter).
 */
import type { PairPredicate, PatternSpec, RowCounter } from './types';

/** A pattern object's own fields, as the user wrote them (not yet validated). */
export type PatternFields = Readonly<Record<string, unknown>>;

/** What a normalizer needs: the sequence lengths, its place in errors, and recursion. */
export interface NormalizeContext {
  readonly nq: number;
  readonly nk: number;
  /** The parameter path of this pattern in errors: 'pattern', 'pattern.inner', ... */
  readonly path: string;
  /** Normalizes a nested pattern (such as global's inner) found at `path`, for the same Nq, Nk. */
  nested(pattern: unknown, path: string): PatternSpec;
}

/** Predicates and counters of any spec: what a kind that nests other patterns builds on. */
export interface PatternOps {
  predicate(spec: PatternSpec, nq: number, nk: number): PairPredicate;
  rowCounter(spec: PatternSpec, nq: number, nk: number): RowCounter;
}

export interface PatternKind<S extends PatternSpec> {
  /** The fields a pattern may have besides `type`; others are errors (a typo would be ignored otherwise). */
  readonly fields: readonly string[];
  /** Self-attention over one sequence: the pattern needs Nq == Nk. */
  readonly oneSequence: boolean;
  /** Validates `fields` (errors name `${ctx.path}.<field>`) and returns the normalized spec. */
  normalize(fields: PatternFields, ctx: NormalizeContext): S;
  /** The pattern's exact semantics as a pure predicate over 0 <= i < nq, 0 <= j < nk. */
  allowed(spec: S, nq: number, nk: number, ops: PatternOps): PairPredicate;
  /** Counts a row's allowed keys faster than testing each of them; absent: the dispatcher tests each. */
  rowCounter?(spec: S, nq: number, nk: number, ops: PatternOps): RowCounter;
}
