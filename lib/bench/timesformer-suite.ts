/**
 * The TimeSformer benchmark.
 *
 * Model: one set of synthetic TimesformerForVideoClassification weights (Hugging Face names)
 * per attention type, loaded into tessera and built into an ONNX graph for onnxruntime-node
 * (timesformer-onnx.ts); both run in this process on the same clip after one warm-up each,
 * interleaved run by run (interleaved.ts, as the ViT benchmark does). Reports each engine's
 * median and best latency and how far apart their logits are.
 *
 * Attention curve: what divided space-time attention saves over joint attention as clips grow.
 * For each frame count, the attention part of one layer, on tessera's attention op with exactly
 * the patterns and views the model uses (lib/models/timesformer/divided-block.ts):
 *   divided: temporal attention over tokens 1..N-1 (axial axes [2] of the [gh, gw, T] grid),
 *     spatial attention over all N tokens (axial axes [0, 1], the class token global), and the
 *     class token's per-frame attention (its query broadcast over T, a T x N mask);
 *   joint: dense attention over all N = 1 + gh*gw*T tokens;
 * q, k and v are strided views of one fused [N, 3, heads, d] buffer, as in the model. Each
 * measurement is one native job per run (the op calls prepared once), timed after a warm-up,
 * with the peak RSS during the runs, and is bounded: a point whose runs would take more than
 * maxSeconds is measured with fewer runs, or skipped when one run alone would.
 */
import { performance } from 'node:perf_hooks';

import { parseTimesformerConfig } from '../models/timesformer/config';
import type { TimesformerAttentionType } from '../models/timesformer/config';
import { classTokenMask } from '../models/timesformer/divided-block';
import { TimesformerForVideoClassification } from '../models/timesformer/model';
import { Program } from '../nn/program';
import { Weights, mapWeights } from '../nn/weights';
import { attentionArgs } from '../ops/attention';
import { compilePattern } from '../patterns/compile';
import type { Pattern } from '../patterns/types';
import type { TensorLike } from '../tensor';
import { Tensor } from '../tensor';
import type { ComparisonRow, LatencySummary } from './interleaved';
import { compareLogits, interleavedRuns, summarizeTimes } from './interleaved';
import { peakRssBytes, resetPeakRss } from './peak-rss';
import { uniformFloats } from './synthetic';
import { buildTimesformerOnnx, createTimesformerSession } from './timesformer-onnx';
import type { HfTimesformerConfig } from './timesformer-weights';
import { resolveTimesformerConfig, syntheticTimesformerWeights } from './timesformer-weights';

// ---------------------------------------------------------------------------------------------
// The model beside onnxruntime

export interface TimesformerModelBenchOptions {
  /** The architecture; attention_type is replaced by each of attentionTypes. */
  config: HfTimesformerConfig;
  attentionTypes: readonly TimesformerAttentionType[];
  batch: number;
  /** Timed runs per engine (after one warm-up each). */
  runs: number;
  /** onnxruntime's intraOpNumThreads (tessera's pool size comes from TESSERA_NUM_THREADS). */
  ortThreads: number;
  seed: number;
}

export interface TimesformerModelRow extends ComparisonRow {
  attentionType: TimesformerAttentionType;
  batch: number;
  frames: number;
  /** Tokens per clip: 1 + patches * frames. */
  tokens: number;
}

/**
 * FLOPs (2 per multiply-add) of TimesformerForVideoClassification's forward on `batch` clips of
 * the config's frames and image size, as Hugging Face computes it: the patch embedding, every
 * Linear, attention (4 * L^2 * hidden per sequence of L tokens), the classifier. For
 * divided_space_time: temporal attention over P sequences of T tokens (qkv, output.dense,
 * temporal_dense over the P*T patches), spatial attention over T sequences of 1 + P tokens;
 * joint: one sequence of 1 + P*T tokens; space_only: B*T sequences of 1 + P tokens.
 */
