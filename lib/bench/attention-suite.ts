/**
 * Runs a set of attention measurements, one child process each and one at a time (so they
 * never compete for cores or memory), skipping what cannot run here and saying why.
 */
import * as os from 'node:os';

import type { AttentionCase } from './attention-case';
import { ioBytes } from './attention-case';
import type { EngineName } from './engine';
import { ENGINES } from './engines';
import type { Measurement } from './measure';
import type { OrtStatus } from './ort-runtime';
import { ortStatus } from './ort-runtime';
import { runIsolated } from './run-isolated';

export interface SuitePlan {
  cases: AttentionCase[];
  engines: EngineName[];
  threads: number;
  /** Untimed runs before the timed ones. */
  warmup: number;
  /** Timed runs; the median is reported. */
  repeat: number;
  seed: number;
  /** Run even when an engine is estimated not to fit in the free memory. */
  force: boolean;
}

export type Outcome =
  | { status: 'ok'; measurement: Measurement }
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; reason: string };

export interface SuiteEntry {
  engine: EngineName;
  case: AttentionCase;
  outcome: Outcome;
}

export interface HostInfo {
  cpu: string;
  cores: number;
  totalMemoryBytes: number;
  platform: string;
  node: string;
  /** The 1-minute load average when the suite started: other work on the machine skews times. */
  loadAverage: number;
}

export interface SuiteResult {
  plan: SuitePlan;
  host: HostInfo;
  /** null when no engine of the plan uses onnxruntime. */
  ort: OrtStatus | null;
  entries: SuiteEntry[];
}

const GIB = 1024 ** 3;

export function hostInfo(): HostInfo {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    totalMemoryBytes: os.totalmem(),
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
    loadAverage: os.loadavg()[0],
  };
}

/** Why `engine` cannot run `c` here, or null when it can. */
function skipReason(engine: EngineName, c: AttentionCase, ort: OrtStatus | null, force: boolean): string | null {
  if (ENGINES[engine].usesOrt && ort?.available === false) return `onnxruntime-node cannot be loaded: ${ort.reason}`;
  const needed = ioBytes(c) + ENGINES[engine].workingBytes(c);
  const free = os.freemem();
  if (!force && needed > free) {
    return `needs at least ${(needed / GIB).toFixed(1)} GiB, ${(free / GIB).toFixed(1)} GiB free (--force runs it anyway)`;
  }
  return null;
}

async function runEntry(engine: EngineName, c: AttentionCase, plan: SuitePlan, ort: OrtStatus | null): Promise<Outcome> {
  const reason = skipReason(engine, c, ort, plan.force);
  if (reason) return { status: 'skipped', reason };
  try {
    const spec = { engine, case: c, threads: plan.threads, warmup: plan.warmup, repeat: plan.repeat, seed: plan.seed };
    return { status: 'ok', measurement: await runIsolated(spec) };
  } catch (error) {
    return { status: 'failed', reason: (error as Error).message };
  }
}

/** Every case with every engine, in order; `onEntry` hears of each as it finishes. */
export async function runAttentionSuite(plan: SuitePlan, onEntry?: (entry: SuiteEntry) => void): Promise<SuiteResult> {
  const host = hostInfo();
  const ort = plan.engines.some((name) => ENGINES[name].usesOrt) ? ortStatus() : null;
  const entries: SuiteEntry[] = [];
  for (const c of plan.cases) {
    for (const engine of plan.engines) {
      const entry = { engine, case: c, outcome: await runEntry(engine, c, plan, ort) };
      entries.push(entry);
      onEntry?.(entry);
    }
  }
  return { plan, host, ort, entries };
}
