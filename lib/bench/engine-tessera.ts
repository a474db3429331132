/**
 * tessera's fused flash-attention kernel, called through the public async API (the path an
 * inference service takes: the kernel runs on tessera's pool, off the event loop).
 */
import { attention } from '../ops/attention';
import { native } from '../native';
import type { Engine } from './engine';

export const tesseraEngine: Engine = {
  name: 'tessera',
  label: 'tessera',
  usesOrt: false,
  // Flash attention keeps only per-thread tiles: nothing that grows with Nq * Nk.
  workingBytes: () => 0,
  async load(c, inputs, threads) {
    const q = { data: inputs.q, shape: [c.batch, c.seqQ, c.heads, c.headDim] };
    const k = { data: inputs.k, shape: [c.batch, c.seqK, c.heads, c.headDim] };
    const v = { data: inputs.v, shape: [c.batch, c.seqK, c.heads, c.headDim] };
    return {
      detail: native().cpuInfo().isa,
      run: async () => {
        await attention(q, k, v, { threads });
      },
    };
  },
};
