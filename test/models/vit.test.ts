/**
 * ViT end to end against the PyTorch fixtures (scripts/fixtures/make_vit_fixtures.py: Hugging
 * Face's ViT structure and names, random weights, fp64 expected outputs) and against
 * onnxruntime-node running each fixture's ONNX export live, with the model tolerance.
 */
import * as path from 'node:path';

import * as ort from 'onnxruntime-node';

import { readSafetensors } from '../../lib/io/safetensors';
import { loadModel, loadModelSync } from '../../lib/models/load';
import { AxialViTForImageClassification } from '../../lib/models/axial/model';
import { ViTForImageClassification, ViTModel } from '../../lib/models/vit/model';
import type { Tensor } from '../../lib/tensor';
import { TOLERANCE, expectClose, expectLogitsClose } from '../tolerance';
import '../support/ort-in-jest';

const FIXTURES = path.join(__dirname, '..', 'fixtures');

function fixture(name: string): { dir: string; io: (key: string) => Tensor } {
  const dir = path.join(FIXTURES, name);
  const io = readSafetensors(path.join(dir, 'io.safetensors'));
  return { dir, io: (key) => io.tensor(key) };
}

async function runOnnx(dir: string, pixels: Tensor, output: string): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'), { intraOpNumThreads: 2 });
  const feeds = { pixel_values: new ort.Tensor('float32', Float32Array.from(pixels.data), [...pixels.shape]) };
  const result = await session.run(feeds);
  await session.release();
  return result[output].data as Float32Array;
}

describe.each(['vit-odd', 'vit-interp'])('ViTForImageClassification fixture %s', (name) => {
  const { dir, io } = fixture(name);
  const pixels = io('pixel_values');
  const expected = io('logits');
  const classes = expected.shape[1];
  let model: ViTForImageClassification;

  beforeAll(async () => {
    const loaded = await loadModel(dir);
    if (!(loaded instanceof ViTForImageClassification)) throw new Error(`${name}: expected a classifier`);
    model = loaded;
  });

  test('logits match PyTorch (fp64)', async () => {
    const logits = await model.forward(pixels);
    expect(logits.shape).toEqual(expected.shape);
    expectLogitsClose(logits.data, expected.data, classes, `${name} vs PyTorch`);
  });

  test('logits match onnxruntime-node on the ONNX export', async () => {
    const logits = await model.forward(pixels);
    expectLogitsClose(logits.data, await runOnnx(dir, pixels, 'logits'), classes, `${name} vs onnxruntime`);
  });

  test('forwardSync equals forward, and a batch equals its items run alone', async () => {
    const batch = await model.forward(pixels);
    expect(Array.from(model.forwardSync(pixels).data)).toEqual(Array.from(batch.data));
    const [b, c, h, w] = pixels.shape;
    for (let i = 0; i < b; i++) {
      const one = { data: pixels.data.subarray(i * c * h * w, (i + 1) * c * h * w), shape: [1, c, h, w] };
      const logits = await model.forward(one);
      expectClose(logits.data, batch.data.subarray(i * classes, (i + 1) * classes), TOLERANCE.kernel, `${name} item ${i}`);
    }
  });

  test('concurrent forward calls on one model give identical results', async () => {
    const results = await Promise.all([model.forward(pixels), model.forward(pixels), model.forward(pixels)]);
    for (const r of results) expect(Array.from(r.data)).toEqual(Array.from(results[0].data));
  });
});

describe('ViTModel fixture vit-base-tanh (gelu tanh, no qkv bias, pooler)', () => {
  const { dir, io } = fixture('vit-base-tanh');
  const pixels = io('pixel_values');

  test('last_hidden_state and pooler_output match PyTorch and onnxruntime-node', async () => {
    const model = loadModelSync(dir);
    if (!(model instanceof ViTModel)) throw new Error('expected a ViTModel');
    const out = await model.forward(pixels);
    const hidden = io('last_hidden_state');
    const pooled = io('pooler_output');
    expect(out.lastHiddenState.shape).toEqual(hidden.shape);
    expectClose(out.lastHiddenState.data, hidden.data, TOLERANCE.model, 'last_hidden_state vs PyTorch');
    expectClose(out.poolerOutput?.data ?? [], pooled.data, TOLERANCE.model, 'pooler_output vs PyTorch');
    expectClose(out.lastHiddenState.data, await runOnnx(dir, pixels, 'last_hidden_state'), TOLERANCE.model, 'last_hidden_state vs onnxruntime');
  });
});

describe('AxialViTForImageClassification fixture axial-vit (rows then columns, class token global)', () => {
  test('logits match PyTorch (fp64, explicit masks) and onnxruntime-node', async () => {
    const { dir, io } = fixture('axial-vit');
    const model = await loadModel(dir);
    if (!(model instanceof AxialViTForImageClassification)) throw new Error('expected an axial ViT');
    const pixels = io('pixel_values');
    const expected = io('logits');
    const logits = await model.forward(pixels);
    expectLogitsClose(logits.data, expected.data, expected.shape[1], 'axial-vit vs PyTorch');
    expectLogitsClose(logits.data, await runOnnx(dir, pixels, 'logits'), expected.shape[1], 'axial-vit vs onnxruntime');
  });
});
