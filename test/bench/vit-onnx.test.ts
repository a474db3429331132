/**
 * The ViT baseline: Hugging Face-named synthetic weights, the ONNX graph built from them, and
 * onnxruntime's logits on it against the fp64 reference (test/reference/vit.ts).
 */
import { uniformFloats } from '../../lib/bench/synthetic';
import { VIT_INPUT, VIT_OUTPUT, buildViTOnnx } from '../../lib/bench/vit-onnx';
import type { ViTOrtSession } from '../../lib/bench/vit-ort';
import { createViTSession } from '../../lib/bench/vit-ort';
import type { HfViTConfig } from '../../lib/bench/vit-weights';
import { VIT_B16_CONFIG, resolveViTConfig, syntheticViTWeights, vitParameterCount, vitParameters } from '../../lib/bench/vit-weights';
import { Tensor } from '../../lib/tensor';
import { erf, erfc, geluExact, referenceViT } from '../reference/vit';
import { expectLogitsClose } from '../tolerance';
import '../support/ort-in-jest';

const TINY_GELU: HfViTConfig = {
  hidden_size: 80,
  num_hidden_layers: 2,
  num_attention_heads: 5,
  intermediate_size: 144,
  patch_size: 4,
  image_size: 32,
  num_channels: 3,
  hidden_act: 'gelu',
  layer_norm_eps: 1e-12,
  qkv_bias: true,
  num_labels: 13,
};

const TINY_TANH: HfViTConfig = {
  hidden_size: 48,
  num_hidden_layers: 2,
  num_attention_heads: 3,
  intermediate_size: 96,
  patch_size: 4,
  image_size: 16,
  num_channels: 3,
  hidden_act: 'gelu_pytorch_tanh',
  layer_norm_eps: 1e-6,
  qkv_bias: false,
  id2label: Object.fromEntries(Array.from({ length: 7 }, (_, i) => [String(i), `class_${i}`])),
};

/** The state dict of ViTForImageClassification, written out by hand from the transformers source. */
function expectedParameters(h: number, layers: number, inter: number, patch: number, image: number, channels: number, labels: number, qkvBias: boolean): [string, number[]][] {
  const tokens = (image / patch) ** 2 + 1;
  const list: [string, number[]][] = [
    ['vit.embeddings.cls_token', [1, 1, h]],
    ['vit.embeddings.position_embeddings', [1, tokens, h]],
    ['vit.embeddings.patch_embeddings.projection.weight', [h, channels, patch, patch]],
    ['vit.embeddings.patch_embeddings.projection.bias', [h]],
  ];
  for (let n = 0; n < layers; n++) {
    const p = `vit.encoder.layer.${n}`;
    for (const proj of ['query', 'key', 'value']) {
      list.push([`${p}.attention.attention.${proj}.weight`, [h, h]]);
      if (qkvBias) list.push([`${p}.attention.attention.${proj}.bias`, [h]]);
    }
    list.push(
      [`${p}.attention.output.dense.weight`, [h, h]],
      [`${p}.attention.output.dense.bias`, [h]],
      [`${p}.intermediate.dense.weight`, [inter, h]],
      [`${p}.intermediate.dense.bias`, [inter]],
      [`${p}.output.dense.weight`, [h, inter]],
      [`${p}.output.dense.bias`, [h]],
      [`${p}.layernorm_before.weight`, [h]],
      [`${p}.layernorm_before.bias`, [h]],
      [`${p}.layernorm_after.weight`, [h]],
      [`${p}.layernorm_after.bias`, [h]],
    );
  }
  list.push(['vit.layernorm.weight', [h]], ['vit.layernorm.bias', [h]], ['classifier.weight', [labels, h]], ['classifier.bias', [labels]]);
  return list;
}

function namesAndShapes(weights: Map<string, Tensor>): [string, number[]][] {
  return [...weights].map(([name, t]) => [name, [...t.shape]]);
}

