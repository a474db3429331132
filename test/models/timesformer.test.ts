/**
 * TimeSformer end to end against the PyTorch fixtures (scripts/fixtures/make_timesformer_fixtures.py:
 * Hugging Face's modeling_timesformer.py structure and names, random weights, fp64 expected
 * logits) for the three attention types, and against onnxruntime-node on the ONNX exports.
 */
import * as path from 'node:path';

import * as ort from 'onnxruntime-node';

import { readSafetensors } from '../../lib/io/safetensors';
import { readJsonFile } from '../../lib/io/json-file';
import { loadModel } from '../../lib/models/load';
import { parseTimesformerConfig } from '../../lib/models/timesformer/config';
import { Weights } from '../../lib/nn/weights';
import { TimesformerForVideoClassification } from '../../lib/models/timesformer/model';
import type { Tensor } from '../../lib/tensor';
import { expectLogitsClose } from '../tolerance';
import '../support/ort-in-jest';

const FIXTURES = path.join(__dirname, '..', 'fixtures');

async function load(name: string): Promise<{ model: TimesformerForVideoClassification; io: (key: string) => Tensor; dir: string }> {
  const dir = path.join(FIXTURES, name);
  const model = await loadModel(dir);
  if (!(model instanceof TimesformerForVideoClassification)) throw new Error(`${name}: expected a video classifier`);
  const io = readSafetensors(path.join(dir, 'io.safetensors'));
  return { model, io: (key) => io.tensor(key), dir };
}

async function onnxLogits(dir: string, pixels: Tensor): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'), { intraOpNumThreads: 2 });
  const result = await session.run({ pixel_values: new ort.Tensor('float32', Float32Array.from(pixels.data), [...pixels.shape]) });
  await session.release();
  return result.logits.data as Float32Array;
}

describe.each(['timesformer-divided', 'timesformer-joint', 'timesformer-space'])('TimesformerForVideoClassification %s', (name) => {
  test('logits match PyTorch (fp64) and onnxruntime-node', async () => {
    const { model, io, dir } = await load(name);
    const pixels = io('pixel_values');
    const expected = io('logits');
    const logits = await model.forward(pixels);
    expect(logits.shape).toEqual(expected.shape);
    expectLogitsClose(logits.data, expected.data, expected.shape[1], `${name} vs PyTorch`);
    expectLogitsClose(logits.data, await onnxLogits(dir, pixels), expected.shape[1], `${name} vs onnxruntime`);
    expect(Array.from(model.forwardSync(pixels).data)).toEqual(Array.from(logits.data));
  });
});

/**
 * With T != num_frames, Hugging Face's divided layers regroup tokens by the config's frame count
 * (mixing frames and patches, no error: `logits_6frames`); tessera groups by the input's real
 * frames, as the original TimeSformer does (`logits_6frames_framewise`, the fixture script's
 * reference with the real frame count). The time embeddings are resampled the same way in both.
 */
test('divided space-time with more frames than the config (time embeddings resampled, frame-wise layers)', async () => {
  const { model, io } = await load('timesformer-divided');
  const logits = await model.forward(io('pixel_values_6frames'));
  expectLogitsClose(logits.data, io('logits_6frames_framewise').data, 5, 'timesformer-divided, 6 frames');
});

test.each(['timesformer-joint', 'timesformer-space'])('%s on 20x24 frames (position embeddings resampled)', async (name) => {
  const { model, io } = await load(name);
  const logits = await model.forward(io('pixel_values_20x24'));
  const expected = io('logits_20x24');
  expectLogitsClose(logits.data, expected.data, expected.shape[1], `${name}, 20x24`);
});

test('space_only: clipLogits averages the frames of each clip', async () => {
  const { model, io } = await load('timesformer-space');
  const pixels = io('pixel_values');
  const perFrame = await model.forward(pixels);
  const perClip = await model.clipLogits(pixels);
  const [clips, frames] = pixels.shape;
  const n = perFrame.shape[1];
  expect(perClip.shape).toEqual([clips, n]);
  for (let c = 0; c < clips; c++) {
    for (let j = 0; j < n; j++) {
      let mean = 0;
      for (let t = 0; t < frames; t++) mean += perFrame.data[(c * frames + t) * n + j] / frames;
      expect(perClip.data[c * n + j]).toBeCloseTo(mean, 5);
    }
  }
});

describe('divided space-time with neighborhood attention inside frames (tessera_attention)', () => {
  const dir = path.join(FIXTURES, 'timesformer-divided');
  const json = readJsonFile(path.join(dir, 'config.json')) as Record<string, unknown>;
  const weights = new Weights(readSafetensors(path.join(dir, 'model.safetensors')));
  const pixels = readSafetensors(path.join(dir, 'io.safetensors')).tensor('pixel_values');
  const withPattern = (attention: unknown): TimesformerForVideoClassification =>
    TimesformerForVideoClassification.load(parseTimesformerConfig({ ...json, tessera_attention: attention }, 'config.json'), weights);

  test('a window covering the whole 4x4 frame equals the default (whole-frame) spatial attention', async () => {
    const expected = readSafetensors(path.join(dir, 'io.safetensors')).tensor('logits');
    const logits = await withPattern({ type: 'neighborhood', window: [4, 4] }).forward(pixels);
    expectLogitsClose(logits.data, expected.data, 5, 'neighborhood 4x4 == divided');
  });

  test('a 3x3 window inside each frame changes the logits', async () => {
    const full = await withPattern(null).forward(pixels);
    const local = await withPattern({ type: 'neighborhood', window: [3, 3] }).forward(pixels);
    expect(Math.max(...Array.from(full.data, (x, i) => Math.abs(x - local.data[i])))).toBeGreaterThan(1e-4);
  });
});
