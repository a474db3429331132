/** What the attention benchmark needs from each engine it compares. */
import type { AttentionCase } from './attention-case';
import type { AttentionInputs } from './synthetic';

export type EngineName = 'tessera' | 'ort-mha' | 'ort-plain';

/** An engine ready to run one attention problem on inputs it already holds. */
export interface LoadedEngine {
  /** e.g. "avx512" or "onnxruntime 1.30.0". */
  detail: string;
  /** Computes the attention output once. */
  run(): Promise<void>;
}

export interface Engine {
  name: EngineName;
  /** Human-readable name for tables. */
  label: string;
  /** Needs onnxruntime-node. */
  usesOrt: boolean;
  /**
   * Bytes the engine must allocate while running, beyond q, k, v and the output: a lower
   * bound, used to skip runs that cannot fit in memory.
   */
  workingBytes(c: AttentionCase): number;
  load(c: AttentionCase, inputs: AttentionInputs, threads: number): Promise<LoadedEngine>;
}