describe('syntheticViTWeights', () => {
  test('has exactly Hugging Face ViTForImageClassification names and shapes, in state-dict order', () => {
    expect(namesAndShapes(syntheticViTWeights(TINY_GELU, 1))).toEqual(expectedParameters(80, 2, 144, 4, 32, 3, 13, true));
    expect(namesAndShapes(syntheticViTWeights(TINY_TANH, 1))).toEqual(expectedParameters(48, 2, 96, 4, 16, 3, 7, false));
    for (const [name, t] of syntheticViTWeights(TINY_GELU, 1)) expect([name, t.data.length]).toEqual([name, t.size]);
  });

  test('ViT-B/16: the names and shapes of google/vit-base-patch16-224, 86,567,656 parameters', () => {
    const params = vitParameters(VIT_B16_CONFIG);
    expect(params.map((p) => [p.name, p.shape])).toEqual(expectedParameters(768, 12, 3072, 16, 224, 3, 1000, true));
    expect(vitParameterCount(VIT_B16_CONFIG)).toBe(86_567_656);
    expect(resolveViTConfig(VIT_B16_CONFIG)).toMatchObject({ headDim: 64, tokens: 197, eps: 1e-12, act: 'gelu', labels: 1000 });
  });

  test('is deterministic per seed, with realistic scales', () => {
    const a = syntheticViTWeights(TINY_GELU, 7);
    const b = syntheticViTWeights(TINY_GELU, 7);
    const c = syntheticViTWeights(TINY_GELU, 8);
    const bytes = (t: Tensor): Buffer => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    for (const [name, t] of a) expect([name, bytes(b.get(name)!).equals(bytes(t))]).toEqual([name, true]);
    expect(c.get('classifier.weight')!.data).not.toEqual(a.get('classifier.weight')!.data);

    const std = (x: Float32Array): number => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
    const fc1 = a.get('vit.encoder.layer.0.intermediate.dense.weight')!.data;
    expect(std(fc1)).toBeGreaterThan(0.015);
    expect(std(fc1)).toBeLessThan(0.025);
    expect(Math.max(...fc1.map(Math.abs))).toBeLessThanOrEqual(0.04 + 1e-7); // truncated at 2 std
    const lnWeight = a.get('vit.encoder.layer.1.layernorm_after.weight')!.data;
    expect(Math.min(...lnWeight)).toBeGreaterThanOrEqual(0.9);
    expect(Math.max(...lnWeight)).toBeLessThanOrEqual(1.1);
    expect(Math.max(...a.get('vit.encoder.layer.0.output.dense.bias')!.data.map(Math.abs))).toBeLessThanOrEqual(0.04 + 1e-7);
    const wide = syntheticViTWeights(TINY_GELU, 7, { std: 0.2 }).get('vit.encoder.layer.0.intermediate.dense.weight')!.data;
    expect(std(wide)).toBeGreaterThan(0.15);
  });

  test('rejects configs it cannot build, naming the key', () => {
    expect(() => syntheticViTWeights({ ...TINY_GELU, num_attention_heads: 3 }, 1)).toThrow(/hidden_size \(80\) must be a multiple of num_attention_heads \(3\)/);
    expect(() => syntheticViTWeights({ ...TINY_GELU, hidden_act: 'relu' }, 1)).toThrow(/hidden_act must be one of/);
    expect(() => syntheticViTWeights({ ...TINY_GELU, image_size: 30 }, 1)).toThrow(/image_size/);
  });
});

describe('fp64 reference helpers', () => {
  test('erf and erfc match tabulated values', () => {
    const table: [number, number][] = [
      [0, 0],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [2.9, 0.9999589021219005],
      [3, 0.9999779095030014],
      [4, 0.9999999845827421],
    ];
    for (const [x, value] of table) {
      expect(Math.abs(erf(x) - value)).toBeLessThan(1e-15);
      expect(Math.abs(erf(-x) + value)).toBeLessThan(1e-15);
    }
    expect(Math.abs(erfc(3) / 2.209049699858544e-5 - 1)).toBeLessThan(1e-13);
    expect(Math.abs(erfc(5) / 1.5374597944280349e-12 - 1)).toBeLessThan(1e-13);
    expect(geluExact(1)).toBeCloseTo(0.8413447460685429, 15);
  });
});

interface Case {
  label: string;
  config: HfViTConfig;
  /** Std of the synthetic matrices: 0.02 is realistic; 0.2 makes attention far from uniform. */
  std: number;
}

const CASES: Case[] = [
  { label: 'tiny gelu (erf), realistic scale', config: TINY_GELU, std: 0.02 },
  { label: 'tiny gelu (erf), sharp attention', config: TINY_GELU, std: 0.2 },
  { label: 'tiny gelu_pytorch_tanh, no qkv bias, eps 1e-6', config: TINY_TANH, std: 0.2 },
  { label: 'tiny gelu_new', config: { ...TINY_TANH, hidden_act: 'gelu_new', qkv_bias: true }, std: 0.1 },
];

