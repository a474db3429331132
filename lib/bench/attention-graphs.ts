/**
 * The onnxruntime baselines of the attention benchmark, as ONNX models built in memory.
 * Both take q: [B, Nq, H*D], k and v: [B, Nk, H*D] (the memory of tessera's [B, N, H, D]) and
 * give out: [B, Nq, H*D]; B, Nq and Nk are symbolic, so one model serves every sequence length.
 */
import type { NodeSpec, TensorInfo } from '../io/onnx-builder';
import { attr, buildOnnxModel } from '../io/onnx-builder';

export interface AttentionGraphOptions {
  heads: number;
  headDim: number;
  /** Multiplies q k^T; default 1 / sqrt(headDim), as in tessera. */
  scale?: number;
}

/** Names of the graphs' inputs and output. */
export const GRAPH_INPUTS = ['q', 'k', 'v'] as const;
export const GRAPH_OUTPUT = 'out';

function graphIo(hidden: number): { inputs: TensorInfo[]; outputs: TensorInfo[] } {
  return {
    inputs: [
      { name: 'q', dims: ['batch', 'seq_q', hidden] },
      { name: 'k', dims: ['batch', 'seq_k', hidden] },
      { name: 'v', dims: ['batch', 'seq_k', hidden] },
    ],
    outputs: [{ name: GRAPH_OUTPUT, dims: ['batch', 'seq_q', hidden] }],
  };
}

function scaleOf(options: AttentionGraphOptions): number {
  return options.scale ?? 1 / Math.sqrt(options.headDim);
}

/** One com.microsoft MultiHeadAttention node: onnxruntime's fused attention kernel. */
export function multiHeadAttentionModel(options: AttentionGraphOptions): Uint8Array {
  const node: NodeSpec = {
    opType: 'MultiHeadAttention',
    domain: 'com.microsoft',
    inputs: [...GRAPH_INPUTS],
    outputs: [GRAPH_OUTPUT],
    attributes: { num_heads: attr.int(options.heads), scale: attr.float(scaleOf(options)) },
  };
  const graph = { name: 'multi_head_attention', nodes: [node], ...graphIo(options.heads * options.headDim) };
  return buildOnnxModel({ graph });
}

/** Nodes that reshape x: [B, N, H*D] to [B, N, H, D] and transpose it by `perm`. */
function splitHeads(x: string, perm: readonly number[]): NodeSpec[] {
  return [
    { opType: 'Reshape', inputs: [x, 'shape_bnhd'], outputs: [`${x}_bnhd`] },
    { opType: 'Transpose', inputs: [`${x}_bnhd`], outputs: [`${x}_heads`], attributes: { perm: attr.ints(perm) } },
  ];
}

/**
 * The unfused graph: softmax(q k^T * scale) v with MatMul, Mul and Softmax on [B, H, Nq, Nk]
 * score matrices, as a plain ONNX export of attention computes it.
 */
export function matmulSoftmaxModel(options: AttentionGraphOptions): Uint8Array {
  const { heads, headDim } = options;
  const nodes: NodeSpec[] = [
    // Reshape's 0 copies that dim from the input, so B and N stay symbolic.
    { opType: 'Constant', inputs: [], outputs: ['shape_bnhd'], attributes: { value_ints: attr.ints([0, 0, heads, headDim]) } },
    { opType: 'Constant', inputs: [], outputs: ['shape_bnc'], attributes: { value_ints: attr.ints([0, 0, heads * headDim]) } },
    ...splitHeads('q', [0, 2, 1, 3]), // [B, H, Nq, D]
    ...splitHeads('k', [0, 2, 3, 1]), // [B, H, D, Nk]
    ...splitHeads('v', [0, 2, 1, 3]), // [B, H, Nk, D]
    { opType: 'MatMul', inputs: ['q_heads', 'k_heads'], outputs: ['scores'] }, // [B, H, Nq, Nk]
    { opType: 'Mul', inputs: ['scores', 'scale'], outputs: ['scaled'] },
    { opType: 'Softmax', inputs: ['scaled'], outputs: ['probs'], attributes: { axis: attr.int(-1) } },
    { opType: 'MatMul', inputs: ['probs', 'v_heads'], outputs: ['context'] }, // [B, H, Nq, D]
    { opType: 'Transpose', inputs: ['context'], outputs: ['context_bnhd'], attributes: { perm: attr.ints([0, 2, 1, 3]) } },
    { opType: 'Reshape', inputs: ['context_bnhd', 'shape_bnc'], outputs: [GRAPH_OUTPUT] },
  ];
  const initializers = [{ name: 'scale', dims: [], data: Float32Array.of(scaleOf(options)) }];
  const graph = { name: 'matmul_softmax_matmul', nodes, initializers, ...graphIo(heads * headDim) };
  return buildOnnxModel({ graph });
}
