/**
 * The model commands end to end through the CLI entry point: `tessera demo` (the bundled
 * vit-digits model on its real held-out digits), `tessera classify` and `tessera classify-video`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { main } from '../../lib/cli/main';
import type { CommandIo } from '../../lib/cli/command';

const ROOT = path.join(__dirname, '..', '..');
const DIGITS = path.join(ROOT, 'models', 'vit-digits');
const SAMPLES = fs.readdirSync(path.join(DIGITS, 'samples')).filter((f) => f.endsWith('.png')).sort();

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const code = await main(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('tessera demo classifies the held-out digits like PyTorch', async () => {
  const { code, out } = await run(['demo']);
  expect(code).toBe(0);
  const [, correct, total] = /test set: (\d+)\/(\d+) correct/.exec(out) ?? [];
  expect(Number(correct) / Number(total)).toBeGreaterThan(0.95);
  const [, diff] = /max \|logit - PyTorch fp64 logit\|: (\S+)/.exec(out) ?? [];
  expect(Number(diff)).toBeLessThan(1e-3);
});

test('tessera classify prints each image top classes, best first', async () => {
  const files = SAMPLES.slice(0, 3).map((f) => path.join(DIGITS, 'samples', f));
  const { code, out } = await run(['classify', DIGITS, ...files, '--top-k', '2', '--json']);
  expect(code).toBe(0);
  const results = JSON.parse(out) as { input: string; classes: { label: string; score: number }[] }[];
  expect(results.map((r) => r.input)).toEqual(files);
  results.forEach((r, i) => {
    expect(r.classes).toHaveLength(2);
    expect(r.classes[0].score).toBeGreaterThanOrEqual(r.classes[1].score);
    expect(r.classes[0].label).toBe(SAMPLES[i].split('-')[1].replace('.png', ''));
  });
});

test('tessera classify-video classifies a clip of frames with a TimeSformer folder', async () => {
  const frames = SAMPLES.slice(0, 5).map((f) => path.join(DIGITS, 'samples', f));
  const { code, out } = await run(['classify-video', path.join(ROOT, 'test', 'fixtures', 'timesformer-divided'), ...frames, '--top-k', '3']);
  expect(code).toBe(0);
  expect(out.split('\n')).toHaveLength(4); // the clip, then 3 classes
});

test.each([
  [['classify'], /expected a model folder and at least one image/],
  [['classify', DIGITS, 'x.png', '--top-k', '0'], /--top-k: expected a positive integer/],
  [['classify-video', DIGITS], /expected a model folder and at least one frame/],
])('usage errors exit 2: %j', async (args, message) => {
  const { code, err } = await run(args);
  expect(code).toBe(2);
  expect(err).toMatch(message);
});

test('a video folder given to classify fails with a clear message', async () => {
  const { code, err } = await run(['classify', path.join(ROOT, 'test', 'fixtures', 'timesformer-space'), path.join(DIGITS, 'samples', SAMPLES[0])]);
  expect(code).toBe(1);
  expect(err).toMatch(/not an image-classification model/);
});
