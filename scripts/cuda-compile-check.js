#!/usr/bin/env node
// Compile-only check of the CUDA kernels (npm run check:cuda): when nvcc is on PATH, configures
// build-cuda/ with -DTESSERA_CUDA=ON and builds the CUDA test and benchmark binaries. Nothing
// CUDA runs here (CI has nvcc but no GPU); without nvcc the check is skipped with the reason.
const { execFileSync, spawnSync } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const buildDir = path.join(root, 'build-cuda');

function findNvcc() {
  const which = spawnSync('sh', ['-c', 'command -v nvcc'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : null;
}

function run(command, args) {
  console.log(`check:cuda: ${command} ${args.join(' ')}`);
  execFileSync(command, args, { cwd: root, stdio: 'inherit' });
}

function main() {
  const nvcc = findNvcc();
  if (!nvcc) {
    console.log('check:cuda: SKIP: nvcc is not on PATH, so the CUDA kernels were not compiled');
    return;
  }
  const started = Date.now();
  const jobs = String(Math.max(1, os.availableParallelism ? os.availableParallelism() : os.cpus().length));
  run('cmake', ['-S', '.', '-B', buildDir, '-DTESSERA_CUDA=ON', `-DCMAKE_CUDA_COMPILER=${nvcc}`]);
  run('cmake', ['--build', buildDir, '-j', jobs, '--target', 'tessera_cuda_tests', 'tessera_cuda_bench']);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`check:cuda: CUDA kernels compiled and linked with ${nvcc} in ${seconds} s`);
  console.log('check:cuda: compile-only: the GPU tests need a CUDA device (run scripts/device-check.sh on one)');
}

try {
  main();
} catch (err) {
  console.error(`check:cuda: FAILED: ${err.message}`);
  process.exitCode = 1;
}
