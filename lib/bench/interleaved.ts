/**
 * What the end-to-end benchmarks (vit-suite.ts, timesformer-suite.ts) share: timing engines run
 * by run in turn (a, b, a, b, ...) so that load changes on the machine hit each alike, the
 * median and best of the times, how far apart two engines' logits are, and the table columns
 * that report them.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

import { median } from './measure';
import type { Column } from './table';

export interface LatencySummary {
  medianMs: number;
  bestMs: number;
}

export interface LogitsAgreement {
  /** max |a - b| over every logit. */
  maxLogitDiff: number;
  /** Whether every row's top-1 class is the same. */
  top1Agrees: boolean;
}

/** Median and best of a list of times. */
export function summarizeTimes(times: readonly number[]): LatencySummary {
  return { medianMs: median(times), bestMs: Math.min(...times) };
}

/** Milliseconds one awaited call takes. */
export async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

/**
 * Idle time before every timed run of interleavedRuns: after a run each engine's worker threads
 * spin for a while (onnxruntime's by default, tessera's up to 200 us) and would otherwise take a
 * core from the other engine's next run.
 */
export const INTERLEAVE_GAP_MS = 30;

/**
 * `runs` timed calls of each engine, interleaved (engine 0, engine 1, ..., engine 0, ...), each
 * after INTERLEAVE_GAP_MS idle: a summary per engine.
 */
export async function interleavedRuns(runs: number, engines: readonly (() => Promise<unknown>)[]): Promise<LatencySummary[]> {
  const times = engines.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    for (let e = 0; e < engines.length; e++) {
      await sleep(INTERLEAVE_GAP_MS);
      times[e].push(await timed(engines[e]));
    }
  }
  return times.map(summarizeTimes);
}

/** Two engines' logits [rows, classes] side by side. */
export function compareLogits(a: ArrayLike<number>, b: ArrayLike<number>, classes: number): LogitsAgreement {
  let maxLogitDiff = 0;
  let top1Agrees = true;
  for (let row = 0; row * classes < a.length; row++) {
    let ia = 0;
    let ib = 0;
    for (let j = 0; j < classes; j++) {
      const k = row * classes + j;
      maxLogitDiff = Math.max(maxLogitDiff, Math.abs(a[k] - b[k]));
      if (a[k] > a[row * classes + ia]) ia = j;
      if (b[k] > b[row * classes + ib]) ib = j;
    }
    top1Agrees &&= ia === ib;
  }
  return { maxLogitDiff, top1Agrees };
}

/** One engine-vs-engine result: both latencies, the FLOPs of one run, and the logits' agreement. */
export interface ComparisonRow extends LogitsAgreement {
  tessera: LatencySummary;
  ort: LatencySummary;
  flops: number;
}

/** The table columns every model benchmark prints after its own key columns. */
export const COMPARISON_COLUMNS: readonly Column[] = [
  { header: 'tessera ms (median / best)', align: 'right' },
  { header: 'onnxruntime ms (median / best)', align: 'right' },
  { header: 'time/ORT', align: 'right' },
  { header: 'tessera GFLOP/s', align: 'right' },
  { header: 'ORT GFLOP/s', align: 'right' },
  { header: 'max abs logit diff', align: 'right' },
  { header: 'top-1 agrees', align: 'left' },
];

/** The cells of COMPARISON_COLUMNS for one row. */
export function comparisonCells(r: ComparisonRow): string[] {
  const gflops = (ms: number): string => (r.flops / ms / 1e6).toFixed(1);
  return [
    `${r.tessera.medianMs.toFixed(1)} / ${r.tessera.bestMs.toFixed(1)}`,
    `${r.ort.medianMs.toFixed(1)} / ${r.ort.bestMs.toFixed(1)}`,
    (r.tessera.medianMs / r.ort.medianMs).toFixed(3),
    gflops(r.tessera.medianMs),
    gflops(r.ort.medianMs),
    r.maxLogitDiff.toExponential(2),
    r.top1Agrees ? 'yes' : 'NO',
  ];
}
