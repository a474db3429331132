/**
 * What the end-to-end benchmarks (vit-suite.ts, timesformer-suite.ts) share: timing engines run
 * by run in turn (a, b, a, b, ...) so that load changes on the machine hit each alike, the
 * median and best of the times, and how far apart two engines' logits are.
 */
import { performance } from 'node:perf_hooks';

import { median } from './measure';

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

/** `runs` timed calls of each engine, interleaved (engine 0, engine 1, ..., engine 0, ...): a summary per engine. */
export async function interleavedRuns(runs: number, engines: readonly (() => Promise<unknown>)[]): Promise<LatencySummary[]> {
  const times = engines.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) {
    for (let e = 0; e < engines.length; e++) times[e].push(await timed(engines[e]));
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
