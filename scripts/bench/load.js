#!/usr/bin/env node
// Model loading benchmark (not part of npm test; needs `npm run build`, ~1.5 GB of memory): writes
// a synthetic ViT-B/16 folder (config.json + a 346 MB model.safetensors) to a temporary folder,
// then per run: loadModel's time on the event loop (reading, checking and building the model,
// weights pending) and off it (packing them on the pool), beside loadModelSync's total.
//   node scripts/bench/load.js [--runs 4]
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

function msSince(start) {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-vitb-'));
  try {
    writeSafetensors(path.join(dir, 'model.safetensors'), syntheticViTWeights(VIT_B16_CONFIG, 1));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...VIT_B16_CONFIG, model_type: 'vit' }));
    console.log('| run | loadModel on the event loop, ms | loadModel off it (packing), ms | loadModelSync, ms |');
    console.log('| ---: | ---: | ---: | ---: |');
    for (let r = 1; r <= runs; r++) {
      let start = process.hrtime.bigint();
      const model = withDeferredPacking(() => loadModelSync(dir)); // what loadModel runs before its first await
      const onLoop = msSince(start);
      start = process.hrtime.bigint();
      await packPendingWeights(model);
      const offLoop = msSince(start);
      model.dispose();
      start = process.hrtime.bigint();
      loadModelSync(dir).dispose();
      console.log(`| ${r} | ${onLoop.toFixed(0)} | ${offLoop.toFixed(0)} | ${msSince(start).toFixed(0)} |`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
