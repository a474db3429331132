/**
 * `tessera bench attention`: times dense attention on synthetic data, tessera beside
 * onnxruntime-node's MultiHeadAttention and MatMul-Softmax-MatMul graphs, each engine and
 * size in its own child process so that every peak-memory figure belongs to one engine alone.
 */
import * as os from 'node:os';

import type { AttentionCase } from '../bench/attention-case';
import type { EntrySummary } from '../bench/attention-report';
import { attentionJson, attentionNotes, attentionTable, summarize } from '../bench/attention-report';
import type { SuiteEntry, SuitePlan, SuiteResult } from '../bench/attention-suite';
import { runAttentionSuite } from '../bench/attention-suite';
import { ENGINE_NAMES, ENGINES } from '../bench/engines';
import type { TableFormat } from '../bench/table';
import type { Command, CommandIo } from './command';
import { EXIT_FAILURE, EXIT_OK, UsageError } from './command';
import { choiceList, parseOptions, positiveInt, positiveIntList } from './parse-options';

const DEFAULT_SIZES = [197, 1024, 4096];
const DEFAULT_HEADS = 12;
const DEFAULT_HEAD_DIM = 64;
const DEFAULT_BATCH = 1;
const DEFAULT_REPEAT = 3;
const WARMUP = 1;
const SEED = 1234;

