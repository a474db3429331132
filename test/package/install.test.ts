/**
 * The install hook (scripts/install.js) on a package laid out as npm installs it: a prebuilt
 * addon that loads is used with no compiler or cmake on PATH, and the package then loads it; a
 * prebuilt that does not load, or TESSERA_BUILD_FROM_SOURCE, sends the hook to a source build
 * (which fails here: the copy has no CMakeLists.txt, so the test never compiles anything).
 * Without any loadable addon, the first call throws NativeLoadError listing every path tried.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { nativePath } from '../../lib/native';

const root = path.resolve(__dirname, '..', '..');
const platform = `${process.platform}-${process.arch}`;
/** What a truncated or mistaken download could leave: bytes that are no shared library. */
const NOT_A_LIBRARY = Buffer.alloc(1024, 'x');
let packageDir = '';
let prebuilt = '';

/** Runs node with `args` in the package copy, with only node's own folder on PATH. */
function runNode(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, args, {
    cwd: packageDir,
    encoding: 'utf8',
    env: { PATH: path.dirname(process.execPath), HOME: os.tmpdir(), ...env },
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  packageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-install-'));
  fs.copyFileSync(path.join(root, 'package.json'), path.join(packageDir, 'package.json'));
  fs.mkdirSync(path.join(packageDir, 'scripts'));
  fs.copyFileSync(path.join(root, 'scripts', 'install.js'), path.join(packageDir, 'scripts', 'install.js'));
  fs.cpSync(path.join(root, 'dist'), path.join(packageDir, 'dist'), { recursive: true });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(packageDir, 'node_modules'));
  prebuilt = path.join(packageDir, 'prebuilds', platform, 'tessera.node');
  fs.mkdirSync(path.dirname(prebuilt), { recursive: true });
});

afterAll(() => {
  if (packageDir) fs.rmSync(packageDir, { recursive: true, force: true });
});

beforeEach(() => {
  fs.copyFileSync(nativePath(), prebuilt);
});

describe('npm install with a prebuilt binary', () => {
  test('a prebuilt that loads is used without cmake or a compiler, and the package loads it', () => {
    const install = runNode(['scripts/install.js']);
    expect(install.stderr).toBe('');
    expect(install.stdout).toContain(`tessera: using prebuilt ${path.join('prebuilds', platform, 'tessera.node')}`);
    expect(install.status).toBe(0);

    const script = `
      const { nativePath } = require('./dist/native');
      const tessera = require('./dist');
      const x = { data: new Float32Array([1, 2, 3, 4]), shape: [1, 2, 1, 2] };
      const out = tessera.attentionSync(x, x, x);
      console.log(JSON.stringify({ file: nativePath(), out: Array.from(out.data) }));`;
    const use = runNode(['-e', script]);
    expect(use.stderr).toBe('');
    const { file, out } = JSON.parse(use.stdout) as { file: string; out: number[] };
    expect(fs.realpathSync(file)).toBe(fs.realpathSync(prebuilt));
    expect(out).toHaveLength(4);
    out.forEach((value) => expect(Number.isFinite(value)).toBe(true));
  });

  test('a prebuilt that does not load: the hook says why and builds from source instead', () => {
    fs.writeFileSync(prebuilt, NOT_A_LIBRARY);
    const install = runNode(['scripts/install.js']);
    expect(install.stderr).toMatch(/tessera: prebuilt .*tessera\.node does not load \(.+\); building from source/);
    expect(install.stderr).toContain('building again without CUDA');
    expect(install.stdout).not.toContain('using prebuilt');
    expect(install.status).not.toBe(0);
  });

  test('TESSERA_BUILD_FROM_SOURCE builds from source although the prebuilt loads', () => {
    const install = runNode(['scripts/install.js'], { TESSERA_BUILD_FROM_SOURCE: '1' });
    expect(install.stdout).not.toContain('using prebuilt');
    expect(install.stderr).toContain('building again without CUDA');
    expect(install.status).not.toBe(0);
  });
});

describe('a package without a loadable addon', () => {
  // Calls an op and prints the error it throws.
  const script = `
    const tessera = require('./dist');
    const x = { data: new Float32Array(4), shape: [1, 2, 1, 2] };
    try { tessera.attentionSync(x, x, x); console.log('{}'); }
    catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, attempts: e.attempts, message: e.message })); }`;

  test.each([
    ['no addon at all', () => fs.rmSync(prebuilt), 'not found'],
    ['a prebuilt that is not a shared library', () => fs.writeFileSync(prebuilt, NOT_A_LIBRARY), 'invalid ELF header'],
  ])('%s: NativeLoadError lists each path and why, and how to build', (_name, setUp, prebuiltReason) => {
    setUp();
    const run = runNode(['-e', script]);
    const error = JSON.parse(run.stdout) as { name: string; code: string; attempts: { path: string; reason: string }[]; message: string };
    expect(error.name).toBe('NativeLoadError');
    expect(error.code).toBe('ERR_TESSERA_NATIVE_LOAD');
    expect(error.attempts.map((a) => a.path)).toEqual([
      prebuilt,
      path.join(packageDir, 'build', 'Release', 'tessera.node'),
      path.join(packageDir, 'build', 'Debug', 'tessera.node'),
    ]);
    expect(error.attempts[0].reason).toContain(prebuiltReason);
    expect(error.attempts[1].reason).toBe('not found');
    expect(error.message).toContain(`${prebuilt}: ${error.attempts[0].reason}`);
    expect(error.message).toContain('`npm rebuild tessera`');
  });
});
