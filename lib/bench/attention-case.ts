/** The size of one dense attention problem, and what it costs. */
export interface AttentionCase {
  batch: number;
  seqQ: number;
  seqK: number;
  heads: number;
  headDim: number;
}

/** Floating-point operations of dense attention: 4 * B * H * Nq * Nk * D (two matmuls). */
export function attentionFlops(c: AttentionCase): number {
  return 4 * c.batch * c.heads * c.seqQ * c.seqK * c.headDim;
}

/** Bytes of q, k, v and the output, all fp32. */
export function ioBytes(c: AttentionCase): number {
  return 4 * c.heads * c.headDim * c.batch * (2 * c.seqQ + 2 * c.seqK);
}

/** Bytes of one fp32 [B, H, Nq, Nk] score matrix, what an unfused graph materializes. */
export function scoreMatrixBytes(c: AttentionCase): number {
  return 4 * c.batch * c.heads * c.seqQ * c.seqK;
}

/** "B=1 N=4096 H=12 D=64", or "Nq=.. Nk=.." when they differ. */
export function describeCase(c: AttentionCase): string {
  const seq = c.seqQ === c.seqK ? `N=${c.seqQ}` : `Nq=${c.seqQ} Nk=${c.seqK}`;
  return `B=${c.batch} ${seq} H=${c.heads} D=${c.headDim}`;
}
