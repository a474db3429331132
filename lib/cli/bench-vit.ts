/**
 * `tessera bench vit`: ViT-B/16 at 224x224 (synthetic weights with Hugging Face's names), tessera
 * beside onnxruntime-node on an ONNX graph of the same weights, in one process, runs interleaved.
 */
import { hostInfo } from '../bench/attention-suite';
import { ortStatus } from '../bench/ort-runtime';
import { COMPARISON_COLUMNS, INTERLEAVE_GAP_MS, comparisonCells } from '../bench/interleaved';
import type { TableFormat } from '../bench/table';
import { renderTable } from '../bench/table';
import type { ViTBenchRow } from '../bench/vit-suite';
import { runViTBench } from '../bench/vit-suite';
import { VIT_B16_CONFIG } from '../bench/vit-weights';
import { native } from '../native';
import type { Command, CommandIo } from './command';
import { EXIT_FAILURE, EXIT_OK } from './command';
import { parseOptions, positiveInt, positiveIntList } from './parse-options';

const DEFAULT_BATCHES = [1, 8];
const DEFAULT_RUNS = 5;
const SEED = 20261128;

const OPTIONS = {
  batch: { type: 'string' },
  runs: { type: 'string' },
  threads: { type: 'string' },
  markdown: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HELP = `Usage: tessera bench vit [options]

ViT-B/16 (google/vit-base-patch16-224's shape: 12 layers, hidden 768, 12 heads, 224x224, 1000
classes) with synthetic weights, fp32: tessera beside onnxruntime-node running an ONNX graph of
the same weights (built in memory, see lib/bench/vit-onnx.ts), in this one process. After one
warm-up each, the runs alternate (tessera, onnxruntime, tessera, ...) so that other load on the
machine hits both alike; medians and bests are reported. Needs ~2 GB of memory.

Options:
  --batch LIST   batch sizes, comma-separated; default ${DEFAULT_BATCHES.join(',')}
  --runs N       timed runs per engine and batch; default ${DEFAULT_RUNS}
  --threads N    onnxruntime's intraOpNumThreads; default tessera's pool size
                 (set TESSERA_NUM_THREADS to change tessera's)
  --markdown     print the table as markdown
  -h, --help     show this help

Columns: time/ORT is tessera's median time over onnxruntime's (below 1: tessera is faster).
GFLOP/s counts every matrix product (2*M*N*K) and attention (4*N*N*hidden per layer).`;

function table(rows: readonly ViTBenchRow[], format: TableFormat): string {
  return renderTable(
    [{ header: 'batch', align: 'right' }, ...COMPARISON_COLUMNS],
    rows.map((r) => [String(r.batch), ...comparisonCells(r)]),
    format,
  );
}

async function run(args: string[], io: CommandIo): Promise<number> {
  const values = parseOptions(args, OPTIONS);
  if (values.help) {
    io.out(HELP);
    return EXIT_OK;
  }
  const ort = ortStatus();
  if (!ort.available) {
    io.err(`onnxruntime-node cannot be loaded: ${ort.reason}`);
    return EXIT_FAILURE;
  }
  const info = native().cpuInfo();
  const batches = values.batch === undefined ? DEFAULT_BATCHES : positiveIntList('batch', values.batch);
  const runs = values.runs === undefined ? DEFAULT_RUNS : positiveInt('runs', values.runs);
  const ortThreads = values.threads === undefined ? info.threads : positiveInt('threads', values.threads);
  const host = hostInfo();
  const rows = await runViTBench({ config: VIT_B16_CONFIG, batches, runs, ortThreads, seed: SEED }, (line) => io.err(line));
  const format: TableFormat = values.markdown ? 'markdown' : 'text';
  const bullet = format === 'markdown' ? '- ' : '';
  io.out(
    [
      `${bullet}ViT-B/16 224x224 fp32, tessera ${info.threads} threads (${info.isa}), onnxruntime ${ortThreads} intra-op threads, median of ${runs} interleaved runs (${INTERLEAVE_GAP_MS} ms idle before each) after 1 warm-up`,
      `${bullet}${host.cpu} (${host.cores} cores), ${host.platform}, node ${host.node}, load average ${host.loadAverage.toFixed(2)} at start`,
      '',
      table(rows, format),
    ].join('\n'),
  );
  return rows.every((r) => r.top1Agrees) ? EXIT_OK : EXIT_FAILURE;
}

export const benchViTCommand: Command = { summary: 'ViT-B/16 end to end beside onnxruntime-node', help: HELP, run };
