/**
 * compilePattern(pattern, shape, { causal }): validates a pattern for Nq queries and Nk keys and
 * builds its tile plan in the addon once: per query tile (64 rows shaped by the pattern: grid
 * boxes for neighborhood, lines of the attended axes for axial), the key tiles that are full or
 * partial; empty tiles cost nothing. Pass the result as attention's `pattern` option to reuse it.
 * On CUDA the plan is also uploaded once per device at its first use there (device-plans.ts).
 */
import { fromNative } from '../errors';
import { native } from '../native';
import { releaseDevicePlans } from './device-plans';
import { normalizePattern } from './index';
import type { PatternShape } from './shape';
import { readShape } from './shape';
import type { Pattern, PatternSpec } from './types';

export interface CompileOptions {
  /** Also require j <= i (part of the plan: attention must be called with the same value). */
  causal?: boolean;
}

/** What the plan costs: tiles, and the pairs it allows and computes (for FLOP counts). */
export interface PatternStats {
  queryTiles: number;
  keyTiles: number;
  partialTiles: number;
  /** Pairs (i, j) the pattern allows, with causal: FLOPs = 4 * B * H * D * allowedPairs. */
  allowedPairs: number;
  /** Pairs the kernel computes (rows x keys of the tiles it keeps). */
  computedPairs: number;
}

/** A pattern compiled for one (Nq, Nk, causal); reusable across calls and batches. */
export class CompiledPattern {
  readonly spec: PatternSpec;
  readonly nq: number;
  readonly nk: number;
  readonly causal: boolean;
  readonly stats: PatternStats;
  /** The addon's plan (opaque). */
  readonly handle: unknown;

  constructor(spec: PatternSpec, nq: number, nk: number, causal: boolean) {
    this.spec = spec;
    this.nq = nq;
    this.nk = nk;
    this.causal = causal;
    try {
      const { handle, ...stats } = native().compilePattern(spec, { seqQ: nq, seqK: nk, causal });
      this.handle = handle;
      this.stats = stats;
    } catch (error) {
      throw fromNative(error);
    }
  }

  /**
   * Frees this plan's copies in GPU memory now (after any running call that uses them) rather
   * than when this object is garbage-collected; a later CUDA call uploads the plan again.
   */
  releaseDeviceMemory(): void {
    releaseDevicePlans(this);
  }
}

export function compilePattern(pattern: Pattern | PatternSpec, shape: PatternShape, options: CompileOptions = {}): CompiledPattern {
  const { nq, nk } = readShape(shape);
  return new CompiledPattern(normalizePattern(pattern, nq, nk), nq, nk, options.causal ?? false);
}
