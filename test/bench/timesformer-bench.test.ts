/**
 * The TimeSformer benchmark's pieces on tiny sizes: the model suite (tessera beside
 * onnxruntime-node), the attention curve (FLOP counts from the model's patterns, the time bound),
 * the PNG line plot and its bitmap font, and `tessera bench timesformer` through the CLI.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import sharp from 'sharp';

import { GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH, glyphBits, hasGlyph, textWidth } from '../../lib/bench/bitmap-font';
import { formatTick, linePlotPng, renderLinePlot } from '../../lib/bench/line-plot';
import { runAttentionCurve, runTimesformerModelBench, timesformerFlops, unfusedScoreBytes } from '../../lib/bench/timesformer-suite';
import type { AttentionCurveOptions } from '../../lib/bench/timesformer-suite';
import type { HfTimesformerConfig } from '../../lib/bench/timesformer-weights';
import { TIMESFORMER_BASE_CONFIG } from '../../lib/bench/timesformer-weights';
import { curvePlot } from '../../lib/cli/bench-timesformer';
import type { CommandIo } from '../../lib/cli/command';
import { main } from '../../lib/cli/main';
import '../support/ort-in-jest';

const TINY: HfTimesformerConfig = {
  hidden_size: 32,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 64,
  patch_size: 4,
  image_size: 8,
  num_channels: 3,
  num_frames: 3,
  num_labels: 5,
};

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const code = await main(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('runTimesformerModelBench', () => {
  test('tessera and onnxruntime agree on tiny divided and joint models', async () => {
    const lines: string[] = [];
    const rows = await runTimesformerModelBench({ config: TINY, attentionTypes: ['divided_space_time', 'joint_space_time'], batch: 2, runs: 2, ortThreads: 1, seed: 3 }, (l) => lines.push(l));
    expect(rows.map((r) => [r.attentionType, r.batch, r.frames, r.tokens])).toEqual([
      ['divided_space_time', 2, 3, 13],
      ['joint_space_time', 2, 3, 13],
    ]);
    for (const r of rows) {
      expect(r.top1Agrees).toBe(true);
      expect(r.maxLogitDiff).toBeLessThan(1e-4);
      expect(r.tessera.bestMs).toBeLessThanOrEqual(r.tessera.medianMs);
      expect(r.ort.bestMs).toBeGreaterThan(0);
    }
    expect(lines.some((l) => l.startsWith('joint_space_time: tessera'))).toBe(true);
  });

  test('timesformerFlops counts what Hugging Face computes', () => {
    // TINY: h 32, P 4, T 3, inter 64, 12-value patches, 5 labels
    const h = 32;
    const lin = (m: number, k: number, n: number): number => 2 * m * k * n;
    const attn = (seqs: number, l: number): number => seqs * (lin(l, h, 3 * h) + 4 * l * l * h + lin(l, h, h));
    const mlp = (t: number): number => lin(t, h, 64) + lin(t, 64, h);
    const rest = lin(12, 48, h) + lin(1, h, 5);
    expect(timesformerFlops(TINY, 1)).toBe(attn(4, 3) + lin(12, h, h) + attn(3, 5) + mlp(13) + rest);
    expect(timesformerFlops({ ...TINY, attention_type: 'joint_space_time' }, 2)).toBe(2 * (attn(1, 13) + mlp(13) + rest));
    expect(timesformerFlops({ ...TINY, attention_type: 'space_only' }, 1)).toBe(3 * (attn(1, 5) + mlp(5)) + lin(12, 48, h) + 3 * lin(1, h, 5));
    // TimeSformer-base: ~196 G multiply-adds per 8-frame view (the TimeSformer paper's 0.59 TFLOPs for 3 views)
    expect(timesformerFlops(TIMESFORMER_BASE_CONFIG, 1) / 2 / 1e9).toBeCloseTo(196, -1);
  });
});

describe('runAttentionCurve', () => {
  const base: AttentionCurveOptions = { frames: [2, 4], kinds: ['divided', 'joint'], grid: [2, 3], heads: 2, headDim: 8, runs: 2, maxSeconds: 30, seed: 1 };

  test('measures every point; FLOPs count the pairs the model patterns allow', async () => {
    const points = await runAttentionCurve(base, () => undefined);
    expect(points.map((p) => [p.kind, p.frames, p.tokens, p.outcome.status])).toEqual([
      ['divided', 2, 13, 'ok'],
      ['joint', 2, 13, 'ok'],
      ['divided', 4, 25, 'ok'],
      ['joint', 4, 25, 'ok'],
    ]);
    const P = 6;
    for (const p of points) {
      if (p.outcome.status !== 'ok') throw new Error('expected a measurement');
      const m = p.outcome.measurement;
      const T = p.frames;
      const n = 1 + P * T;
      // divided: temporal P*T*T + spatial patches P*T*(P + 1) + the global class row n + the class token per frame T*(P + 1)
      const pairs = p.kind === 'joint' ? n * n : P * T * T + P * T * (P + 1) + n + T * (P + 1);
      expect([p.kind, T, m.flops]).toEqual([p.kind, T, 4 * 16 * pairs]);
      expect(m.runs).toBe(2);
      expect(m.tensorBytes).toBe(4 * 16 * (4 * n + (p.kind === 'divided' ? T : 0)));
      expect(m.runPeakIncreaseBytes).toBeGreaterThanOrEqual(0);
      expect(m.timing.medianMs).toBeGreaterThan(0);
    }
  });

  test('skips a point that would exceed the bound, and says why', async () => {
    const lines: string[] = [];
    const points = await runAttentionCurve({ ...base, frames: [2], maxSeconds: 1e-9, assumedFlopsPerSecond: 1e6 }, (l) => lines.push(l));
    expect(points.map((p) => p.outcome.status)).toEqual(['skipped', 'skipped']);
    expect(points[0].outcome).toMatchObject({ reason: expect.stringMatching(/at an assumed 0 GFLOP\/s.*exceed the 1e-9 s bound/) });
    expect(lines[0]).toMatch(/^divided, 2 frames: skipped/);
  });

  test('unfused score sizes: joint grows with T^2 tokens^2, divided stays per frame', () => {
    expect(unfusedScoreBytes('joint', 64, [14, 14], 12)).toBe(4 * 12 * 12545 ** 2);
    expect(unfusedScoreBytes('divided', 64, [14, 14], 12)).toBe(4 * 12 * 64 * 197 ** 2);
    expect(unfusedScoreBytes('divided', 256, [14, 14], 12)).toBe(4 * 12 * 196 * 256 * 256);
  });
});

describe('line plots', () => {
  test('the font: 5 x 7 glyphs, lower case as capitals, a box for the unknown', () => {
    expect([GLYPH_WIDTH, GLYPH_HEIGHT, GLYPH_ADVANCE]).toEqual([5, 7, 6]);
    const one = glyphBits('1');
    expect(Array.from(one.subarray(0, 5))).toEqual([0, 0, 1, 0, 0]);
    expect(Array.from(one.subarray(30, 35))).toEqual([0, 1, 1, 1, 0]);
    expect(glyphBits('m')).toEqual(glyphBits('M'));
    expect(hasGlyph('~')).toBe(false);
    const box = glyphBits('~');
    expect(Array.from(box.subarray(0, 5))).toEqual([1, 1, 1, 1, 1]);
    for (const c of '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ .,-+()/:=%') expect([c, hasGlyph(c)]).toEqual([c, true]);
    expect(textWidth('64', 2)).toBe(22);
    expect(textWidth('', 2)).toBe(0);
  });

  test('tick labels are short', () => {
    expect([8, 0.5, 1000, 12345, 2.5e6, 0.0001, 0].map(formatTick)).toEqual(['8', '0.5', '1000', '12300', '3e6', '1e-4', '0']);
  });

  test('draws each series in its color at its points, and encodes a valid PNG', async () => {
    const series = [
      { label: 'a', points: [{ x: 8, y: 1 }, { x: 64, y: 100 }], color: [255, 0, 0] as const },
      { label: 'b', points: [{ x: 8, y: 10 }, { x: 64, y: 0 }], color: [0, 0, 255] as const }, // y 0: not on a log axis
    ];
    const options = { width: 400, height: 300, xScale: 'log' as const, yScale: 'log' as const, title: 'T', xLabel: 'frames' };
    const canvas = renderLinePlot(series, options);
    const count = (rgb: readonly number[]): number => {
      let n = 0;
      for (let i = 0; i < canvas.pixels.length; i += 3) if (canvas.pixels[i] === rgb[0] && canvas.pixels[i + 1] === rgb[1] && canvas.pixels[i + 2] === rgb[2]) n++;
      return n;
    };
    expect(count([255, 0, 0])).toBeGreaterThan(300); // a line corner to corner, markers, legend
    expect(count([0, 0, 255])).toBeGreaterThan(100); // one marker, the legend
    expect(count([0, 0, 0])).toBeGreaterThan(1000); // frame, ticks, text
    const png = linePlotPng(series, options);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([400, 300, 3]);
    expect(Buffer.from(data).equals(Buffer.from(canvas.pixels))).toBe(true);
  });

  test('rejects a plot with nothing to draw, or a bad size', () => {
    expect(() => renderLinePlot([{ label: 'a', points: [{ x: 1, y: 0 }] }], { yScale: 'log' })).toThrow(/no point can be drawn/);
    expect(() => renderLinePlot([{ label: 'a', points: [{ x: 1, y: 1 }] }], { width: 50 })).toThrow(/options\.width must be an integer in \[200, 8192\], received 50/);
  });
});

describe('tessera bench timesformer', () => {
  test('--help, and usage errors', async () => {
    const help = await cli(['bench', 'timesformer', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/--max-seconds S/);
    expect((await cli(['bench', 'timesformer', '--part', 'curves'])).code).toBe(2);
    const plot = await cli(['bench', 'timesformer', '--part', 'model', '--plot', 'x.png']);
    expect([plot.code, plot.err]).toEqual([2, expect.stringMatching(/--plot draws the curve: add curve to --part/)]);
    expect((await cli(['bench', 'timesformer', '--max-seconds', '0'])).err).toMatch(/--max-seconds: expected a positive number/);
  });

  test('the curve on 1 and 2 frames, as a markdown table and a PNG', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-bench-'));
    try {
      const file = path.join(dir, 'curve.png');
      const { code, out } = await cli(['bench', 'timesformer', '--part', 'curve', '--frames', '1,2', '--runs', '1', '--plot', file, '--markdown']);
      expect(code).toBe(0);
      expect(out).toMatch(/^### Attention per layer as frames grow: divided vs joint \(tessera\)/);
      expect(out).toMatch(/\| +2 \| +393 \| joint +\|/);
      expect(out).toMatch(/load average/);
      expect(out).toContain(`- plot: ${file}`);
      const meta = await sharp(fs.readFileSync(file)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 800, 520]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('curvePlot leaves skipped points out', () => {
    const ok = (ms: number) => ({ status: 'ok' as const, measurement: { timing: { medianMs: ms, bestMs: ms }, runs: 1, flops: 1, tensorBytes: 1, runPeakIncreaseBytes: 0 } });
    const points = [
      { kind: 'divided' as const, frames: 8, tokens: 1569, unfusedScoreBytes: 0, outcome: ok(2) },
      { kind: 'joint' as const, frames: 8, tokens: 1569, unfusedScoreBytes: 0, outcome: ok(5) },
      { kind: 'joint' as const, frames: 64, tokens: 12545, unfusedScoreBytes: 0, outcome: { status: 'skipped' as const, reason: 'slow' } },
    ];
    const { series, options } = curvePlot(points, [14, 14], 12, 64);
    expect(series.map((s) => s.points)).toEqual([[{ x: 8, y: 2 }], [{ x: 8, y: 5 }]]);
    expect(options.xTicks).toEqual([8, 64]);
  });
});
