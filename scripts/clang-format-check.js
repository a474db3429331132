#!/usr/bin/env node
// Checks (or with --fix, applies) clang-format on every C++ source under native/.
// Uses the clang-format binary shipped in the npm package of the same name.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const binary = require.resolve('clang-format/index.js').replace(/index\.js$/, `bin/${process.platform}_${process.arch === 'x64' ? 'x64' : process.arch}/clang-format`);

function sources(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return /\.(h|cpp|cu|cuh)$/.test(entry.name) ? [full] : [];
  });
}

const fix = process.argv.includes('--fix');
const files = sources(path.join(root, 'native'));
const unformatted = files.filter((file) => {
  const formatted = execFileSync(binary, ['--style=file', file], { cwd: root, encoding: 'utf8' });
  if (formatted === fs.readFileSync(file, 'utf8')) return false;
  if (fix) fs.writeFileSync(file, formatted);
  return !fix;
});
if (unformatted.length > 0) {
  console.error(`clang-format: ${unformatted.length} file(s) need formatting (run \`npm run format\`):`);
  for (const file of unformatted) console.error(`  ${path.relative(root, file)}`);
  process.exit(1);
}
console.log(`clang-format: ${files.length} files ${fix ? 'formatted' : 'clean'}`);
