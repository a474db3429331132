/**
 * renderPattern / renderPatternPng: the PNG's pixels are the pattern's mask, each cell scale x
 * scale pixels, allowed pairs dark; and the render-pattern command that writes them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Pattern } from '../../lib';
import { combinedMask, normalizePattern, renderPattern, renderPatternPng } from '../../lib';
import { UsageError } from '../../lib/cli/command';
import { renderPatternCommand } from '../../lib/cli/render-pattern';
import { ALLOWED_GRAY, BLOCKED_GRAY } from '../../lib/patterns/render';
import { decodePng } from './png-decode';

/** The grayscale pixels a mask should give at `scale` pixels per cell. */
function expectedPixels(mask: Uint8Array, nq: number, nk: number, scale: number): Uint8Array {
  const width = nk * scale;
  return Uint8Array.from({ length: width * nq * scale }, (_, p) => {
    const [y, x] = [Math.floor(p / width), p % width];
    return mask[Math.floor(y / scale) * nk + Math.floor(x / scale)] ? ALLOWED_GRAY : BLOCKED_GRAY;
  });
}

describe('renderPatternPng', () => {
  test.each([
    ['sliding', { type: 'sliding', radius: 1 }, 5, 5, 3, false],
    ['neighborhood 2D with a class token, causal', { type: 'neighborhood', grid: [3, 4], window: [3, 3], offset: 1 }, 13, 13, 2, true],
    ['mask, Nq != Nk', { type: 'mask', bits: [1, 0, 1, 0, 0, 0] }, 2, 3, 1, false],
  ] as [string, Pattern, number, number, number, boolean][])('%s: pixels equal the mask', (_name, pattern, nq, nk, scale, causal) => {
    const png = decodePng(renderPatternPng(pattern, { nq, nk }, { scale, causal }));
    const mask = combinedMask(normalizePattern(pattern, nq, nk), nq, nk, { causal });
    expect(png).toMatchObject({ width: nk * scale, height: nq * scale, channels: 1 });
    expect(Buffer.from(png.pixels).equals(Buffer.from(expectedPixels(mask, nq, nk, scale)))).toBe(true);
  });

  test('the default scale fits the image in 512 pixels, and is at least 1', () => {
    expect(decodePng(renderPatternPng({ type: 'full' }, { n: 5 }))).toMatchObject({ width: 510, height: 510 });
    expect(decodePng(renderPatternPng({ type: 'full' }, { nq: 100, nk: 200 }))).toMatchObject({ width: 400, height: 200 });
    expect(decodePng(renderPatternPng({ type: 'strided', stride: 30 }, { n: 600 }))).toMatchObject({ width: 600, height: 600 });
  });

  test('a normalized spec renders like its pattern', () => {
    const pattern: Pattern = { type: 'global', tokens: [0], inner: { type: 'axial', grid: [2, 3], axes: [1], offset: 1 } };
    const spec = normalizePattern(pattern, 7, 7);
    expect(renderPatternPng(spec, { n: 7 }).equals(renderPatternPng(pattern, { n: 7 }))).toBe(true);
  });
});

describe('files', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-render-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('renderPattern writes the PNG', async () => {
    const file = path.join(dir, 'fixed.png');
    await renderPattern({ type: 'fixed', block: 4, summary: 1 }, { n: 16 }, file, { causal: true });
    expect(fs.readFileSync(file).equals(renderPatternPng({ type: 'fixed', block: 4, summary: 1 }, { n: 16 }, { causal: true }))).toBe(true);
  });

  test('renderPattern rejects an invalid pattern without writing', async () => {
    const file = path.join(dir, 'bad.png');
    await expect(renderPattern({ type: 'sliding', radius: -1 }, { n: 4 }, file)).rejects.toMatchObject({ param: 'pattern.radius' });
    expect(fs.existsSync(file)).toBe(false);
  });

  describe('tessera render-pattern', () => {
    const run = async (args: string[]) => {
      const out: string[] = [];
      const code = await renderPatternCommand.run(args, { out: (text) => out.push(text), err: (text) => out.push(text) });
      return { code, out: out.join('\n') };
    };

    test('writes the PNG and reports the allowed pairs', async () => {
      const file = path.join(dir, 'nb.png');
      const pattern = '{"type":"neighborhood","grid":[4,4],"window":[3,3]}';
      const { code, out } = await run([pattern, '--n', '16', '--out', file, '--scale', '4']);
      expect(code).toBe(0);
      // every query sees 3 x 3 keys: windows shift inward at the edges
      expect(out).toBe(`wrote ${file}: 16 queries x 16 keys, 144 of 256 pairs allowed (56.3%)`);
      expect(fs.readFileSync(file).equals(renderPatternPng(JSON.parse(pattern) as Pattern, { n: 16 }, { scale: 4 }))).toBe(true);
    });

    test('--nq/--nk and --causal', async () => {
      const file = path.join(dir, 'mask.png');
      const { code, out } = await run(['{"type":"full"}', '--nq', '2', '--nk', '3', '--causal', '--out', file]);
      expect([code, out]).toEqual([0, `wrote ${file}: 2 queries x 3 keys, 3 of 6 pairs allowed (50.0%)`]);
      expect(decodePng(fs.readFileSync(file))).toMatchObject({ width: 510, height: 340 });
    });

    test('--help', async () => {
      const { code, out } = await run(['--help']);
      expect(code).toBe(0);
      expect(out).toContain('Usage: tessera render-pattern <pattern-json> --n N');
    });

    test.each([
      ['no pattern', ['--n', '4'], /expected one pattern as JSON.*received none/],
      ['two patterns', ['{}', '{}', '--n', '4'], /received 2: \{\} \{\}/],
      ['bad JSON', ['{type:full}', '--n', '4'], /<pattern-json>: .* in \{type:full\}/],
      ['no length', ['{"type":"full"}'], /expected either --n N, or both --nq and --nk/],
      ['--n with --nq', ['{"type":"full"}', '--n', '4', '--nq', '4'], /expected either --n N/],
      ['bad --n', ['{"type":"full"}', '--n', 'four'], /--n: expected a positive integer, received 'four'/],
      ['unknown option', ['{"type":"full"}', '--n', '4', '--radius', '2'], /--radius/],
      ['invalid pattern', ['{"type":"neighborhood","grid":[4],"window":[0]}', '--n', '4'], /^pattern.window\[0\]: expected an integer >= 1, received 0$/],
      ['self-attention pattern with Nq != Nk', ['{"type":"sliding","radius":1}', '--nq', '2', '--nk', '3'], /expected Nq == Nk/],
    ])('usage error: %s', async (_name, args, message) => {
      await expect(run(args)).rejects.toThrow(UsageError);
      await expect(run(args)).rejects.toThrow(message);
    });

    test('a failed write is a failure, not a usage error', async () => {
      const file = path.join(dir, 'missing-folder', 'x.png');
      await expect(run(['{"type":"full"}', '--n', '4', '--out', file])).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });
});
