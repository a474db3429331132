/**
 * backends() and the CUDA addon's loader: the CPU part mirrors cpuInfo(); the CUDA part is
 * either a list of usable GPUs or a reason that names why there is none. Loader failures are
 * recorded as reasons, never thrown.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { backends, cpuInfo } from '../../lib';
import { cudaCandidatePaths, cudaNative, loadCudaAddon } from '../../lib/native';

/** Every reason backends().cuda can give, by its opening words. */
const REASONS = [
  /^binary built without CUDA \(nvcc not found at build time/,
  /^CUDA addon failed to load: /,
  /^no CUDA driver /,
  /^CUDA driver too old: /,
  /^no CUDA device /,
  /^no supported CUDA device: /,
  /^CUDA initialisation failed: /,
  /^CUDA device \d+ could not be queried: /,
];

const cuda = backends().cuda;

test('backends() reports the CPU like cpuInfo() and CUDA as devices or a reason', () => {
  const b = backends();
  expect(b.cpu).toEqual(cpuInfo());
  expect(Object.keys(b.cpu).sort()).toEqual(['amx', 'avx2', 'avx512', 'avx512bf16', 'cores', 'isa', 'threads']);
  if (b.cuda.available) {
    expect(b.cuda.devices.length).toBeGreaterThan(0);
    for (const d of b.cuda.devices) {
      expect(Object.keys(d).sort()).toEqual(['computeCapability', 'index', 'memoryBytes', 'name']);
      expect(d.computeCapability).toMatch(/^\d+\.\d+$/);
      expect(Number(d.computeCapability)).toBeGreaterThanOrEqual(8);
    }
  } else {
    expect(Object.keys(b.cuda).sort()).toEqual(['available', 'reason']);
    expect(REASONS.some((r) => r.test((b.cuda as { reason: string }).reason))).toBe(true);
  }
});

test('backends() returns copies', () => {
  const first = backends();
  (first.cuda as { available: boolean }).available = !first.cuda.available;
  expect(backends().cuda).toEqual(cuda);
});

describe('the CUDA addon loader', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-cuda-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('no binary anywhere: built without CUDA, naming the places looked at', () => {
    const missing = [path.join(dir, 'a', 'tessera_cuda.node'), path.join(dir, 'b', 'tessera_cuda.node')];
    const result = loadCudaAddon(missing);
    expect(result).toEqual({ reason: expect.stringMatching(REASONS[0]) });
    for (const file of missing) expect((result as { reason: string }).reason).toContain(file);
  });

  test('a binary that does not load: the reason names the file and the error', () => {
    const broken = path.join(dir, 'tessera_cuda.node');
    fs.writeFileSync(broken, 'not a shared library');
    const result = loadCudaAddon([path.join(dir, 'missing.node'), broken]);
    expect(result).toEqual({ reason: expect.stringMatching(new RegExp(`^CUDA addon failed to load: ${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .+`)) });
  });

  test('looks at $TESSERA_CUDA_NATIVE_PATH, then beside $TESSERA_NATIVE_PATH, then prebuilds/ and build/', () => {
    const saved = { cuda: process.env.TESSERA_CUDA_NATIVE_PATH, cpu: process.env.TESSERA_NATIVE_PATH };
    try {
      process.env.TESSERA_CUDA_NATIVE_PATH = '/x/cuda.node';
      process.env.TESSERA_NATIVE_PATH = '/y/Release/tessera.node';
      const paths = cudaCandidatePaths();
      expect(paths.slice(0, 2)).toEqual(['/x/cuda.node', '/y/Release/tessera_cuda.node']);
      expect(paths.slice(2).map((p) => path.relative(path.join(__dirname, '..', '..'), p))).toEqual([
        path.join('prebuilds', `${process.platform}-${process.arch}`, 'tessera_cuda.node'),
        path.join('build', 'Release', 'tessera_cuda.node'),
        path.join('build', 'Debug', 'tessera_cuda.node'),
      ]);
    } finally {
      for (const [key, value] of [['TESSERA_CUDA_NATIVE_PATH', saved.cuda], ['TESSERA_NATIVE_PATH', saved.cpu]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  const loaded = cudaNative();
  if ('reason' in loaded) console.log(`CUDA addon checks skipped: ${loaded.reason}`);
  ('binding' in loaded ? test : test.skip)('the built CUDA addon loads without the CUDA toolkit and reports its runtime', () => {
    const info = (loaded as Exclude<typeof loaded, { reason: string }>).binding.cudaInfo();
    expect(info.runtimeVersion).toMatch(/^\d+\.\d+$/);
    expect(info.reason === null).toBe(info.devices.length > 0);
    if (info.reason !== null) expect(cuda).toEqual({ available: false, reason: info.reason });
  });
});
