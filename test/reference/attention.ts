/**
 * The fp64 oracle for attention, and seeded random inputs for the tests.
 *
 * referenceAttention() is deliberately plain: one query row at a time, the full softmax of
 * the row with max subtraction, everything in float64 computed from the fp32 inputs. It reads
 * strided views itself and shares no code with lib/ (only the TensorLike type), so a bug in
 * the library's stride or mask handling cannot hide in the oracle too.
 *   q: [B, Nq, H, D], k and v: [B, Nk, H, D] -> out: [B, Nq, H, D] (contiguous), lse: [B, H, Nq]
 * Key j is allowed for query i when (!causal || j <= i) and (!keyLengths || j < keyLengths[b])
 * and (!mask || mask[i * Nk + j]); a row without allowed keys gives zeros and lse = -Infinity.
 */
import type { TensorLike } from '../../lib';
import { mulberry32 as mulberry32Bits } from '../../lib/random';

export interface ReferenceOptions {
  /** Multiplies q k^T; default 1 / sqrt(D). */
  scale?: number;
  causal?: boolean;
  keyLengths?: ArrayLike<number>;
  /** Nq x Nk row-major, for every batch and head: key j is allowed for query i only when set. */
  mask?: Uint8Array;
}

export interface ReferenceResult {
  /** [B, Nq, H, D], contiguous. */
  out: Float64Array;
  /** [B, H, Nq], natural-log log-sum-exp of each row; -Infinity for rows without keys. */
  lse: Float64Array;
}

/** Row-major strides of a shape (kept here so the oracle does not depend on lib/). */
export function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = step;
    step *= shape[i];
  }
  return strides;
}

function stridesOf(t: TensorLike): readonly number[] {
  return t.strides ?? rowMajorStrides(t.shape);
}

/** Number of allowed keys of query row i in batch b. */
export function allowedKeys(i: number, b: number, seqK: number, options: ReferenceOptions): number {
  let end = seqK;
  if (options.keyLengths) end = Math.min(end, options.keyLengths[b]);
  if (options.causal) end = Math.min(end, i + 1);
  return Math.max(end, 0);
}

export function referenceAttention(
  q: TensorLike,
  k: TensorLike,
  v: TensorLike,
  options: ReferenceOptions = {},
): ReferenceResult {
  const [batch, seqQ, heads, headDim] = q.shape;
  const seqK = k.shape[1];
  const scale = options.scale ?? 1 / Math.sqrt(headDim);
  const [qsB, qsN, qsH, qsD] = stridesOf(q);
  const [ksB, ksN, ksH, ksD] = stridesOf(k);
  const [vsB, vsN, vsH, vsD] = stridesOf(v);
  const qd = q.data;
  const kd = k.data;
  const vd = v.data;

  const out = new Float64Array(batch * seqQ * heads * headDim);
  const lse = new Float64Array(batch * heads * seqQ);
  const qRow = new Float64Array(headDim);
  const logits = new Float64Array(seqK);
  const acc = new Float64Array(headDim);

  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < seqQ; i++) {
        const lseIndex = (b * heads + h) * seqQ + i;
        const end = allowedKeys(i, b, seqK, options);
        if (end === 0) {
          lse[lseIndex] = -Infinity; // out stays zero
          continue;
        }
        const qBase = b * qsB + i * qsN + h * qsH;
        for (let d = 0; d < headDim; d++) qRow[d] = qd[qBase + d * qsD];

        let max = -Infinity;
        for (let j = 0; j < end; j++) {
          if (options.mask && !options.mask[i * seqK + j]) {
            logits[j] = -Infinity;
            continue;
          }
          const kBase = b * ksB + j * ksN + h * ksH;
          let dot = 0;
          for (let d = 0; d < headDim; d++) dot += qRow[d] * kd[kBase + d * ksD];
          const s = dot * scale;
          logits[j] = s;
          if (s > max) max = s;
        }

        if (max === -Infinity) {
          lse[lseIndex] = -Infinity; // every key masked: out stays zero
          continue;
        }
        let sum = 0;
        acc.fill(0);
        for (let j = 0; j < end; j++) {
          if (logits[j] === -Infinity) continue;
          const p = Math.exp(logits[j] - max);
          sum += p;
          const vBase = b * vsB + j * vsN + h * vsH;
          for (let d = 0; d < headDim; d++) acc[d] += p * vd[vBase + d * vsD];
        }

        const outBase = ((b * seqQ + i) * heads + h) * headDim;
        for (let d = 0; d < headDim; d++) out[outBase + d] = acc[d] / sum;
        lse[lseIndex] = max + Math.log(sum);
      }
    }
  }
  return { out, lse };
}

/**
 * The same plain algorithm computed in fp32 (every operation rounded with Math.fround), as a
 * straightforward fp32 implementation would: the "reference computed in that dtype" of the
 * reduced-precision rule. It measures how ill-conditioned a case is for any fp32 kernel
 * (e.g. logits of magnitude 1e4, where one fp32 rounding of a logit already moves it by ~1e-3).
 * Returns out [B, Nq, H, D] contiguous.
 */
