/**
 * `tessera bench timesformer`: TimeSformer-base end to end beside onnxruntime-node (synthetic
 * weights with Hugging Face's names, one process, runs interleaved), and the cost of divided
 * vs joint space-time attention as clips grow, as a table and optionally a PNG plot.
 */
import { hostInfo } from '../bench/attention-suite';
import type { LinePlotOptions, PlotSeries } from '../bench/line-plot';
import { writeLinePlot } from '../bench/line-plot';
import { ortStatus } from '../bench/ort-runtime';
import { COMPARISON_COLUMNS, INTERLEAVE_GAP_MS, comparisonCells } from '../bench/interleaved';
import type { TableFormat } from '../bench/table';
import { renderTable } from '../bench/table';
import type { AttentionKind, CurvePoint, TimesformerModelRow } from '../bench/timesformer-suite';
import { ATTENTION_KINDS, runAttentionCurve, runTimesformerModelBench } from '../bench/timesformer-suite';
import { TIMESFORMER_BASE_CONFIG, resolveTimesformerConfig } from '../bench/timesformer-weights';
import type { TimesformerAttentionType } from '../models/timesformer/config';
import { native } from '../native';
import type { Command, CommandIo } from './command';
import { EXIT_FAILURE, EXIT_OK, UsageError } from './command';
import { choiceList, parseOptions, positiveInt, positiveIntList } from './parse-options';

const PARTS = ['model', 'curve'] as const;
type Part = (typeof PARTS)[number];
const ATTENTION_NAMES = { divided: 'divided_space_time', joint: 'joint_space_time', space: 'space_only' } as const satisfies Record<string, TimesformerAttentionType>;
type AttentionName = keyof typeof ATTENTION_NAMES;

const DEFAULT_ATTENTION: AttentionName[] = ['divided', 'joint'];
const DEFAULT_FRAMES = [8, 16, 32, 64];
const DEFAULT_RUNS = 5;
const DEFAULT_MAX_SECONDS = 60;
const SEED = 20261128;
const MIB = 1024 * 1024;

