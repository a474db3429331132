/**
 * The TimeSformer baseline: Hugging Face-named synthetic weights, and the ONNX graph built from
 * Hugging Face-format weights in onnxruntime-node against the PyTorch fixtures (fp64 logits of
 * modeling_timesformer.py's semantics, test/fixtures/README.md) and against tessera's model.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { uniformFloats } from '../../lib/bench/synthetic';
import { TIMESFORMER_INPUT, TIMESFORMER_OUTPUT, buildTimesformerOnnx, createTimesformerSession } from '../../lib/bench/timesformer-onnx';
import type { HfTimesformerConfig } from '../../lib/bench/timesformer-weights';
import {
  TIMESFORMER_BASE_CONFIG,
  resolveTimesformerConfig,
  syntheticTimesformerWeights,
  timesformerParameterCount,
  timesformerParameters,
} from '../../lib/bench/timesformer-weights';
import { readSafetensors } from '../../lib/io/safetensors';
import { parseTimesformerConfig } from '../../lib/models/timesformer/config';
import { TimesformerForVideoClassification } from '../../lib/models/timesformer/model';
import { Weights, mapWeights } from '../../lib/nn/weights';
import { Tensor } from '../../lib/tensor';
import { expectLogitsClose } from '../tolerance';
import '../support/ort-in-jest';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const NAMES = ['timesformer-divided', 'timesformer-joint', 'timesformer-space'] as const;

interface Fixture {
  config: HfTimesformerConfig;
  weights: Map<string, Tensor>;
  io: (key: string) => Tensor;
}

function fixture(name: string): Fixture {
  const dir = path.join(FIXTURES, name);
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as HfTimesformerConfig;
  const file = readSafetensors(path.join(dir, 'model.safetensors'));
  const weights = new Map(file.names().map((n) => [n, file.tensor(n)]));
  const io = readSafetensors(path.join(dir, 'io.safetensors'));
  return { config, weights, io: (key) => io.tensor(key) };
}

/** The first `count` clips of [B, ...] pixels. */
function firstClips(pixels: Tensor, count: number): Tensor {
  const per = pixels.size / pixels.shape[0];
  return new Tensor(pixels.data.slice(0, count * per), [count, ...pixels.shape.slice(1)]);
}

async function ortLogits(model: Uint8Array, pixels: Tensor): Promise<{ logits: Float32Array; dims: number[] }> {
  const session = await createTimesformerSession(model);
  try {
    return await session.run(Float32Array.from(pixels.data), pixels.shape);
  } finally {
    await session.release();
  }
}

const TINY: HfTimesformerConfig = {
  hidden_size: 48,
  num_hidden_layers: 2,
  num_attention_heads: 3,
  intermediate_size: 96,
  patch_size: 4,
  image_size: 12,
  num_channels: 3,
  num_frames: 3,
  num_labels: 7,
};

