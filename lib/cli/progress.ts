/**
 * Byte progress on stderr for long-running commands (`tessera convert` of large models):
 *
 *   on a terminal (CommandIo.errTerminal), one bar redrawn in place per task:
 *     writing model.safetensors [##########----------]  50%  1.2 GiB / 2.4 GiB
 *   otherwise, when asked for (--progress), plain lines as the percentage grows, ending at 100%:
 *     writing model.safetensors: 50% (1.2 GiB / 2.4 GiB)
 *
 * Silent unless stderr is a terminal or progress was asked for, so tests and pipes see nothing.
 */
import type { CommandIo } from './command';

/** One task's progress: `update` with the bytes done so far (clamped to the total), then `finish`, or `stop` when it failed. */
export interface ProgressTask {
  update(done: number): void;
  /** Shows 100% and ends the task. */
  finish(): void;
  /** Ends the task where it is (a bar gets its newline, so that an error message starts on a line of its own). */
  stop(): void;
}

/** Starts tasks of known size; null when progress is off (see createProgress). */
export interface Progress {
  start(label: string, totalBytes: number): ProgressTask;
}

const BAR_WIDTH = 24;
/** Line mode prints when the percentage has grown by at least this much (and at 100%). */
const LINE_STEP_PERCENT = 10;
/** The terminal bar is redrawn at most this often (and whenever the percentage changes). */
const REDRAW_MS = 100;

/** 1536 -> '1.5 KiB', 0 -> '0 B'. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function percentOf(done: number, total: number): number {
  return total <= 0 ? 100 : Math.floor((100 * done) / total);
}

/** A task that only counts, for when progress is off. */
const SILENT_TASK: ProgressTask = { update: () => undefined, finish: () => undefined, stop: () => undefined };

/** A task drawn as a bar redrawn in place with `\r` (a terminal). */
function barTask(write: (text: string) => void, label: string, total: number): ProgressTask {
  let done = 0;
  let lastPercent = -1;
  let lastDraw = 0;
  let lastLength = 0;
  const draw = (): void => {
    const percent = percentOf(done, total);
    const filled = Math.round((BAR_WIDTH * percent) / 100);
    const text = `${label} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(percent).padStart(3)}%  ${formatBytes(done)} / ${formatBytes(total)}`;
    write(`\r${text.padEnd(lastLength)}`); // spaces over the rest of a longer previous drawing
    lastLength = text.length;
    lastPercent = percent;
    lastDraw = Date.now();
  };
  draw();
  return {
    update(bytes) {
      done = Math.min(Math.max(bytes, done), total);
      if (percentOf(done, total) !== lastPercent || Date.now() - lastDraw >= REDRAW_MS) draw();
    },
    finish() {
      done = total;
      draw();
      write('\n');
    },
    stop() {
      write('\n');
    },
  };
}

/** A task reported as lines: one each time the percentage grows by LINE_STEP_PERCENT, and 100% at the end. */
function lineTask(line: (text: string) => void, label: string, total: number): ProgressTask {
  let done = 0;
  let lastPercent = -Infinity;
  const report = (): void => {
    lastPercent = percentOf(done, total);
    line(`${label}: ${lastPercent}% (${formatBytes(done)} / ${formatBytes(total)})`);
  };
  report();
  return {
    update(bytes) {
      done = Math.min(Math.max(bytes, done), total);
      const percent = percentOf(done, total);
      if (percent >= lastPercent + LINE_STEP_PERCENT || (percent === 100 && lastPercent < 100)) report();
    },
    finish() {
      done = total;
      if (lastPercent < 100) report();
    },
    stop: () => undefined,
  };
}

/**
 * Progress for a command: a bar on stderr when it is a terminal (io.errTerminal), else lines
 * through io.err when `requested` (--progress), else null (silent). `disabled` (--no-progress)
 * turns the bar off too.
 */
export function createProgress(io: CommandIo, requested: boolean, disabled = false): Progress | null {
  if (disabled) return null;
  const terminal = io.errTerminal;
  if (terminal) return { start: (label, total) => barTask(terminal, label, total) };
  if (requested) return { start: (label, total) => lineTask((text) => io.err(text), label, total) };
  return null;
}

/** `progress.start(...)`, or a task that does nothing when progress is off. */
export function startTask(progress: Progress | null, label: string, totalBytes: number): ProgressTask {
  return progress ? progress.start(label, totalBytes) : SILENT_TASK;
}
