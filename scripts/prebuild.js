#!/usr/bin/env node
// Makes the prebuilt binaries that `npm install` uses instead of compiling (scripts/install.js
// takes prebuilds/<platform>-<arch>/tessera.node when it loads; lib/native.ts looks there first,
// for tessera_cuda.node too). A clean cmake-js build in build-prebuild/ (CUDA too when nvcc is
// found, unless --cpu-only), its addons copied to prebuilds/<platform>-<arch>/, then checked in a
// fresh process: the package loads the copied CPU addon and its attention matches a direct
// computation; the CUDA addon, when there is one, loads. Prints the newest glibc symbol version
// the addons need (the oldest Linux they run on). `npm pack` then ships prebuilds/.
//   node scripts/prebuild.js [--cpu-only]      (also: npm run prebuilt)
// While prebuilds/ holds an addon, this checkout loads it rather than build/: delete prebuilds/
// after packing to go back to the development build.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const buildDir = 'build-prebuild';
const target = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const ADDONS = ['tessera.node', 'tessera_cuda.node'];

function build(cpuOnly) {
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const args = [cmakeJs, 'rebuild', '--out', buildDir, ...(cpuOnly ? ['--CDTESSERA_CUDA=OFF'] : [])];
  const status = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' }).status;
  if (status !== 0) throw new Error(`cmake-js rebuild failed (exit ${status})`);
}

/** Copies the built addons to prebuilds/<platform>-<arch>/ (replacing what was there); returns their paths. */
function copyAddons() {
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(target, { recursive: true });
  const copied = [];
  for (const file of ADDONS) {
    const built = path.join(root, buildDir, 'Release', file);
    if (!fs.existsSync(built)) continue;
    fs.copyFileSync(built, path.join(target, file));
    copied.push(path.join(target, file));
  }
  if (!copied.some((file) => path.basename(file) === 'tessera.node')) throw new Error(`no tessera.node in ${buildDir}/Release`);
  return copied;
}

// Run in a fresh process with no override: which addon the package loads, and a 1 x 5 x 2 x 8
// attention against the softmax(q k^T / sqrt(8)) v of plain JavaScript.
const CHECK = `
const tessera = require(${JSON.stringify(path.join(root, 'dist'))});
const { nativePath } = require(${JSON.stringify(path.join(root, 'dist', 'native'))});
const [N, H, D] = [5, 2, 8];
const make = (s) => Float32Array.from({ length: N * H * D }, (_, i) => Math.sin(i * s));
const [q, k, v] = [0.3, 0.7, 1.1].map(make);
const out = tessera.attentionSync({ data: q, shape: [1, N, H, D] }, { data: k, shape: [1, N, H, D] }, { data: v, shape: [1, N, H, D] });
let err = 0;
for (let h = 0; h < H; h++) for (let i = 0; i < N; i++) {
  const s = [];
  for (let j = 0; j < N; j++) { let d = 0; for (let c = 0; c < D; c++) d += q[(i * H + h) * D + c] * k[(j * H + h) * D + c]; s.push(d / Math.sqrt(D)); }
  const m = Math.max(...s), e = s.map((x) => Math.exp(x - m)), z = e.reduce((a, b) => a + b, 0);
  for (let c = 0; c < D; c++) {
    let o = 0; for (let j = 0; j < N; j++) o += (e[j] / z) * v[(j * H + h) * D + c];
    err = Math.max(err, Math.abs(o - out.data[(i * H + h) * D + c]));
  }
}
const cuda = tessera.backends().cuda;
console.log(JSON.stringify({ loaded: nativePath(), err, cuda: cuda.available ? 'available' : cuda.reason }));
`;

function check(copied) {
  const env = { ...process.env };
  delete env.TESSERA_NATIVE_PATH;
  delete env.TESSERA_CUDA_NATIVE_PATH;
  const result = JSON.parse(execFileSync(process.execPath, ['-e', CHECK], { cwd: root, env, encoding: 'utf8' }));
  const cpu = copied.find((file) => path.basename(file) === 'tessera.node');
  if (result.loaded !== cpu) throw new Error(`the package loaded ${result.loaded}, not ${cpu}`);
  if (!(result.err <= 1e-5)) throw new Error(`attention through the prebuilt differs from the direct computation by ${result.err}`);
  if (copied.length > 1 && String(result.cuda).startsWith('CUDA addon failed to load')) throw new Error(result.cuda);
  return result;
}

/** The newest GLIBC_x.y symbol version the file needs, or null when objdump is missing. */
function newestGlibc(file) {
  try {
    const symbols = execFileSync('objdump', ['-T', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const versions = [...new Set(symbols.match(/GLIBC_[0-9.]+/g) ?? [])];
    const key = (v) => v.slice(6).split('.').map(Number);
    versions.sort((a, b) => { const [x, y] = [key(a), key(b)]; return x[0] - y[0] || (x[1] ?? 0) - (y[1] ?? 0) || (x[2] ?? 0) - (y[2] ?? 0); });
    return versions.at(-1) ?? null;
  } catch {
    return null;
  }
}

function main() {
  if (!fs.existsSync(path.join(root, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.build.json` first');
  build(process.argv.includes('--cpu-only'));
  const copied = copyAddons();
  const result = check(copied);
  for (const file of copied) {
    const kib = (fs.statSync(file).size / 1024).toFixed(0);
    console.log(`prebuilt ${path.relative(root, file)} (${kib} KiB, needs ${newestGlibc(file) ?? 'an unknown glibc'})`);
  }
  console.log(`checked: the package loads it; attention max |diff| ${result.err.toExponential(2)}; CUDA: ${result.cuda}`);
}

try {
  main();
} catch (error) {
  console.error(`prebuild: ${error.message}`);
  process.exitCode = 1;
}
