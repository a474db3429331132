/** Reproducible synthetic inputs for the benchmarks. */
import type { AttentionCase } from './attention-case';
import { mulberry32 } from '../random';

/** q: [B, Nq, H*D], k and v: [B, Nk, H*D] (the memory of [B, N, H, D]). */
export interface AttentionInputs {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
}

/** `count` values uniform in [-1, 1) from the mulberry32 generator seeded with `seed`. */
export function uniformFloats(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  const next = mulberry32(seed);
  for (let i = 0; i < count; i++) out[i] = next() / 2 ** 31 - 1;
  return out;
}

export function syntheticInputs(c: AttentionCase, seed: number): AttentionInputs {
  const hidden = c.heads * c.headDim;
  return {
    q: uniformFloats(c.batch * c.seqQ * hidden, seed),
    k: uniformFloats(c.batch * c.seqK * hidden, seed + 1),
    v: uniformFloats(c.batch * c.seqK * hidden, seed + 2),
  };
}
