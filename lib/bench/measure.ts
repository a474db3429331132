/**
 * One measurement, run inside its own child process (see run-isolated.ts): allocate the inputs,
 * load the engine, then time `warmup` untimed and at least `repeat` timed runs (more when runs
 * are short: until they add up to MIN_TIMED_MS) and record memory.
 */
import type { AttentionCase } from './attention-case';
import type { EngineName } from './engine';
import { ENGINES } from './engines';
import { peakRssBytes, resetPeakRss } from './peak-rss';
import { syntheticInputs } from './synthetic';

export interface MeasureSpec {
  engine: EngineName;
  case: AttentionCase;
  threads: number;
  warmup: number;
  repeat: number;
  seed: number;
}

export interface Measurement {
  spec: MeasureSpec;
  /** e.g. "avx512" or "onnxruntime 1.30.0". */
  detail: string;
  timesMs: number[];
  medianMs: number;
  /** RSS after inputs are allocated and the engine is loaded, before the first run. */
  rssBeforeBytes: number;
  /** The child's peak RSS over its whole life (loading included). */
  peakRssBytes: number;
  /** Peak RSS during the runs minus rssBeforeBytes: what running attention itself costs. */
  runPeakIncreaseBytes: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Frees the previous run's output (when node runs with --expose-gc) so runs do not stack up. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Short runs are repeated until they add up to this much, so their median is stable. */
const MIN_TIMED_MS = 300;
const MAX_RUNS = 500;

async function timedRuns(run: () => Promise<void>, warmup: number, repeat: number): Promise<number[]> {
  let lastMs = Infinity;
  for (let i = 0; i < warmup; i++) {
    const start = performance.now();
    await run();
    lastMs = performance.now() - start;
    collectGarbage();
  }
  const runs = Math.max(repeat, Math.min(MAX_RUNS, Math.ceil(MIN_TIMED_MS / lastMs)));
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
    collectGarbage();
  }
  return times;
}

export async function measure(spec: MeasureSpec): Promise<Measurement> {
  const inputs = syntheticInputs(spec.case, spec.seed);
  const engine = await ENGINES[spec.engine].load(spec.case, inputs, spec.threads);
  collectGarbage();
  const loadPeak = peakRssBytes();
  const rssBeforeBytes = process.memoryUsage.rss();
  // Without a reset (non-Linux), the run peak below is the whole process's peak: an upper bound.
  resetPeakRss();
  const timesMs = await timedRuns(engine.run, spec.warmup, spec.repeat);
  const runPeak = peakRssBytes();
  return {
    spec,
    detail: engine.detail,
    timesMs,
    medianMs: median(timesMs),
    rssBeforeBytes,
    peakRssBytes: Math.max(loadPeak, runPeak),
    runPeakIncreaseBytes: Math.max(0, runPeak - rssBeforeBytes),
  };
}