describe('syntheticTimesformerWeights', () => {
  test.each(NAMES)('has exactly the names and shapes of the Hugging Face fixture %s', (name) => {
    const { config, weights } = fixture(name);
    const synthetic = syntheticTimesformerWeights(config, 1);
    const shapes = (m: Map<string, Tensor>): [string, number[]][] => [...m].map(([n, t]): [string, number[]] => [n, [...t.shape]]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    expect(shapes(synthetic)).toEqual(shapes(weights));
  });

  test('TimeSformer-base (k400): the state-dict order, the sizes, and the parameter count', () => {
    const params = timesformerParameters(TIMESFORMER_BASE_CONFIG);
    expect(params.slice(0, 5).map((p) => [p.name, p.shape])).toEqual([
      ['timesformer.embeddings.cls_token', [1, 1, 768]],
      ['timesformer.embeddings.position_embeddings', [1, 197, 768]],
      ['timesformer.embeddings.time_embeddings', [1, 8, 768]],
      ['timesformer.embeddings.patch_embeddings.projection.weight', [768, 3, 16, 16]],
      ['timesformer.embeddings.patch_embeddings.projection.bias', [768]],
    ]);
    expect(params.slice(5, 25).map((p) => p.name.replace('timesformer.encoder.layer.0.', ''))).toEqual([
      'attention.attention.qkv.weight', 'attention.attention.qkv.bias', 'attention.output.dense.weight', 'attention.output.dense.bias',
      'intermediate.dense.weight', 'intermediate.dense.bias', 'output.dense.weight', 'output.dense.bias',
      'layernorm_before.weight', 'layernorm_before.bias', 'layernorm_after.weight', 'layernorm_after.bias',
      'temporal_layernorm.weight', 'temporal_layernorm.bias', 'temporal_attention.attention.qkv.weight', 'temporal_attention.attention.qkv.bias',
      'temporal_attention.output.dense.weight', 'temporal_attention.output.dense.bias', 'temporal_dense.weight', 'temporal_dense.bias',
    ]);
    expect(params.slice(-4).map((p) => [p.name, p.shape])).toEqual([
      ['timesformer.layernorm.weight', [768]],
      ['timesformer.layernorm.bias', [768]],
      ['classifier.weight', [400, 768]],
      ['classifier.bias', [400]],
    ]);
    // Per layer: ViT's 7,087,872 plus the temporal block (qkv, output, temporal_dense, LayerNorm).
    const h = 768;
    const vitLayer = 4 * h * h + 2 * h * 3072 + 3072 + 9 * h;
    const temporal = 5 * h * h + 5 * h + 2 * h;
    const embeddings = 768 * 3 * 256 + h + h + 197 * h + 8 * h;
    expect(timesformerParameterCount(TIMESFORMER_BASE_CONFIG)).toBe(12 * (vitLayer + temporal) + embeddings + 2 * h + 400 * h + 400);
    expect(timesformerParameterCount(TIMESFORMER_BASE_CONFIG)).toBe(121_566_352);
    expect(resolveTimesformerConfig(TIMESFORMER_BASE_CONFIG)).toMatchObject({ headDim: 64, tokens: 197, grid: [14, 14], frames: 8, eps: 1e-6, labels: 400, attentionType: 'divided_space_time' });
  });

  test('is deterministic per seed; joint and space_only have no temporal parameters', () => {
    const a = syntheticTimesformerWeights(TINY, 5);
    const b = syntheticTimesformerWeights(TINY, 5);
    for (const [name, t] of a) expect([name, Buffer.from(t.data.buffer).equals(Buffer.from(b.get(name)!.data.buffer))]).toEqual([name, true]);
    const joint = timesformerParameters({ ...TINY, attention_type: 'joint_space_time' }).map((p) => p.name);
    expect(joint.filter((n) => n.includes('temporal'))).toEqual([]);
    expect(joint).toContain('timesformer.embeddings.time_embeddings');
    expect(timesformerParameters({ ...TINY, attention_type: 'space_only' }).map((p) => p.name)).not.toContain('timesformer.embeddings.time_embeddings');
  });

  test('rejects configs it cannot build, naming the key', () => {
    expect(() => syntheticTimesformerWeights({ ...TINY, attention_type: 'axial' }, 1)).toThrow(/TimeSformer config: attention_type must be one of divided_space_time, joint_space_time, space_only/);
    expect(() => syntheticTimesformerWeights({ ...TINY, num_frames: 0 }, 1)).toThrow(/TimeSformer config: num_frames must be a positive integer/);
    expect(() => syntheticTimesformerWeights({ ...TINY, num_attention_heads: 5 }, 1)).toThrow(/TimeSformer config: hidden_size \(48\) must be a multiple of num_attention_heads \(5\)/);
  });
});

describe('buildTimesformerOnnx in onnxruntime-node vs the Hugging Face fixtures (fp64)', () => {
  test.each(NAMES)('%s: batch 2 and batch 1 in one session (dynamic batch)', async (name) => {
    const { config, weights, io } = fixture(name);
    const pixels = io('pixel_values');
    const expected = io('logits');
    const session = await createTimesformerSession(buildTimesformerOnnx(config, weights));
    try {
      const both = await session.run(Float32Array.from(pixels.data), pixels.shape);
      expect(both.dims).toEqual(expected.shape);
      expectLogitsClose(both.logits, expected.data, expected.shape[1], `${name}, batch 2`);
      const one = firstClips(pixels, 1);
      const single = await session.run(Float32Array.from(one.data), one.shape);
      const rows = expected.shape[0] / pixels.shape[0]; // space_only: one row per frame
      expectLogitsClose(single.logits, expected.data.subarray(0, rows * expected.shape[1]), expected.shape[1], `${name}, batch 1`);
    } finally {
      await session.release();
    }
  });

  test('divided, 6 frames of a 4-frame model: time embeddings resampled, layers grouped by the real frames', async () => {
    const { config, weights, io } = fixture('timesformer-divided');
    const { logits } = await ortLogits(buildTimesformerOnnx(config, weights, { frames: 6 }), io('pixel_values_6frames'));
    expectLogitsClose(logits, io('logits_6frames_framewise').data, 5, 'divided, 6 frames');
  });

  test.each(['timesformer-joint', 'timesformer-space'])('%s on 20x24 frames (position embeddings resampled)', async (name) => {
    const { config, weights, io } = fixture(name);
    const { logits } = await ortLogits(buildTimesformerOnnx(config, weights, { inputHeight: 20, inputWidth: 24 }), io('pixel_values_20x24'));
    const expected = io('logits_20x24');
    expectLogitsClose(logits, expected.data, expected.shape[1], `${name}, 20x24`);
  });

  test('opset 18 (ReduceMean takes its axes as an input)', async () => {
    const { config, weights, io } = fixture('timesformer-divided');
    const { logits } = await ortLogits(buildTimesformerOnnx(config, weights, { opset: 18 }), io('pixel_values'));
    expectLogitsClose(logits, io('logits').data, 5, 'divided, opset 18');
  });

  test('names its input and output as Hugging Face exports do, and checks its input rank', async () => {
    expect([TIMESFORMER_INPUT, TIMESFORMER_OUTPUT]).toEqual(['pixel_values', 'logits']);
    const { config, weights } = fixture('timesformer-joint');
    const session = await createTimesformerSession(buildTimesformerOnnx(config, weights));
    try {
      await expect(session.run(new Float32Array(3 * 16 * 16), [1, 3, 16, 16])).rejects.toThrow(/TimeSformer session run: dims must be 5 positive integers \[B, T, C, H, W\]/);
    } finally {
      await session.release();
    }
  });

  test('rejects missing or misshapen weights and bad options, naming them', () => {
    const { config, weights } = fixture('timesformer-divided');
    const missing = new Map(weights);
    missing.delete('timesformer.encoder.layer.1.temporal_dense.bias');
    expect(() => buildTimesformerOnnx(config, missing)).toThrow(/buildTimesformerOnnx: missing weight timesformer\.encoder\.layer\.1\.temporal_dense\.bias \[48\]/);
    const wrong = new Map(weights).set('timesformer.embeddings.time_embeddings', Tensor.zeros([1, 3, 48]));
    expect(() => buildTimesformerOnnx(config, wrong)).toThrow(/time_embeddings must have shape \[1, 4, 48\], received \[1, 3, 48\]/);
    expect(() => buildTimesformerOnnx(config, weights, { opset: 16 })).toThrow(/opset must be an integer >= 17/);
    expect(() => buildTimesformerOnnx(config, weights, { frames: 0 })).toThrow(/options\.frames must be a positive integer/);
    expect(() => buildTimesformerOnnx(config, weights, { inputWidth: 3 })).toThrow(/options\.inputWidth must be an integer of at least the patch size 4/);
  });
});

describe('the benchmark pair: tessera and onnxruntime on the same synthetic weights', () => {
  test.each(['divided_space_time', 'joint_space_time'])('%s, tiny config, std 0.2', async (attentionType) => {
    const config = { ...TINY, attention_type: attentionType };
    const weights = syntheticTimesformerWeights(config, 3, { std: 0.2 });
    const model = TimesformerForVideoClassification.load(parseTimesformerConfig(config, '<config>'), new Weights(mapWeights(weights)));
    const dims = [2, 3, 3, 12, 12];
    const pixels = new Tensor(uniformFloats(dims.reduce((a, b) => a * b, 1), 17), dims);
    const ours = await model.forward(pixels);
    const { logits } = await ortLogits(buildTimesformerOnnx(config, weights), pixels);
    expectLogitsClose(logits, ours.data, 7, `tessera vs onnxruntime, ${attentionType}`);
  });
});
