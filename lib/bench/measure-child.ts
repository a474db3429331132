/**
 * Entry point of a measurement child process (forked by run-isolated.ts): receives one
 * MeasureSpec over IPC, measures, replies with the Measurement or the error, and exits.
 */
import type { Measurement, MeasureSpec } from './measure';
import { measure } from './measure';

export type ChildReply = { ok: true; measurement: Measurement } | { ok: false; error: string };

async function reply(spec: MeasureSpec): Promise<ChildReply> {
  try {
    return { ok: true, measurement: await measure(spec) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

function main(): void {
  if (!process.send) {
    console.error('measure-child: run it through run-isolated.ts (needs an IPC channel)');
    process.exitCode = 2;
    return;
  }
  process.once('message', (spec: MeasureSpec) => {
    void reply(spec).then((message) => process.send?.(message, () => process.disconnect()));
  });
}

main();
