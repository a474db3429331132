#!/usr/bin/env node
// Attention speed, tessera vs onnxruntime-node's MultiHeadAttention node, in ONE process with
// the runs interleaved (tessera, ORT, tessera, ...) so that load changes on a shared machine hit
// both engines alike; the ratio of the medians is the number to trust. (scripts/bench/attention.js
// runs each engine in its own process for peak RSS, so its speed ratios carry the machine's drift
// between processes.) Not part of npm test; needs `npm run build`.
//   node scripts/bench/attention-interleaved.js [--sizes 1024,4096,16384] [--runs 9] [--threads 2]
//                                               [--heads 12] [--dim 64]
const os = require('node:os');
const { ENGINES } = require('../../dist/bench/engines');
const { attentionFlops } = require('../../dist/bench/attention-case');
const { syntheticInputs } = require('../../dist/bench/synthetic');
const { INTERLEAVE_GAP_MS, interleavedRuns } = require('../../dist/bench/interleaved');
const { native } = require('../../dist/native');

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
}
const sizes = option('sizes', '1024,4096,16384').split(',').map(Number);
const runs = Number(option('runs', '9'));
const threads = Number(option('threads', String(os.availableParallelism())));
const heads = Number(option('heads', '12'));
const headDim = Number(option('dim', '64'));
const SEED = 1;

/** Both engines loaded on the same inputs, one warm-up each, then `runs` interleaved runs. */
async function measure(seq) {
  const c = { batch: 1, seqQ: seq, seqK: seq, heads, headDim };
  const inputs = syntheticInputs(c, SEED);
  const tessera = await ENGINES.tessera.load(c, inputs, threads);
  const ort = await ENGINES['ort-mha'].load(c, inputs, threads);
  await tessera.run();
  await ort.run();
  const [t, o] = await interleavedRuns(runs, [tessera.run, ort.run]);
  const gflop = attentionFlops(c) / 1e9;
  return { seq, t, o, gflop };
}

const row = (cells) => `| ${cells.join(' | ')} |`;

async function main() {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`attention B=1 H=${heads} D=${headDim}, ${threads} threads, tessera ${native().cpuInfo().isa}, ` + `median / best of ${runs} interleaved runs (${INTERLEAVE_GAP_MS} ms idle before each) after 1 warm-up each; ${cpu}, load average ${os.loadavg()[0].toFixed(2)} at start`);
  console.log();
  console.log(row(['N', 'tessera ms (median / best)', 'ORT MHA ms (median / best)', 'tessera GFLOP/s', 'ORT GFLOP/s', 'speed tessera/ORT (medians)']));
  console.log(row(['---:', '---:', '---:', '---:', '---:', '---:']));
  for (const seq of sizes) {
    const r = await measure(seq);
    console.log(
      row([
        seq,
        `${r.t.medianMs.toFixed(2)} / ${r.t.bestMs.toFixed(2)}`,
        `${r.o.medianMs.toFixed(2)} / ${r.o.bestMs.toFixed(2)}`,
        (r.gflop / (r.t.medianMs / 1e3)).toFixed(1),
        (r.gflop / (r.o.medianMs / 1e3)).toFixed(1),
        `${(r.o.medianMs / r.t.medianMs).toFixed(2)}x`,
      ]),
    );
  }
}

main().catch((error) => {
  console.error(error.stack ?? error);
  process.exit(1);
});
