/**
 * What an attention block's reshapes and transposes do, read off layout probes (layout-probe.ts)
 * and checked against multi-head self-attention:
 * - the query / key / value operands of the two attention MatMuls are [..., N, D] / [..., D, N] /
 *   [..., N, D], where every batch index b of the leading dims holds one head of one sequence;
 * - each operand row is one token (a row of the projection's input) and each operand column one
 *   feature of the projection's output, the same for every b of that head;
 * - the context [..., N, D] goes back to the output projection with head h, dim i at feature
 *   h * D + i, and the projection's result goes back to the input's rows.
 * The result: per role, the projection's output features in Hugging Face order (head-major,
 * rows h * D .. h * D + D - 1 for head h), which is how fused or permuted q | k | v weights are
 * split into query, key and value.
 */
import type { GraphIndex } from './graph-index';
import type { Probe } from './layout-probe';

/** Sizes of the attention core: batch entries (heads x sequences), tokens, head dim, heads. */
export interface CoreDims {
  readonly batch: number;
  readonly tokens: number;
  readonly headDim: number;
  readonly heads: number;
}

/** An operand of an attention MatMul, read back to its projection. */
export interface OperandSource {
  /** Per (batch entry, token): the projection-input row it comes from. */
  readonly rows: Int32Array;
  /** Per (batch entry, dim): the projection output feature it comes from. */
  readonly features: Int32Array;
}

/**
 * Reads an operand's probe (started at its projection's output, `features` wide). `transposed`:
 * the operand is [..., D, N] (the key), else [..., N, D]. FormatError (through `fail`) when a row
 * mixes tokens or a column mixes features.
 */
export function readOperand(probe: Probe, features: number, dims: CoreDims, transposed: boolean, fail: (problem: string) => Error): OperandSource {
  const { batch, tokens, headDim } = dims;
  const rows = new Int32Array(batch * tokens).fill(-1);
  const cols = new Int32Array(batch * headDim).fill(-1);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < tokens; t++) {
      for (let i = 0; i < headDim; i++) {
        const at = transposed ? (b * headDim + i) * tokens + t : (b * tokens + t) * headDim + i;
        const src = probe.source[at];
        const row = Math.floor(src / features);
        const feature = src % features;
        if (rows[b * tokens + t] === -1) rows[b * tokens + t] = row;
        else if (rows[b * tokens + t] !== row) throw fail('a token row of the operand mixes several input rows');
        if (cols[b * headDim + i] === -1) cols[b * headDim + i] = feature;
        else if (cols[b * headDim + i] !== feature) throw fail('a column of the operand mixes several projection features');
      }
    }
  }
  return { rows, features: cols };
}

/** The merge of the context back to the output projection. */
export interface MergeLayout {
  /** Per batch entry: its head. */
  readonly headOf: Int32Array;
  /** Per (batch entry, token): the output projection's row. */
  readonly rowOf: Int32Array;
}

/**
 * Reads the probe from the context [..., N, D] to the output projection's input [rows, hidden]:
 * each context element must appear once, head h's dim i at feature h * D + i.
 */
export function readMerge(probe: Probe, hidden: number, dims: CoreDims, fail: (problem: string) => Error): MergeLayout {
  const { batch, tokens, headDim } = dims;
  const headOf = new Int32Array(batch).fill(-1);
  const rowOf = new Int32Array(batch * tokens).fill(-1);
  const seen = new Uint8Array(batch * tokens * headDim);
  if (probe.source.length !== seen.length) throw fail('the output projection does not read every context element once');
  probe.source.forEach((src, at) => {
    const [row, feature] = [Math.floor(at / hidden), at % hidden];
    const b = Math.floor(src / (tokens * headDim));
    const t = Math.floor(src / headDim) % tokens;
    const i = src % headDim;
    const head = Math.floor(feature / headDim);
    if (seen[src]++ || i !== feature % headDim) throw fail('the context is not merged as head-major features (head h, dim i -> h * D + i)');
    if (headOf[b] !== -1 && headOf[b] !== head) throw fail('one attention batch entry is spread over several heads');
    headOf[b] = head;
    if (rowOf[b * tokens + t] !== -1 && rowOf[b * tokens + t] !== row) throw fail('one token of the context is spread over several rows');
    rowOf[b * tokens + t] = row;
  });
  return { headOf, rowOf };
}

/**
 * The projection features of one role in head-major order: entry h * D + i is the feature that
 * feeds head h, dim i (the same for every batch entry of head h).
 */
export function headFeatures(operand: OperandSource, merge: MergeLayout, dims: CoreDims, fail: (problem: string) => Error): number[] {
  const { batch, headDim, heads } = dims;
  const order = new Array<number>(heads * headDim).fill(-1);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < headDim; i++) {
      const at = merge.headOf[b] * headDim + i;
      const feature = operand.features[b * headDim + i];
      if (order[at] !== -1 && order[at] !== feature) throw fail(`head ${merge.headOf[b]} reads different features in different sequences`);
      order[at] = feature;
    }
  }
  if (order.includes(-1) || new Set(order).size !== order.length) throw fail('the heads do not read distinct projection features');
  return order;
}

/**
 * Checks that every batch entry attends within one sequence of the block input ([sequences,
 * tokens, hidden] as rows `sequence * tokens + token`): its queries are all that sequence's
 * tokens, and its keys and values are the same tokens, key j and value j the same token.
 * `inputRow` maps a projection-input row to a block-input row. Returns per (batch entry, query
 * position) the block-input row the query is.
 */
export function queryRows(
  q: OperandSource,
  k: OperandSource,
  v: OperandSource,
  inputRow: Int32Array,
  dims: CoreDims,
  fail: (problem: string) => Error,
): Int32Array {
  const { batch, tokens } = dims;
  const rows = q.rows.map((r) => inputRow[r]);
  for (let b = 0; b < batch; b++) {
    const queries = new Set<number>();
    const keys = new Set<number>();
    const sequence = Math.floor(rows[b * tokens] / tokens);
    for (let t = 0; t < tokens; t++) {
      const key = inputRow[k.rows[b * tokens + t]];
      if (key !== inputRow[v.rows[b * tokens + t]]) throw fail('key j and value j come from different tokens');
      queries.add(rows[b * tokens + t]);
      keys.add(key);
      if (Math.floor(rows[b * tokens + t] / tokens) !== sequence || Math.floor(key / tokens) !== sequence) throw fail('queries attend to keys of another sequence');
    }
    if (queries.size !== tokens || keys.size !== tokens) throw fail("queries or keys repeat tokens instead of covering the sequence");
  }
  return rows;
}

/** The graph-side error for a layout problem at an attention block. */
export function layoutFailure(g: GraphIndex, where: string): (problem: string) => Error {
  return (problem) => g.fail(`${where}: ${problem}`);
}
