/** The onnxruntime-node baselines: a fused MultiHeadAttention node and the unfused graph. */
import type { AttentionCase } from './attention-case';
import { scoreMatrixBytes } from './attention-case';
import type { AttentionGraphOptions } from './attention-graphs';
import { GRAPH_OUTPUT, matmulSoftmaxModel, multiHeadAttentionModel } from './attention-graphs';
import type { Engine, EngineName, LoadedEngine } from './engine';
import { loadOrt } from './ort-runtime';
import type { AttentionInputs } from './synthetic';

async function loadSession(
  model: Uint8Array,
  c: AttentionCase,
  inputs: AttentionInputs,
  threads: number,
): Promise<LoadedEngine> {
  const ort = loadOrt();
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const hidden = c.heads * c.headDim;
  const feeds = {
    q: new ort.Tensor('float32', inputs.q, [c.batch, c.seqQ, hidden]),
    k: new ort.Tensor('float32', inputs.k, [c.batch, c.seqK, hidden]),
    v: new ort.Tensor('float32', inputs.v, [c.batch, c.seqK, hidden]),
  };
  return {
    detail: `onnxruntime ${ort.env.versions.node ?? ''}`.trim(),
    run: async () => {
      await session.run(feeds, [GRAPH_OUTPUT]);
    },
  };
}

function ortEngine(
  name: EngineName,
  label: string,
  buildModel: (options: AttentionGraphOptions) => Uint8Array,
  workingBytes: (c: AttentionCase) => number,
): Engine {
  return {
    name,
    label,
    usesOrt: true,
    workingBytes,
    load: (c, inputs, threads) => loadSession(buildModel({ heads: c.heads, headDim: c.headDim }), c, inputs, threads),
  };
}

/** MultiHeadAttention (com.microsoft): on CPU, onnxruntime runs it without a score matrix. */
export const ortMhaEngine = ortEngine('ort-mha', 'ORT MultiHeadAttention', multiHeadAttentionModel, () => 0);

/** MatMul -> Mul -> Softmax -> MatMul: at least one [B, H, Nq, Nk] score matrix is materialized. */
export const ortPlainEngine = ortEngine('ort-plain', 'ORT MatMul-Softmax-MatMul', matmulSoftmaxModel, scoreMatrixBytes);
