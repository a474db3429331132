#!/usr/bin/env node
// GEMM benchmark (not part of npm test; needs `npm run build` and g++): linear() on the four
// projections of a ViT-B/16 layer, with their epilogues as the model runs them, at M = 197
// tokens x batch 1 and 8, on 1 and 2 threads. Reports best-of time, GFLOP/s (2 M N K) and the
// ratio to the FMA peak measured in the same run: scripts/bench/fma-peak.cpp, compiled here and
// run as one process per thread at the same time (so the 2-thread peak includes any clock drop
// when both cores are busy), before and after the GEMMs; the higher measurement is the peak.
//   node scripts/bench/gemm.js [--threads 1,2] [--batches 1,8] [--repeat 20] [--isa auto] [--json]
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const tessera = require('../../dist');

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
}
const list = (text) => text.split(',').map(Number);
const threadCounts = list(option('threads', '1,2'));
const batches = list(option('batches', '1,8'));
const repeat = Number(option('repeat', '20'));
const isa = option('isa', 'auto');
const json = process.argv.includes('--json');

const TOKENS = 197; // 14 x 14 patches + the class token
const HIDDEN = 768;
const PROJECTIONS = [
  { name: 'qkv', k: HIDDEN, n: 3 * HIDDEN, epilogue: 'bias' },
  { name: 'attention out', k: HIDDEN, n: HIDDEN, epilogue: 'bias + residual' },
  { name: 'mlp up', k: HIDDEN, n: 4 * HIDDEN, epilogue: 'bias + gelu' },
  { name: 'mlp down', k: 4 * HIDDEN, n: HIDDEN, epilogue: 'bias + residual' },
];

function randomData(count, seed) {
  const data = new Float32Array(count);
  let x = seed >>> 0;
  for (let i = 0; i < count; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    data[i] = (x / 2 ** 31 - 1) * 0.05;
  }
  return data;
}

/** Compiles fma-peak.cpp once; returns the binary's path. */
function buildFmaPeak() {
  const binary = path.join(os.tmpdir(), `tessera-fma-peak-${process.pid}`);
  execFileSync('g++', ['-O3', '-mavx512f', '-mfma', path.join(__dirname, 'fma-peak.cpp'), '-o', binary]);
  return binary;
}

/** GFLOP/s of `count` fma-peak processes running at once (their sum). */
function fmaPeak(binary, count) {
  const runs = Array.from({ length: count }, () =>
    new Promise((resolve, reject) => {
      const child = spawn(binary);
      let text = '';
      child.stdout.on('data', (chunk) => (text += chunk));
      child.on('error', reject);
      child.on('close', () => resolve(Number(/([\d.]+) GFLOP\/s/.exec(text)?.[1] ?? NaN)));
    }),
  );
  return Promise.all(runs).then((values) => values.reduce((a, b) => a + b, 0));
}

/** Inputs of one projection, with the model's epilogue. */
function setup(p, m) {
  const weight = tessera.packWeight({ data: randomData(p.n * p.k, 1), shape: [p.n, p.k] }, 'out_in');
  const x = { data: randomData(m * p.k, 2), shape: [m, p.k] };
  const out = { data: randomData(m * p.n, 3), shape: [m, p.n] };
  const options = { bias: randomData(p.n, 4), isa, out };
  if (p.epilogue.includes('gelu')) options.activation = 'gelu';
  if (p.epilogue.includes('residual')) options.residual = out; // in place, as in the model
  return { weight, x, options };
}

/** Best-of-`repeat` seconds of one linearSync call, after one warm-up call. */
function time({ weight, x, options }, threads) {
  const run = () => tessera.linearSync(x, weight, { ...options, threads });
  run();
  let best = Infinity;
  for (let r = 0; r < repeat; r++) {
    const start = process.hrtime.bigint();
    run();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return best;
}

/** The four projections together: one transformer layer's GEMM work. */
function layerTotal(rows) {
  const seconds = rows.reduce((sum, r) => sum + r.seconds, 0);
  const flops = rows.reduce((sum, r) => sum + 2 * r.m * r.n * r.k, 0);
  return { m: rows[0].m, name: '**layer (all four)**', k: '', n: '', epilogue: '', threads: rows[0].threads, seconds, gflops: flops / seconds / 1e9 };
}

function format(rows, peaks) {
  const lines = [
    `- ${os.cpus()[0].model}, ${os.cpus().length} CPUs, node ${process.version}, isa ${isa === 'auto' ? tessera.cpuInfo().isa : isa}; best of ${repeat} runs after a warm-up`,
    `- FMA peak (scripts/bench/fma-peak.cpp, one process per thread): ${threadCounts.map((t) => `${t} thread${t > 1 ? 's' : ''} ${peaks[t].toFixed(1)} GFLOP/s`).join(', ')}`,
    '',
    '| M | projection | K x N | epilogue | threads | time ms | GFLOP/s | % of FMA peak |',
    '| ---: | :--- | :--- | :--- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(`| ${r.m} | ${r.name} | ${r.k === '' ? '' : `${r.k} x ${r.n}`} | ${r.epilogue} | ${r.threads} | ${(r.seconds * 1e3).toFixed(3)} | ${r.gflops.toFixed(1)} | ${r.percent.toFixed(1)}% |`);
  }
  return lines.join('\n');
}

async function main() {
  const binary = buildFmaPeak();
  const peaks = {};
  for (const t of threadCounts) peaks[t] = await fmaPeak(binary, t);
  const rows = [];
  for (const batch of batches) {
    const m = TOKENS * batch;
    const layer = [];
    for (const p of PROJECTIONS) {
      const inputs = setup(p, m);
      for (const threads of threadCounts) {
        const seconds = time(inputs, threads);
        layer.push({ m, ...p, threads, seconds, gflops: (2 * m * p.n * p.k) / seconds / 1e9 });
      }
    }
    rows.push(...layer, ...threadCounts.map((threads) => layerTotal(layer.filter((r) => r.threads === threads))));
  }
  for (const t of threadCounts) peaks[t] = Math.max(peaks[t], await fmaPeak(binary, t));
  fs.rmSync(binary, { force: true });
  for (const r of rows) r.percent = (100 * r.gflops) / peaks[r.threads];
  process.stdout.write(json ? `${JSON.stringify({ peaks, rows }, null, 2)}\n` : `${format(rows, peaks)}\n`);
}

main().catch((error) => {
  process.stderr.write(`scripts/bench/gemm.js: ${error.message}\n`);
  process.exitCode = 1;
});
