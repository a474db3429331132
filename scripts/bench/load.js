#!/usr/bin/env node
// Model loading benchmark (not part of npm test; needs `npm run build`, ~1.5 GB of memory): writes
// a synthetic ViT-B/16 folder (config.json + a 346 MB model.safetensors) to a temporary folder,
// then per run: loadModel's time on the event loop (reading, checking and building the model,
// weights pending) and off it (packing them on the pool), beside loadModelSync's total; and the
// resident set after that model's first forward pass and after both models were disposed and
// garbage-collected (what a service that reloads models keeps).
//   node --expose-gc scripts/bench/load.js [--runs 4]
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { VIT_B16_CONFIG, syntheticViTWeights } = require('../../dist/bench/vit-weights');
const { writeSafetensors } = require('../../dist/io/safetensors');
const { loadModelSync } = require('../../dist/models/load');
const { packPendingWeights } = require('../../dist/nn/packed-weights');
const { withDeferredPacking } = require('../../dist/ops/linear');

const at = process.argv.indexOf('--runs');
const runs = at > 0 ? Number(process.argv[at + 1]) : 4;

function rssMiB() {
  return (process.memoryUsage().rss / 2 ** 20).toFixed(0);
}

function collect() {
  if (global.gc) global.gc();
  return global.gc ? '' : ' (run with --expose-gc to collect first)';
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
    console.log('| run | loadModel on the event loop, ms | loadModel off it (packing), ms | loadModelSync, ms | RSS after a forward, MiB | RSS after dispose + GC, MiB |');
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
    for (let r = 1; r <= runs; r++) {
      let start = process.hrtime.bigint();
      const model = withDeferredPacking(() => loadModelSync(dir)); // what loadModel runs before its first await
      const onLoop = msSince(start);
      start = process.hrtime.bigint();
      await packPendingWeights(model);
      const offLoop = msSince(start);
      await model.forward(pixels);
      const afterForward = rssMiB();
      model.dispose();
      start = process.hrtime.bigint();
      loadModelSync(dir).dispose();
      const syncMs = msSince(start);
      const note = collect();
      console.log(`| ${r} | ${onLoop.toFixed(0)} | ${offLoop.toFixed(0)} | ${syncMs.toFixed(0)} | ${afterForward} | ${rssMiB()}${note} |`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
