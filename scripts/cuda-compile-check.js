#!/usr/bin/env node
// Compile-only check of the CUDA code (npm run check:cuda); nothing CUDA runs here (CI has nvcc
// but no GPU). Without nvcc on PATH the check is skipped with the reason. With nvcc:
//  - when the cmake-js build of `npm install` (build/, or the folder given as the argument)
//    was configured with CUDA, it is brought up to date and the kernels' test and benchmark
//    binaries are built in the same tree, so `npm ci && npm test` compiles the kernels once;
//    then tessera_cuda.node must load in Node, need no shared CUDA runtime, and say why CUDA is
//    unavailable or which GPUs it sees;
//  - otherwise (a prebuilt addon was installed, or that build had no CUDA compiler) build-cuda/
//    is configured with plain CMake and the kernels, tests and benchmark are compiled there.
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const addonBuild = path.resolve(root, process.argv[2] ?? 'build');
const TOOLS = ['tessera_cuda_tests', 'tessera_cuda_bench'];

function findNvcc() {
  const which = spawnSync('sh', ['-c', 'command -v nvcc'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : null;
}

function run(command, args) {
  console.log(`check:cuda: ${command} ${args.join(' ')}`);
  execFileSync(command, args, { cwd: root, stdio: 'inherit' });
}

function jobs() {
  return String(Math.max(1, os.availableParallelism ? os.availableParallelism() : os.cpus().length));
}

/** Whether `dir` is a cmake-js build configured with a CUDA compiler. */
function isCudaAddonBuild(dir) {
  const cache = path.join(dir, 'CMakeCache.txt');
  if (!fs.existsSync(cache)) return false;
  const text = fs.readFileSync(cache, 'utf8');
  return /^CMAKE_JS_VERSION:/m.test(text) && /^CMAKE_CUDA_COMPILER:\w+=.*nvcc\s*$/m.test(text);
}

/** Loads the addon in a child Node process (a crash there cannot take this script down). */
function checkAddonLoads(addon) {
  if (!fs.existsSync(addon)) throw new Error(`${addon} was not built`);
  const readelf = spawnSync('readelf', ['-d', addon], { encoding: 'utf8' });
  if (readelf.status === 0 && /NEEDED.*libcudart/.test(readelf.stdout)) {
    throw new Error(`${addon} needs the shared CUDA runtime (libcudart.so); it must link cudart_static`);
  }
  const probe = spawnSync(process.execPath, ['-p', `JSON.stringify(require(${JSON.stringify(addon)}).cudaInfo())`], {
    encoding: 'utf8',
  });
  if (probe.status !== 0) throw new Error(`${addon} does not load in Node: ${probe.stderr.trim()}`);
  const info = JSON.parse(probe.stdout);
  const devices = info.devices.map((d) => `${d.name} (${d.computeCapability})`).join(', ');
  console.log(`check:cuda: ${path.relative(root, addon)} loads (CUDA runtime ${info.runtimeVersion}, static): ${info.reason ?? `devices: ${devices}`}`);
}

function main() {
  const nvcc = findNvcc();
  if (!nvcc) {
    console.log('check:cuda: SKIP: nvcc is not on PATH, so the CUDA code was not compiled');
    return;
  }
  const started = Date.now();
  if (isCudaAddonBuild(addonBuild)) {
    run('cmake', ['--build', addonBuild, '-j', jobs(), '--target', 'tessera_cuda_addon', ...TOOLS]);
    checkAddonLoads(path.join(addonBuild, 'Release', 'tessera_cuda.node'));
  } else {
    console.log(`check:cuda: ${path.relative(root, addonBuild)} is not a cmake-js build with CUDA; compiling in build-cuda/`);
    const buildDir = path.join(root, 'build-cuda');
    run('cmake', ['-S', '.', '-B', buildDir, '-DTESSERA_CUDA=ON', `-DCMAKE_CUDA_COMPILER=${nvcc}`]);
    run('cmake', ['--build', buildDir, '-j', jobs(), '--target', ...TOOLS]);
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`check:cuda: CUDA code compiled and linked with ${nvcc} in ${seconds} s`);
  console.log('check:cuda: compile-only: the GPU tests need a CUDA device (run scripts/device-check.sh on one)');
}

try {
  main();
} catch (err) {
  console.error(`check:cuda: FAILED: ${err.message}`);
  process.exitCode = 1;
}
