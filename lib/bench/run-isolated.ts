/**
 * Runs one measurement in a fresh node process, so that each engine's memory is measured
 * alone (its own peak RSS, nothing left behind by another engine) and a crash or an
 * out-of-memory kill costs only that measurement.
 */
import { fork } from 'node:child_process';
import * as path from 'node:path';

import type { Measurement, MeasureSpec } from './measure';
import type { ChildReply } from './measure-child';

const CHILD_SCRIPT = path.join(__dirname, 'measure-child.js');

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal === 'SIGKILL') return 'the measurement process was killed (SIGKILL; out of memory?)';
  if (signal) return `the measurement process was killed by ${signal}`;
  return `the measurement process exited with code ${code} without a result`;
}

export function runIsolated(spec: MeasureSpec): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD_SCRIPT, [], {
      // --expose-gc: the child frees each run's output before the next, for steady memory numbers.
      execArgv: ['--expose-gc'],
      env: { ...process.env, TESSERA_NUM_THREADS: String(spec.threads) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let answer: ChildReply | undefined;
    child.once('message', (message: ChildReply) => {
      answer = message;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (answer?.ok) resolve(answer.measurement);
      else reject(new Error(answer ? answer.error : describeExit(code, signal)));
    });
    child.send(spec);
  });
}