export function timesformerFlops(config: HfTimesformerConfig, batch: number): number {
  const c = resolveTimesformerConfig(config);
  const h = c.hidden;
  const patches = c.grid[0] * c.grid[1];
  const frames = c.frames;
  const linear = (tokens: number, inp: number, out: number): number => 2 * tokens * inp * out;
  const attention = (sequences: number, length: number): number => sequences * (linear(length, h, 3 * h) + 4 * length * length * h + linear(length, h, h));
  const mlp = (tokens: number): number => linear(tokens, h, c.intermediate) + linear(tokens, c.intermediate, h);
  let layer: number;
  let classifierRows = 1;
  switch (c.attentionType) {
    case 'divided_space_time':
      layer = attention(patches, frames) + linear(patches * frames, h, h) + attention(frames, 1 + patches) + mlp(1 + patches * frames);
      break;
    case 'joint_space_time':
      layer = attention(1, 1 + patches * frames) + mlp(1 + patches * frames);
      break;
    case 'space_only':
      layer = frames * (attention(1, 1 + patches) + mlp(1 + patches));
      classifierRows = frames;
      break;
  }
  const embedding = linear(frames * patches, c.channels * c.patch[0] * c.patch[1], h);
  return batch * (embedding + c.layers * layer + classifierRows * linear(1, h, c.labels));
}

