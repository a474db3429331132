#!/usr/bin/env node
// Model loading benchmark (not part of npm test; needs `npm run build`, ~1.5 GB of memory): writes
// a synthetic ViT-B/16 folder (config.json + a 346 MB model.safetensors) to a temporary folder,
// then per run: loadModel's total time and the longest stretch it kept the event loop busy (a
// timer firing every millisecond meanwhile measures the gaps), beside loadModelSync's total; and
// the resident set after that model's first forward pass and after both models were disposed and
// garbage-collected (what a service that reloads models keeps).
//   node --expose-gc scripts/bench/load.js [--runs 4]
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { setInterval, clearInterval } = require('node:timers');
const { VIT_B16_CONFIG, syntheticViTWeights } = require('../../dist/bench/vit-weights');
const { writeSafetensors } = require('../../dist/io/safetensors');
const { loadModel, loadModelSync } = require('../../dist/models/load');

const at = process.argv.indexOf('--runs');
const runs = at > 0 ? Number(process.argv[at + 1]) : 4;

function rssMiB() {
  return (process.memoryUsage().rss / 2 ** 20).toFixed(0);
}

function collect() {
  if (global.gc) global.gc();
  return global.gc ? '' : ' (run with --expose-gc to collect first)';
}

/** Runs `work` and reports its time and the longest gap between 1 ms timer ticks meanwhile. */
async function withLongestStall(work) {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  const start = performance.now();
  const result = await work();
  const totalMs = performance.now() - start;
  clearInterval(timer);
  return { result, totalMs, stallMs: Math.max(longest, performance.now() - last) };
}

function msSince(start) {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-vitb-'));
  try {
    writeSafetensors(path.join(dir, 'model.safetensors'), syntheticViTWeights(VIT_B16_CONFIG, 1));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...VIT_B16_CONFIG, model_type: 'vit' }));
    const pixels = { data: new Float32Array(3 * 224 * 224).fill(0.5), shape: [1, 3, 224, 224] };
    console.log('| run | loadModel, ms | longest event-loop stall in it, ms | loadModelSync, ms | RSS after a forward, MiB | RSS after dispose + GC, MiB |');
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
    for (let r = 1; r <= runs; r++) {
      const { result: model, totalMs, stallMs } = await withLongestStall(() => loadModel(dir));
      await model.forward(pixels);
      const afterForward = rssMiB();
      model.dispose();
      const start = process.hrtime.bigint();
      loadModelSync(dir).dispose();
      const syncMs = msSince(start);
      const note = collect();
      console.log(`| ${r} | ${totalMs.toFixed(0)} | ${stallMs.toFixed(0)} | ${syncMs.toFixed(0)} | ${afterForward} | ${rssMiB()}${note} |`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