const OPTIONS = {
  part: { type: 'string' },
  attention: { type: 'string' },
  batch: { type: 'string' },
  runs: { type: 'string' },
  threads: { type: 'string' },
  frames: { type: 'string' },
  'max-seconds': { type: 'string' },
  plot: { type: 'string' },
  markdown: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HELP = `Usage: tessera bench timesformer [options]

Two parts (both by default):

model  TimeSformer-base (facebook/timesformer-base-finetuned-k400's shape: 12 layers, hidden 768,
       12 heads, patch 16, 8 frames of 224x224, 400 classes) with synthetic weights, fp32, per
       attention type: tessera beside onnxruntime-node running an ONNX graph of the same weights
       (built in memory, lib/bench/timesformer-onnx.ts), in this one process. After one warm-up
       each, the runs alternate (tessera, onnxruntime, ...); medians and bests are reported.
       Needs ~3 GB of memory.
curve  The attention part of one layer as clips grow (14x14 patches per frame, 12 heads x 64),
       on tessera's attention op with the model's patterns: divided = temporal (axial axes [2] of
       the [14, 14, T] grid) + spatial (axes [0, 1], class token global) + the class token per
       frame; joint = dense over 1 + 196*T tokens. Time and peak memory per frame count; a point
       whose warm-up and one run would exceed --max-seconds is skipped (and says so), and runs are
       cut to fit the bound.

Options:
  --part LIST         ${PARTS.join(', ')}; default both
  --attention LIST    model part: ${Object.keys(ATTENTION_NAMES).join(', ')}; default ${DEFAULT_ATTENTION.join(',')}
  --batch N           model part: clips per batch; default 1
  --runs N            timed runs per engine (model) or per point (curve); default ${DEFAULT_RUNS}
  --threads N         onnxruntime's intraOpNumThreads; default tessera's pool size
                      (set TESSERA_NUM_THREADS to change tessera's)
  --frames LIST       curve: frame counts; default ${DEFAULT_FRAMES.join(',')}
  --max-seconds S     curve: bound on one point's runs; default ${DEFAULT_MAX_SECONDS}
  --plot FILE         curve: also draw time vs frames (log-log) as a PNG
  --markdown          print the tables as markdown
  -h, --help          show this help

Columns: time/ORT is tessera's median time over onnxruntime's (below 1: tessera is faster).
GFLOP/s: model, every matrix product (2*M*N*K) and attention (4*L*L*hidden per sequence) as
Hugging Face computes them; curve, 4*heads*64 per allowed (query, key) pair. x divided: joint's
time over divided's at the same frames. tensors: the fused q/k/v buffer and the outputs; run
+RSS: the peak resident memory during the runs minus just before them (outputs already written
once): what the kernels allocate; peak: the two together. unfused scores: the largest fp32
score tensor that an implementation materializing softmax(q k^T) (Hugging Face's PyTorch code,
the ONNX graph) needs at that size, for comparison.`;

function fixed(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function modelTable(rows: readonly TimesformerModelRow[], format: TableFormat): string {
  return renderTable(
    [{ header: 'attention', align: 'left' }, { header: 'tokens', align: 'right' }, ...COMPARISON_COLUMNS],
    rows.map((r) => [r.attentionType, String(r.tokens), ...comparisonCells(r)]),
    format,
  );
}

function curveTable(points: readonly CurvePoint[], format: TableFormat): string {
  const dividedMs = new Map(points.filter((p) => p.kind === 'divided' && p.outcome.status === 'ok').map((p) => [p.frames, p.outcome.status === 'ok' ? p.outcome.measurement.timing.medianMs : 0]));
  return renderTable(
    [
      { header: 'frames', align: 'right' },
      { header: 'tokens', align: 'right' },
      { header: 'attention', align: 'left' },
      { header: 'ms (median / best)', align: 'right' },
      { header: 'runs', align: 'right' },
      { header: 'GFLOP/s', align: 'right' },
      { header: 'x divided', align: 'right' },
      { header: 'tensors MiB', align: 'right' },
      { header: 'run +RSS MiB', align: 'right' },
      { header: 'peak MiB', align: 'right' },
      { header: 'unfused scores MiB', align: 'right' },
    ],
    points.map((p) => {
      const scores = (p.unfusedScoreBytes / MIB).toFixed(0);
      if (p.outcome.status === 'skipped') return [String(p.frames), String(p.tokens), p.kind, 'skipped', '', '', '', '', '', '', scores];
      const m = p.outcome.measurement;
      const divided = dividedMs.get(p.frames);
      return [
        String(p.frames),
        String(p.tokens),
        p.kind,
        `${fixed(m.timing.medianMs)} / ${fixed(m.timing.bestMs)}`,
        String(m.runs),
        (m.flops / m.timing.medianMs / 1e6).toFixed(1),
        p.kind === 'divided' || divided === undefined ? '' : `${(m.timing.medianMs / divided).toFixed(1)}x`,
        (m.tensorBytes / MIB).toFixed(1),
        (m.runPeakIncreaseBytes / MIB).toFixed(1),
        ((m.tensorBytes + m.runPeakIncreaseBytes) / MIB).toFixed(1),
        scores,
      ];
    }),
    format,
  );
}

/** The curve's plot: median ms per layer against frames, one line per kind (log-log). */
export function curvePlot(points: readonly CurvePoint[], grid: readonly [number, number], heads: number, headDim: number): { series: PlotSeries[]; options: LinePlotOptions } {
  const label: Record<AttentionKind, string> = { divided: 'divided (temporal + spatial)', joint: 'joint (dense over all tokens)' };
  const kinds = ATTENTION_KINDS.filter((kind) => points.some((p) => p.kind === kind));
  const series = kinds.map((kind) => ({
    label: label[kind],
    points: points.flatMap((p) => (p.kind === kind && p.outcome.status === 'ok' ? [{ x: p.frames, y: p.outcome.measurement.timing.medianMs }] : [])),
  }));
  return {
    series,
    options: {
      title: `TimeSformer attention per layer (${grid[0]}x${grid[1]} patches, ${heads} heads x ${headDim})`,
      xLabel: 'frames',
      yLabel: 'ms (median, log scale)',
      xScale: 'log',
      yScale: 'log',
      xTicks: [...new Set(points.map((p) => p.frames))],
    },
  };
}

function positiveSeconds(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) throw new UsageError(`--max-seconds: expected a positive number, received '${text}'`);
  return value;
}

async function run(args: string[], io: CommandIo): Promise<number> {
  const values = parseOptions(args, OPTIONS);
  if (values.help) {
    io.out(HELP);
    return EXIT_OK;
  }
  const parts: Part[] = values.part === undefined ? [...PARTS] : choiceList('part', values.part, PARTS);
  const attention = values.attention === undefined ? DEFAULT_ATTENTION : choiceList('attention', values.attention, Object.keys(ATTENTION_NAMES) as AttentionName[]);
  const batch = values.batch === undefined ? 1 : positiveInt('batch', values.batch);
  const runs = values.runs === undefined ? DEFAULT_RUNS : positiveInt('runs', values.runs);
  const frames = values.frames === undefined ? DEFAULT_FRAMES : positiveIntList('frames', values.frames);
  const maxSeconds = values['max-seconds'] === undefined ? DEFAULT_MAX_SECONDS : positiveSeconds(values['max-seconds']);
  if (values.plot !== undefined && !parts.includes('curve')) throw new UsageError('--plot draws the curve: add curve to --part');

  const info = native().cpuInfo();
  const ortThreads = values.threads === undefined ? info.threads : positiveInt('threads', values.threads);
  const format: TableFormat = values.markdown ? 'markdown' : 'text';
  const bullet = format === 'markdown' ? '- ' : '';
  const heading = (text: string): string => (format === 'markdown' ? `### ${text}` : `== ${text}`);
  const host = hostInfo();
  const machine = `${bullet}${host.cpu} (${host.cores} cores), ${host.platform}, node ${host.node}, load average ${host.loadAverage.toFixed(2)} at start`;
  const base = resolveTimesformerConfig(TIMESFORMER_BASE_CONFIG);
  const sections: string[] = [];
  let ok = true;

  if (parts.includes('model')) {
    const ort = ortStatus();
    if (!ort.available) {
      io.err(`onnxruntime-node cannot be loaded: ${ort.reason}`);
      return EXIT_FAILURE;
    }
    const rows = await runTimesformerModelBench(
      { config: TIMESFORMER_BASE_CONFIG, attentionTypes: attention.map((name) => ATTENTION_NAMES[name]), batch, runs, ortThreads, seed: SEED },
      (line) => io.err(line),
    );
    ok = rows.every((r) => r.top1Agrees);
    sections.push(
      [
        heading('TimeSformer-base end to end: tessera vs onnxruntime-node'),
        '',
        `${bullet}TimeSformer-base ${base.frames} x ${base.image[0]} x ${base.image[1]}, batch ${batch}, fp32, synthetic weights; tessera ${info.threads} threads (${info.isa}), onnxruntime ${ortThreads} intra-op threads, median of ${runs} interleaved runs (${INTERLEAVE_GAP_MS} ms idle before each) after 1 warm-up`,
        machine,
        '',
        modelTable(rows, format),
      ].join('\n'),
    );
  }

  if (parts.includes('curve')) {
    const grid = base.grid;
    const points = await runAttentionCurve({ frames, kinds: ATTENTION_KINDS, grid, heads: base.heads, headDim: base.headDim, runs, maxSeconds, seed: SEED }, (line) => io.err(line));
    const skipped = points.filter((p) => p.outcome.status === 'skipped');
    const lines = [
      heading('Attention per layer as frames grow: divided vs joint (tessera)'),
      '',
      `${bullet}${grid[0]}x${grid[1]} patches per frame, hidden ${base.hidden} (${base.heads} heads x ${base.headDim}), batch 1, fp32, tessera ${info.threads} threads (${info.isa}); median of up to ${runs} runs after 1 warm-up, each point bounded to ${maxSeconds} s`,
      machine,
      '',
      curveTable(points, format),
    ];
    if (skipped.length > 0) {
      lines.push('', ...skipped.map((p) => `${bullet}skipped: ${p.kind} at ${p.frames} frames (${p.tokens} tokens): ${p.outcome.status === 'skipped' ? p.outcome.reason : ''}`));
    }
    if (values.plot !== undefined) {
      const { series, options } = curvePlot(points, grid, base.heads, base.headDim);
      await writeLinePlot(values.plot, series, options);
      lines.push('', `${bullet}plot: ${values.plot}`);
    }
    sections.push(lines.join('\n'));
  }

  io.out(sections.join('\n\n'));
  return ok ? EXIT_OK : EXIT_FAILURE;
}

export const benchTimesformerCommand: Command = { summary: 'TimeSformer-base beside onnxruntime-node; divided vs joint attention as frames grow', help: HELP, run };