export function referenceAttentionFp32(
  q: TensorLike,
  k: TensorLike,
  v: TensorLike,
  options: ReferenceOptions = {},
): Float32Array {
  const f = Math.fround;
  const [batch, seqQ, heads, headDim] = q.shape;
  const seqK = k.shape[1];
  const scale = f(options.scale ?? 1 / Math.sqrt(headDim));
  const [qsB, qsN, qsH, qsD] = stridesOf(q);
  const [ksB, ksN, ksH, ksD] = stridesOf(k);
  const [vsB, vsN, vsH, vsD] = stridesOf(v);
  const out = new Float32Array(batch * seqQ * heads * headDim);
  const logits = new Float32Array(seqK);
  const acc = new Float32Array(headDim);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < seqQ; i++) {
        const end = allowedKeys(i, b, seqK, options);
        if (end === 0) continue;
        const qBase = b * qsB + i * qsN + h * qsH;
        let max = -Infinity;
        for (let j = 0; j < end; j++) {
          if (options.mask && !options.mask[i * seqK + j]) {
            logits[j] = -Infinity;
            continue;
          }
          const kBase = b * ksB + j * ksN + h * ksH;
          let dot = 0;
          for (let d = 0; d < headDim; d++) dot = f(dot + f(q.data[qBase + d * qsD] * k.data[kBase + d * ksD]));
          logits[j] = f(dot * scale);
          if (logits[j] > max) max = logits[j];
        }
        let sum = 0;
        acc.fill(0);
        for (let j = 0; j < end; j++) {
          const p = f(Math.exp(f(logits[j] - max)));
          sum = f(sum + p);
          const vBase = b * vsB + j * vsN + h * vsH;
          for (let d = 0; d < headDim; d++) acc[d] = f(acc[d] + f(p * v.data[vBase + d * vsD]));
        }
        const outBase = ((b * seqQ + i) * heads + h) * headDim;
        for (let d = 0; d < headDim; d++) out[outBase + d] = f(acc[d] / sum);
      }
    }
  }
  return out;
}

/** mulberry32: a small, fast, deterministic 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  const next = mulberry32Bits(seed);
  return () => next() / 4294967296;
}

/** FNV-1a hash of a string: a stable seed per named test case. */
export function seedFromString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** `count` fp32 values uniform in [-1, 1) times `factor`, from `seed`. */
export function randomFloat32(count: number, seed: number, factor = 1): Float32Array {
  const next = mulberry32(seed);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = (next() * 2 - 1) * factor;
  return data;
}

/** A contiguous random tensor of `shape`, values uniform in [-1, 1) times `factor`. */
export function randomTensor(shape: readonly number[], seed: number, factor = 1): TensorLike {
  const count = shape.reduce((a, b) => a * b, 1);
  return { data: randomFloat32(count, seed, factor), shape: [...shape] };
}

export interface AttentionDims {
  B: number;
  Nq: number;
  Nk: number;
  H: number;
  D: number;
}

/**
 * Random q [B, Nq, H, D], k and v [B, Nk, H, D]. q is multiplied by `logitFactor`, which
 * multiplies every logit by the same factor (e.g. 50 or 1e4 for near-one-hot softmax rows).
 */
export function randomQkv(dims: AttentionDims, seed: number, logitFactor = 1): { q: TensorLike; k: TensorLike; v: TensorLike } {
  const { B, Nq, Nk, H, D } = dims;
  return {
    q: randomTensor([B, Nq, H, D], seed, logitFactor),
    k: randomTensor([B, Nk, H, D], (seed ^ 0x9e3779b9) >>> 0),
    v: randomTensor([B, Nk, H, D], (seed ^ 0x7f4a7c15) >>> 0),
  };
}

/** A contiguous copy of a (possibly strided) view: the same values, row-major. */
export function contiguousCopy(t: TensorLike): TensorLike {
  const shape = [...t.shape];
  const strides = stridesOf(t);
  const count = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  const index = new Array<number>(shape.length).fill(0);
  for (let n = 0; n < count; n++) {
    let offset = 0;
    for (let a = 0; a < shape.length; a++) offset += index[a] * strides[a];
    data[n] = t.data[offset];
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++index[a] < shape[a]) break;
      index[a] = 0;
    }
  }
  return { data, shape };
}

/**
 * Stores a contiguous tensor in another physical layout and returns the strided view of it.
 * `order` lists the logical axes from outermost to innermost in memory: [0, 2, 1, 3] stores
 * a [B, N, H, D] tensor head-major as [B, H, N, D]; [0, 2, 3, 1] stores it as [B, H, D, N]
 * (D stride = N, i.e. transposed). `pad` extra elements follow every innermost run.
 */
export function permutedView(t: TensorLike, order: readonly number[], pad = 0): TensorLike {
  const contiguous = contiguousCopy(t);
  const shape = contiguous.shape;
  const physical = order.map((axis) => shape[axis]);
  physical[physical.length - 1] += pad;
  const physicalStrides = rowMajorStrides(physical);
  const strides = new Array<number>(shape.length);
  order.forEach((axis, position) => {
    strides[axis] = physicalStrides[position];
  });
  const size = physical.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size).fill(Number.NaN); // padding must never be read
  const logicalStrides = rowMajorStrides(shape);
  const count = contiguous.data.length;
  for (let n = 0; n < count; n++) {
    let rest = n;
    let offset = 0;
    for (let a = 0; a < shape.length; a++) {
      const coordinate = Math.floor(rest / logicalStrides[a]);
      rest -= coordinate * logicalStrides[a];
      offset += coordinate * strides[a];
    }
    data[offset] = contiguous.data[n];
  }
  return { data, shape, strides };
}
