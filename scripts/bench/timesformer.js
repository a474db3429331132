#!/usr/bin/env node
// TimeSformer (not part of npm test; needs `npm run build`, ~3 GB of memory and a few minutes):
// TimeSformer-base 8x224x224 end to end, tessera beside onnxruntime-node on an ONNX graph of the
// same synthetic weights (divided and joint attention, one process, runs interleaved), then the
// attention part of one layer, divided vs joint, as frames grow; the same as
// `tessera bench timesformer` (see its --help for the options).
//   node scripts/bench/timesformer.js [--part model,curve] [--runs 5] [--frames 8,16,32,64] [--plot curve.png] [--markdown]
'use strict';
const { main } = require('../../dist/cli/main');

main(['bench', 'timesformer', ...process.argv.slice(2)]).then((code) => {
  process.exitCode = code;
});
