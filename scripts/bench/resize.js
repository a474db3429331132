#!/usr/bin/env node
// Image resize benchmark (not part of npm test; needs `npm run build`): resizeImageSync's time on
// the calling thread and resizeImage's (native passes off the event loop), with the longest
// event-loop stall while resizeImage runs, for synthetic RGB photos of three sizes -> 224 x 224.
//   node scripts/bench/resize.js [--runs 5] [--resample bilinear|bicubic]
const { monitorEventLoopDelay } = require('node:perf_hooks');
const tessera = require('../../dist');

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
}
const runs = Number(option('runs', '5'));
const resample = option('resample', 'bilinear');
const SOURCES = [[640, 480], [1920, 1080], [4000, 3000]];
const SIZE = { width: 224, height: 224 };

function syntheticPhoto(width, height) {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 11)) & 255;
  return { data, width, height, channels: 3 };
}

function msSince(start) {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function main() {
  console.log(`resize -> 224x224 ${resample}, mean of ${runs} runs`);
  console.log('| source | resizeImageSync ms | resizeImage ms | longest event-loop stall during resizeImage, ms |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [width, height] of SOURCES) {
    const image = syntheticPhoto(width, height);
    tessera.resizeImageSync(image, SIZE, resample);
    let start = process.hrtime.bigint();
    for (let r = 0; r < runs; r++) tessera.resizeImageSync(image, SIZE, resample);
    const sync = msSince(start) / runs;
    const stalls = monitorEventLoopDelay({ resolution: 1 });
    stalls.enable();
    start = process.hrtime.bigint();
    for (let r = 0; r < runs; r++) await tessera.resizeImage(image, SIZE, resample);
    const async = msSince(start) / runs;
    stalls.disable();
    console.log(`| ${width}x${height} | ${sync.toFixed(1)} | ${async.toFixed(1)} | ${(stalls.max / 1e6).toFixed(1)} |`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