describe('buildViTOnnx in onnxruntime-node vs the fp64 reference', () => {
  test.each(CASES)('$label: batch 1 and 2 in one session (dynamic batch)', async ({ label, config, std }) => {
    const c = resolveViTConfig(config);
    const weights = syntheticViTWeights(config, 11, { std });
    const session: ViTOrtSession = await createViTSession(buildViTOnnx(config, weights));
    try {
      for (const batch of [1, 2]) {
        const dims = [batch, c.channels, c.image[0], c.image[1]];
        const pixels = uniformFloats(batch * c.channels * c.image[0] * c.image[1], 100 + batch);
        const result = await session.run(pixels, dims);
        expect(result.dims).toEqual([batch, c.labels]);
        const ref = referenceViT(config, weights, pixels, batch);
        expectLogitsClose(result.logits, ref, c.labels, { case: label, batch, std });
      }
    } finally {
      await session.release();
    }
  });

  test('a non-contiguous (strided) weight is read by its strides', async () => {
    const weights = syntheticViTWeights(TINY_TANH, 3, { std: 0.2 });
    const name = 'vit.encoder.layer.1.intermediate.dense.weight'; // [96, 48]
    const original = weights.get(name)!;
    const transposed = new Float32Array(original.data.length);
    for (let r = 0; r < 96; r++) for (let k = 0; k < 48; k++) transposed[k * 96 + r] = original.data[r * 48 + k];
    const view = new Map(weights).set(name, new Tensor(transposed, [96, 48], [1, 96]));
    const pixels = uniformFloats(3 * 16 * 16, 5);
    const session = await createViTSession(buildViTOnnx(TINY_TANH, view));
    try {
      const { logits } = await session.run(pixels, [1, 3, 16, 16]);
      expectLogitsClose(logits, referenceViT(TINY_TANH, weights, pixels, 1), 7, 'strided weight');
    } finally {
      await session.release();
    }
  });

  test('names its input and output as Hugging Face exports do', () => {
    expect([VIT_INPUT, VIT_OUTPUT]).toEqual(['pixel_values', 'logits']);
  });

  test('rejects missing or misshapen weights, naming them', () => {
    const weights = syntheticViTWeights(TINY_TANH, 1);
    const missing = new Map(weights);
    missing.delete('vit.encoder.layer.1.layernorm_after.bias');
    expect(() => buildViTOnnx(TINY_TANH, missing)).toThrow(/missing weight vit\.encoder\.layer\.1\.layernorm_after\.bias \[48\]/);
    const wrong = new Map(weights).set('classifier.weight', Tensor.zeros([48, 7]));
    expect(() => buildViTOnnx(TINY_TANH, wrong)).toThrow(/classifier\.weight must have shape \[7, 48\], received \[48, 7\]/);
    expect(() => buildViTOnnx(TINY_TANH, weights, { opset: 16 })).toThrow(/opset must be an integer >= 17/);
    expect(() => buildViTOnnx(TINY_TANH, weights, { inputHeight: 32 })).toThrow(/gives 32 patches, but the position embeddings have 16/);
    expect(() => buildViTOnnx(TINY_TANH, weights, { inputHeight: 18 })).toThrow(/inputHeight must be a positive multiple of the patch size 4/);
  });

  test('a non-square input with the same patch count, and opset 18', async () => {
    const weights = syntheticViTWeights(TINY_TANH, 2, { std: 0.2 });
    // 8 x 32 pixels: a 2 x 8 patch grid, the 16 positions of the 16 x 16 config, row-major.
    const model = buildViTOnnx(TINY_TANH, weights, { inputHeight: 8, inputWidth: 32, opset: 18 });
    const session = await createViTSession(model);
    try {
      const pixels = uniformFloats(2 * 3 * 8 * 32, 9);
      const { logits } = await session.run(pixels, [2, 3, 8, 32]);
      const ref = referenceViT({ ...TINY_TANH, image_size: [8, 32] }, weights, pixels, 2);
      expectLogitsClose(logits, ref, 7, 'non-square');
    } finally {
      await session.release();
    }
  });
});