/** Runs the model benchmark, one attention type after the other; `log` receives progress lines. */
export async function runTimesformerModelBench(options: TimesformerModelBenchOptions, log: (line: string) => void): Promise<TimesformerModelRow[]> {
  const rows: TimesformerModelRow[] = [];
  for (const attentionType of options.attentionTypes) {
    const config: HfTimesformerConfig = { ...options.config, attention_type: attentionType };
    const c = resolveTimesformerConfig(config);
    log(`${attentionType}: synthesizing weights, loading tessera, building the ONNX graph...`);
    const weights = syntheticTimesformerWeights(config, options.seed);
    const model = TimesformerForVideoClassification.load(parseTimesformerConfig(config, '<config>'), new Weights(mapWeights(weights, '<synthetic weights>')));
    const session = await createTimesformerSession(buildTimesformerOnnx(config, weights), { intraOpNumThreads: options.ortThreads });
    weights.clear();
    try {
      const dims = [options.batch, c.frames, c.channels, c.image[0], c.image[1]];
      const pixels = new Tensor(uniformFloats(dims.reduce((a, b) => a * b, 1), options.seed + options.batch), dims);
      const ours = await model.forward(pixels);
      const theirs = await session.run(pixels.data, dims);
      const [tessera, ort] = await interleavedRuns(options.runs, [() => model.forward(pixels), () => session.run(pixels.data, dims)]);
      const row: TimesformerModelRow = {
        attentionType,
        batch: options.batch,
        frames: c.frames,
        tokens: 1 + c.grid[0] * c.grid[1] * c.frames,
        tessera,
        ort,
        flops: timesformerFlops(config, options.batch),
        ...compareLogits(ours.data, theirs.logits, ours.shape[1]),
      };
      log(`${attentionType}: tessera ${tessera.medianMs.toFixed(1)} ms, onnxruntime ${ort.medianMs.toFixed(1)} ms (median of ${options.runs})`);
      rows.push(row);
    } finally {
      await session.release();
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// The attention cost curve

export type AttentionKind = 'divided' | 'joint';
export const ATTENTION_KINDS: readonly AttentionKind[] = ['divided', 'joint'];

export interface AttentionCurveOptions {
  /** Frame counts T, in order (each point's estimate uses the one before). */
  frames: readonly number[];
  kinds: readonly AttentionKind[];
  /** The patch grid of one frame, e.g. [14, 14]. */
  grid: readonly [number, number];
  heads: number;
  headDim: number;
  /** Timed runs per point (fewer where they would exceed maxSeconds). */
  runs: number;
  /** Bound on one point's runs (warm-up included), in seconds. */
  maxSeconds: number;
  seed: number;
  /**
   * The rate assumed for a point with no earlier measurement of its kind, to decide whether it
   * fits in maxSeconds; default 20 GFLOP/s (well below tessera's).
   */
  assumedFlopsPerSecond?: number;
}

export interface CurveMeasurement {
  timing: LatencySummary;
  /** Timed runs (after one warm-up). */
  runs: number;
  /** 4 * heads * headDim * the pairs the patterns allow, over every call of the point. */
  flops: number;
  /** q, k, v (the fused buffer) and the outputs. */
  tensorBytes: number;
  /** Peak RSS during the timed runs minus the RSS just before them (outputs already touched). */
  runPeakIncreaseBytes: number;
}

export type CurveOutcome = { status: 'ok'; measurement: CurveMeasurement } | { status: 'skipped'; reason: string };

export interface CurvePoint {
  kind: AttentionKind;
  frames: number;
  /** 1 + gh * gw * T. */
  tokens: number;
  /**
   * The largest fp32 score tensor an unfused implementation materializes (Hugging Face's
   * PyTorch code, the ONNX baseline graph): joint [heads, N, N]; divided the larger of the
   * temporal [P, heads, T, T] and the spatial [T, heads, 1 + P, 1 + P].
   */
  unfusedScoreBytes: number;
  outcome: CurveOutcome;
}

/** One point's op calls, prepared: the buffers and a program of attention steps. */
interface PreparedAttention {
  program: Program;
  flops: number;
  tensorBytes: number;
}

/** [1, count, heads, d] views of q, k, v starting at token `first` of a fused [N, 3, heads, d] buffer. */
function qkvViews(qkv: Float32Array, tokens: number, heads: number, d: number, first = 0, count = tokens - first): [TensorLike, TensorLike, TensorLike] {
  const c = heads * d;
  const shape = [1, count, heads, d];
  const strides = [tokens * 3 * c, 3 * c, d, 1];
  const part = (i: number): TensorLike => ({ data: qkv.subarray(first * 3 * c + i * c), shape, strides });
  return [part(0), part(1), part(2)];
}

/** The attention calls of one layer, as the model makes them (divided-block.ts; joint: one dense call). */
function prepareAttention(kind: AttentionKind, frames: number, options: AttentionCurveOptions, seed: number): PreparedAttention {
  const { heads, headDim: d } = options;
  const c = heads * d;
  const [gh, gw] = options.grid;
  const patches = gh * gw;
  const n = 1 + patches * frames;
  const grid = [gh, gw, frames];
  const qkv = uniformFloats(n * 3 * c, seed);
  const ctx = new Float32Array(n * c);
  const program = new Program();
  let pairs = 0;
  const add = (q: TensorLike, k: TensorLike, v: TensorLike, out: TensorLike, pattern: Pattern | null): void => {
    const nq = q.shape[1];
    const nk = k.shape[1];
    if (pattern === null) {
      pairs += nq * nk;
      program.add('attention', attentionArgs(q, k, v, { out }).args);
      return;
    }
    const compiled = compilePattern(pattern, { nq, nk });
    pairs += compiled.stats.allowedPairs;
    program.add('attention', attentionArgs(q, k, v, { out, pattern: compiled }).args);
  };
  let tensorBytes = qkv.byteLength + ctx.byteLength;
  if (kind === 'joint') {
    const [q, k, v] = qkvViews(qkv, n, heads, d);
    add(q, k, v, { data: ctx, shape: [1, n, heads, d] }, null);
  } else {
    // 1. temporal: tokens 1..N-1 along time; the output skips the class token's row
    const [tq, tk, tv] = qkvViews(qkv, n, heads, d, 1);
    add(tq, tk, tv, { data: ctx.subarray(c), shape: [1, n - 1, heads, d], strides: [n * c, c, d, 1] }, { type: 'axial', grid, axes: [2] });
    // 2. spatial: every token within its frame, the class token global
    const [sq, sk, sv] = qkvViews(qkv, n, heads, d);
    add(sq, sk, sv, { data: ctx, shape: [1, n, heads, d] }, { type: 'axial', grid, axes: [0, 1], offset: 1 });
    // 3. the class token once per frame: its query broadcast over T, a T x N mask
    const clsContext = new Float32Array(frames * c);
    tensorBytes += clsContext.byteLength;
    const clsQuery = { data: sq.data, shape: [1, frames, heads, d], strides: [n * 3 * c, 0, d, 1] };
    add(clsQuery, sk, sv, { data: clsContext, shape: [1, frames, heads, d] }, { type: 'mask', bits: classTokenMask(patches, frames) });
  }
  return { program, flops: 4 * heads * d * pairs, tensorBytes };
}

/** See CurvePoint.unfusedScoreBytes. */
export function unfusedScoreBytes(kind: AttentionKind, frames: number, grid: readonly [number, number], heads: number): number {
  const patches = grid[0] * grid[1];
  if (kind === 'joint') return 4 * heads * (1 + patches * frames) ** 2;
  return 4 * heads * Math.max(patches * frames * frames, frames * (1 + patches) ** 2);
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function timedRun(program: Program): Promise<number> {
  const start = performance.now();
  await program.run();
  return performance.now() - start;
}

/** The runs that fit in the bound after a warm-up of `warmupMs` (at least 1). */
function runsWithin(options: AttentionCurveOptions, warmupMs: number): number {
  const budgetMs = options.maxSeconds * 1000 - warmupMs;
  return Math.max(1, Math.min(options.runs, Math.floor(budgetMs / Math.max(warmupMs, 1e-3))));
}

async function measurePoint(prepared: PreparedAttention, options: AttentionCurveOptions): Promise<CurveMeasurement> {
  const warmupMs = await timedRun(prepared.program); // also touches the outputs' pages
  const runs = runsWithin(options, warmupMs);
  collectGarbage();
  const rssBefore = process.memoryUsage.rss();
  resetPeakRss();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timedRun(prepared.program));
  const runPeak = peakRssBytes();
  return { timing: summarizeTimes(times), runs, flops: prepared.flops, tensorBytes: prepared.tensorBytes, runPeakIncreaseBytes: Math.max(0, runPeak - rssBefore) };
}

/** Every kind at every frame count; `log` receives progress lines. */
export async function runAttentionCurve(options: AttentionCurveOptions, log: (line: string) => void): Promise<CurvePoint[]> {
  const assumedRate = options.assumedFlopsPerSecond ?? 20e9;
  const last = new Map<AttentionKind, CurveMeasurement>();
  const points: CurvePoint[] = [];
  for (const frames of options.frames) {
    for (const kind of options.kinds) {
      const tokens = 1 + options.grid[0] * options.grid[1] * frames;
      const prepared = prepareAttention(kind, frames, options, options.seed + frames);
      const previous = last.get(kind);
      // One run's time, extrapolated from the previous point of this kind by FLOPs (else at the assumed rate).
      const estimateMs = previous ? (previous.timing.medianMs * prepared.flops) / previous.flops : (prepared.flops / assumedRate) * 1000;
      const base = { kind, frames, tokens, unfusedScoreBytes: unfusedScoreBytes(kind, frames, options.grid, options.heads) };
      if (estimateMs * 2 > options.maxSeconds * 1000) {
        const basis = previous ? 'extrapolated by FLOPs from the previous frame count' : `at an assumed ${(assumedRate / 1e9).toFixed(0)} GFLOP/s`;
        const reason = `one run estimated at ${(estimateMs / 1000).toFixed(1)} s (${basis}): a warm-up and a timed run exceed the ${options.maxSeconds} s bound`;
        log(`${kind}, ${frames} frames: skipped, ${reason}`);
        points.push({ ...base, outcome: { status: 'skipped', reason } });
        continue;
      }
      const measurement = await measurePoint(prepared, options);
      last.set(kind, measurement);
      log(`${kind}, ${frames} frames (${tokens} tokens): ${measurement.timing.medianMs.toFixed(2)} ms (median of ${measurement.runs})`);
      points.push({ ...base, outcome: { status: 'ok', measurement } });
      collectGarbage();
    }
  }
  return points;
}
