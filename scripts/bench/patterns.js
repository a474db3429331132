#!/usr/bin/env node
// Pattern attention benchmark (not part of npm test): for each pattern family, the pattern's
// FLOPs (4*B*H*D*allowed pairs), its time, its effective rate as a fraction of the dense
// kernel's rate measured in the same run, and its speedup over dense attention against the
// FLOP bound (dense FLOPs / pattern FLOPs). Then divided space-time attention over the
// 96,000-token video (375 frames x 16 x 16 patches, H=12, D=64).
//   node --expose-gc scripts/bench/patterns.js [--threads N] [--repeat N] [--no-video] [--json]
// (--expose-gc lets it collect the previous outputs, hundreds of MB for the video, untimed.)
const os = require('node:os');
const tessera = require('../../dist');

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}
const threads = option('threads', os.availableParallelism());
const repeat = option('repeat', 3);
const json = process.argv.includes('--json');

function randomTensor(shape, seed) {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let x = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    data[i] = x / 2 ** 31 - 1;
  }
  return { data, shape };
}

// Best-of-`repeat` seconds of one attention call (after a warm-up call).
async function time(q, k, v, options, runs = repeat) {
  await tessera.attention(q, k, v, options);
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    global.gc?.();
    const start = process.hrtime.bigint();
    await tessera.attention(q, k, v, options);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return best;
}

const FAMILIES = [
  { name: '2D neighborhood 7x7 on 64x64', n: 4096, pattern: { type: 'neighborhood', grid: [64, 64], window: [7, 7] } },
  { name: '3D neighborhood 3x7x7 on 8x32x32', n: 8192, pattern: { type: 'neighborhood', grid: [8, 32, 32], window: [3, 7, 7] } },
  { name: '1D neighborhood 65 on 4096', n: 4096, pattern: { type: 'neighborhood', grid: [4096], window: [65] } },
  { name: 'sliding r=128 on 4096', n: 4096, pattern: { type: 'sliding', radius: 128 } },
  { name: 'strided l=64 on 4096 (causal)', n: 4096, causal: true, pattern: { type: 'strided', stride: 64 } },
  { name: 'fixed l=128 c=8 on 4096 (causal)', n: 4096, causal: true, pattern: { type: 'fixed', block: 128, summary: 8 } },
  { name: 'axial temporal, 16x16x16 grid', n: 4096, pattern: { type: 'axial', grid: [16, 16, 16], axes: [0] } },
  { name: 'axial spatial, 16x16x16 grid', n: 4096, pattern: { type: 'axial', grid: [16, 16, 16], axes: [1, 2] } },
];

async function family(f, H, D) {
  const shape = [1, f.n, H, D];
  const [q, k, v] = [1, 2, 3].map((s) => randomTensor(shape, s));
  const causal = f.causal ?? false;
  const compileStart = process.hrtime.bigint();
  const compiled = tessera.compilePattern(f.pattern, { n: f.n }, { causal });
  const compileSeconds = Number(process.hrtime.bigint() - compileStart) / 1e9;
  const denseSeconds = await time(q, k, v, { threads, causal });
  const patternSeconds = await time(q, k, v, { threads, causal, pattern: compiled });
  const densePairs = causal ? (f.n * (f.n + 1)) / 2 : f.n * f.n;
  const flops = (pairs) => 4 * H * D * pairs;
  const denseRate = flops(densePairs) / denseSeconds / 1e9;
  const patternRate = flops(compiled.stats.allowedPairs) / patternSeconds / 1e9;
  const bound = densePairs / compiled.stats.allowedPairs;
  return {
    family: f.name,
    patternGflop: flops(compiled.stats.allowedPairs) / 1e9,
    patternMs: patternSeconds * 1e3,
    denseMs: denseSeconds * 1e3,
    denseGflops: denseRate,
    patternGflops: patternRate,
    rateFraction: patternRate / denseRate,
    speedup: denseSeconds / patternSeconds,
    flopBound: bound,
    speedupOfBound: denseSeconds / patternSeconds / bound,
    computedOverAllowed: compiled.stats.computedPairs / compiled.stats.allowedPairs,
    compileMs: compileSeconds * 1e3,
  };
}

async function video(H, D) {
  const grid = [375, 16, 16];
  const n = 96000;
  const shape = [1, n, H, D];
  const [q, k, v] = [1, 2, 3].map((s) => randomTensor(shape, s));
  const temporal = tessera.compilePattern({ type: 'axial', grid, axes: [0] }, { n });
  const spatial = tessera.compilePattern({ type: 'axial', grid, axes: [1, 2] }, { n });
  const divided = (await time(q, k, v, { threads, pattern: temporal })) + (await time(q, k, v, { threads, pattern: spatial }));
  // As a service runs it: output buffers allocated once and reused (no page faults per call).
  const outs = [1, 2].map(() => ({ data: new Float32Array(n * H * D), shape }));
  const reused = (await time(q, k, v, { threads, pattern: temporal, out: outs[0] })) + (await time(q, k, v, { threads, pattern: spatial, out: outs[1] }));
  // Full attention over the same tokens, measured on one head and scaled to H heads.
  const one = [1, n, 1, D];
  const [q1, k1, v1] = [1, 2, 3].map((s) => randomTensor(one, s));
  const start = process.hrtime.bigint();
  await tessera.attention(q1, k1, v1, { threads });
  const fullOneHead = Number(process.hrtime.bigint() - start) / 1e9;
  return { tokens: n, heads: H, dividedSeconds: divided, dividedReusedOutputSeconds: reused, fullSecondsScaledFromOneHead: fullOneHead * H, fullOneHeadSeconds: fullOneHead };
}

function fmt(x, digits = 1) {
  return x.toFixed(digits);
}

async function main() {
  const H = 12;
  const D = 64;
  const rows = [];
  for (const f of FAMILIES) rows.push(await family(f, H, D));
  const videoResult = process.argv.includes('--no-video') ? null : await video(H, D);
  if (json) {
    console.log(JSON.stringify({ threads, repeat, families: rows, video: videoResult }, null, 2));
    return;
  }
  console.log(`pattern attention, B=1 H=${H} D=${D}, ${threads} threads, best of ${repeat} after a warm-up; ${os.cpus()[0].model}`);
  console.log('| pattern | GFLOP (allowed) | ms | dense ms | GFLOP/s | dense GFLOP/s | rate / dense | speedup | FLOP bound | speedup / bound | computed / allowed | compile ms |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(`| ${r.family} | ${fmt(r.patternGflop, 2)} | ${fmt(r.patternMs)} | ${fmt(r.denseMs)} | ${fmt(r.patternGflops)} | ${fmt(r.denseGflops)} | ${fmt(r.rateFraction, 2)} | ${fmt(r.speedup)}x | ${fmt(r.flopBound)}x | ${fmt(r.speedupOfBound, 2)} | ${fmt(r.computedOverAllowed, 2)} | ${fmt(r.compileMs)} |`);
  }
  if (videoResult) {
    console.log(`\n96,000-token video (375 x 16 x 16, H=${H}, D=${D}): divided space-time (temporal + spatial) ${fmt(videoResult.dividedSeconds, 3)} s ` +
      `(${fmt(videoResult.dividedReusedOutputSeconds, 3)} s into reused output buffers); ` +
      `full attention ${fmt(videoResult.fullSecondsScaledFromOneHead, 1)} s (measured on 1 head: ${fmt(videoResult.fullOneHeadSeconds, 2)} s, x${H})`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
