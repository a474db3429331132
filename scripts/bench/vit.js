#!/usr/bin/env node
// ViT-B/16 end to end (not part of npm test; needs `npm run build` and ~2 GB of memory): tessera
// beside onnxruntime-node on an ONNX graph of the same synthetic weights, in one process, runs
// interleaved; the same as `tessera bench vit` (see its --help for the options).
//   node scripts/bench/vit.js [--batch 1,8] [--runs 5] [--threads 2] [--markdown]
'use strict';
const { main } = require('../../dist/cli/main');

main(['bench', 'vit', ...process.argv.slice(2)]).then((code) => {
  process.exitCode = code;
});
