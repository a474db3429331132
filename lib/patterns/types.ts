/**
 * Attention patterns: which keys j each query i may see (docs: ARCHITECTURE.md, "Attention
 * patterns"). `Pattern` is what users write; `PatternSpec` is its validated, normalized form
 * (every optional field filled in, arrays copied), the one input of the predicates and of the
 * native pattern compiler. Positions are 0-based; i indexes the Nq queries, j the Nk keys.
 */

/** Every key: i sees every j. */
export interface FullPattern {
  type: 'full';
}

/** Local band: |i - j| <= radius. */
export interface SlidingPattern {
  type: 'sliding';
  radius: number;
}

/** Child et al. 2019, strided: |i - j| < stride, or (i - j) mod stride == 0. */
export interface StridedPattern {
  type: 'strided';
  stride: number;
}

/**
 * Child et al. 2019, fixed: the same block (floor(i / block) == floor(j / block)), or j is one of
 * the last `summary` positions of its block ((j mod block) >= block - summary).
 */
export interface FixedPattern {
  type: 'fixed';
  block: number;
  summary: number;
}

/**
 * NATTEN neighborhood attention over a row-major grid (last axis fastest) of 1 to 3 axes that
 * occupies positions offset .. offset + prod(grid) - 1. Along each axis a query sees the
 * min(window, m) nearest positions of its dilation group of size m (windows shift inward at the
 * edges); a key must be in the window on every axis. Positions before the grid are global.
 */
export interface NeighborhoodPattern {
  type: 'neighborhood';
  grid: readonly number[];
  /** Window size per axis, >= 1; larger than the axis means the whole axis (its group). */
  window: readonly number[];
  /** Per axis, default all 1: coordinates split into `dilation` interleaved groups. */
  dilation?: readonly number[];
  /** Tokens before the grid (e.g. 1 for a class token), default 0. */
  offset?: number;
}

/**
 * Axial attention over a grid as in NeighborhoodPattern: i sees j when their coordinates are
 * equal on every axis NOT in `axes` (temporal attention in [T, H, W]: axes [0]; spatial: [1, 2]).
 */
export interface AxialPattern {
  type: 'axial';
  grid: readonly number[];
  axes: readonly number[];
  offset?: number;
}

/** Global tokens: i in `tokens` sees every j, every i sees j in `tokens`, otherwise `inner` decides. */
export interface GlobalPattern {
  type: 'global';
  tokens: ArrayLike<number>;
  inner: Pattern;
}

/** An explicit Nq x Nk boolean matrix, row-major: bits[i * Nk + j] (true or 1 = allowed). */
export interface MaskPattern {
  type: 'mask';
  bits: Uint8Array | readonly boolean[] | readonly (0 | 1)[];
}

export type Pattern =
  | FullPattern
  | SlidingPattern
  | StridedPattern
  | FixedPattern
  | NeighborhoodPattern
  | AxialPattern
  | GlobalPattern
  | MaskPattern;

export type PatternType = Pattern['type'];

export interface FullSpec {
  type: 'full';
}

export interface SlidingSpec {
  type: 'sliding';
  radius: number;
}

export interface StridedSpec {
  type: 'strided';
  stride: number;
}

export interface FixedSpec {
  type: 'fixed';
  block: number;
  summary: number;
}

export interface NeighborhoodSpec {
  type: 'neighborhood';
  /** 1 to 3 positive sizes; prod(grid) == N - offset. */
  grid: number[];
  /** One positive size per axis. */
  window: number[];
  /** One positive dilation per axis (1 when not given). */
  dilation: number[];
  offset: number;
}

export interface AxialSpec {
  type: 'axial';
  grid: number[];
  /** Distinct axes of the grid, ascending. */
  axes: number[];
  offset: number;
}

export interface GlobalSpec {
  type: 'global';
  /** Positions in [0, N), ascending, without duplicates. */
  tokens: Int32Array;
  inner: PatternSpec;
}

export interface MaskSpec {
  type: 'mask';
  /** Nq * Nk entries, each 0 or 1, row-major; a copy of the user's bits. */
  bits: Uint8Array;
}

export type PatternSpec =
  | FullSpec
  | SlidingSpec
  | StridedSpec
  | FixedSpec
  | NeighborhoodSpec
  | AxialSpec
  | GlobalSpec
  | MaskSpec;

/** The normalized spec of one pattern type. */
export type SpecOf<T extends PatternType> = Extract<PatternSpec, { type: T }>;

/** Whether query i may see key j (0 <= i < Nq, 0 <= j < Nk). */
export type PairPredicate = (i: number, j: number) => boolean;

/** How many keys j < limit query i may see (0 <= limit <= Nk). */
export type RowCounter = (i: number, limit: number) => number;
