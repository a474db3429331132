#!/usr/bin/env node
// npm install hook: use the prebuilt binary for this platform when it loads, otherwise
// build the addon from source with cmake-js (needs cmake and a C++17 compiler; nvcc adds the
// CUDA addon).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const prebuilt = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'tessera.node');

function prebuiltLoads() {
  if (!fs.existsSync(prebuilt)) return false;
  try {
    require(prebuilt);
    return true;
  } catch (error) {
    console.warn(`tessera: prebuilt ${prebuilt} does not load (${error.message.split('\n')[0]}); building from source`);
    return false;
  }
}

if (prebuiltLoads() && !process.env.TESSERA_BUILD_FROM_SOURCE) {
  console.log(`tessera: using prebuilt ${path.relative(root, prebuilt)}`);
} else {
  process.exit(buildFromSource());
}

/**
 * cmake-js compile (the CUDA addon too when nvcc is found); if that fails, once more without
 * CUDA, so a broken CUDA toolchain never costs the CPU addon. Returns the exit status.
 */
function buildFromSource() {
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const compile = (extra) => spawnSync(process.execPath, [cmakeJs, 'compile', ...extra], { cwd: root, stdio: 'inherit' }).status ?? 1;
  if (compile([]) === 0) return 0;
  console.warn('tessera: the build failed; building again without CUDA (--CDTESSERA_CUDA=OFF), CPU only');
  return compile(['--CDTESSERA_CUDA=OFF']);
}