/** The options of `tessera bench attention` (scripts/bench/attention.js adds its own to these). */
export const BENCH_ATTENTION_OPTIONS = {
  sizes: { type: 'string' },
  heads: { type: 'string' },
  dim: { type: 'string' },
  batch: { type: 'string' },
  threads: { type: 'string' },
  repeat: { type: 'string' },
  engines: { type: 'string' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
  markdown: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type BenchAttentionValues = ReturnType<typeof parseOptions<typeof BENCH_ATTENTION_OPTIONS>>;

export type OutputFormat = TableFormat | 'json';

const HELP = `Usage: tessera bench attention [options]

Times dense attention softmax(q k^T / sqrt(D)) v on synthetic random data: tessera's fused
kernel beside onnxruntime-node's MultiHeadAttention node and MatMul-Softmax-MatMul graph (when
onnxruntime-node loads). Every engine and size runs in its own process, one at a time, after
${WARMUP} warm-up run; the median of the timed runs is reported (short runs are repeated until
they add up to 0.3 s, so small sizes are not timed from a handful of samples).

Options:
  --sizes LIST    sequence lengths N (queries = keys), comma-separated; default ${DEFAULT_SIZES.join(',')}
  --heads H       attention heads; default ${DEFAULT_HEADS}
  --dim D         head dimension; default ${DEFAULT_HEAD_DIM}
  --batch B       batch size; default ${DEFAULT_BATCH}
  --threads N     threads for every engine; default os.availableParallelism() (${os.availableParallelism()} here)
  --repeat N      timed runs, at least; default ${DEFAULT_REPEAT}
  --engines LIST  comma-separated, of ${ENGINE_NAMES.join(', ')}; default all
  --force         run an engine even where it is estimated not to fit in free memory
  --json          print a JSON report instead of a table
  --markdown      print the table as markdown
  -h, --help      show this help

Columns: GFLOP/s counts 4*B*H*N*N*D. peak RSS is the child process's peak resident memory;
run +RSS is its peak during the runs minus its RSS just before them (inputs allocated, engine
loaded). The ratio columns compare tessera with the row's engine on the same N.`;

function outputFormat(values: BenchAttentionValues): OutputFormat {
  if (values.json && values.markdown) throw new UsageError('--json and --markdown cannot be combined');
  return values.json ? 'json' : values.markdown ? 'markdown' : 'text';
}

/** The suite that `values` ask for; `defaultSizes` when --sizes is absent. */
export function benchAttentionPlan(values: BenchAttentionValues, defaultSizes: readonly number[] = DEFAULT_SIZES): SuitePlan {
  const sizes = values.sizes === undefined ? [...defaultSizes] : positiveIntList('sizes', values.sizes);
  const heads = values.heads === undefined ? DEFAULT_HEADS : positiveInt('heads', values.heads);
  const headDim = values.dim === undefined ? DEFAULT_HEAD_DIM : positiveInt('dim', values.dim);
  const batch = values.batch === undefined ? DEFAULT_BATCH : positiveInt('batch', values.batch);
  const cases: AttentionCase[] = sizes.map((n) => ({ batch, seqQ: n, seqK: n, heads, headDim }));
  return {
    cases,
    engines: values.engines === undefined ? [...ENGINE_NAMES] : choiceList('engines', values.engines, ENGINE_NAMES),
    threads: values.threads === undefined ? os.availableParallelism() : positiveInt('threads', values.threads),
    warmup: WARMUP,
    repeat: values.repeat === undefined ? DEFAULT_REPEAT : positiveInt('repeat', values.repeat),
    seed: SEED,
    force: values.force ?? false,
  };
}

/** One stderr line per finished measurement, so long runs show progress. */
export function progressReporter(plan: SuitePlan, io: CommandIo): (entry: SuiteEntry) => void {
  const total = plan.cases.length * plan.engines.length;
  let done = 0;
  return (entry) => {
    done++;
    const what = `[${done}/${total}] N=${entry.case.seqQ} ${ENGINES[entry.engine].label}`;
    const outcome = entry.outcome;
    io.err(outcome.status === 'ok' ? `${what}: ${outcome.measurement.medianMs.toFixed(1)} ms` : `${what}: ${outcome.status}`);
  };
}

function describeRuns(plan: SuitePlan): string {
  const runs = plan.repeat === 1 && plan.warmup === 0 ? '1 run' : `median of >= ${plan.repeat} runs (short runs: 0.3 s of them)`;
  const warmup = plan.warmup === 0 ? 'no warm-up' : `after ${plan.warmup} warm-up`;
  return `${runs}, ${warmup}`;
}

function describeSetup(result: SuiteResult, summaries: readonly EntrySummary[]): string[] {
  const { plan, host } = result;
  const first = plan.cases[0];
  const engines = [...new Set(summaries.flatMap((s) => (s.measurement ? [`${s.label}: ${s.measurement.detail}`] : [])))];
  return [
    `attention B=${first.batch} H=${first.heads} D=${first.headDim}, ${plan.threads} threads, ${describeRuns(plan)}, one process per row`,
    `${host.cpu} (${host.cores} cores), ${host.platform}, node ${host.node}, load average ${host.loadAverage.toFixed(2)} at start`,
    ...(engines.length ? [engines.join('; ')] : []),
  ];
}

/** Whether a measurement failed (skipped ones were never attempted and do not count). */
export function anyFailed(result: SuiteResult): boolean {
  return result.entries.some((entry) => entry.outcome.status === 'failed');
}

/** Writes the result as a table with its setup and notes, or as JSON. */
export function printAttentionResult(result: SuiteResult, format: OutputFormat, io: CommandIo): void {
  if (format === 'json') {
    io.out(JSON.stringify(attentionJson(result), null, 2));
    return;
  }
  const summaries = summarize(result);
  // In markdown the setup lines become a list, so that they do not run together.
  const setup = describeSetup(result, summaries).map((line) => (format === 'markdown' ? `- ${line}` : line));
  const notes = attentionNotes(summaries);
  io.out([...setup, '', attentionTable(summaries, format), ...(notes.length ? ['', ...notes] : [])].join('\n'));
}

export const benchAttentionCommand: Command = {
  summary: 'time attention: tessera vs onnxruntime-node, speed and peak memory',
  help: HELP,
  async run(args, io) {
    const values = parseOptions(args, BENCH_ATTENTION_OPTIONS);
    if (values.help) {
      io.out(HELP);
      return EXIT_OK;
    }
    const format = outputFormat(values);
    const plan = benchAttentionPlan(values);
    const result = await runAttentionSuite(plan, progressReporter(plan, io));
    printAttentionResult(result, format, io);
    return anyFailed(result) ? EXIT_FAILURE : EXIT_OK;
  },
};
