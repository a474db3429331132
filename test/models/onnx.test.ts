/**
 * Models loaded from ONNX exports (lib/io/onnx/map-model.ts): every fixture's model.onnx loads
 * through loadModel, its outputs match the fp64 references in io.safetensors with the model
 * tolerance, its mapped weights equal the checkpoint's (Hugging Face names for the Hugging Face
 * exports, the documented correspondence for torchvision and timm), its inferred config.json
 * equals the fixture's, and `tessera convert` writes a folder that loads to the same model.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { main } from '../../lib/cli/main';
import { loadOnnxWeights } from '../../lib/io/onnx/map-model';
import { readJsonFile } from '../../lib/io/json-file';
import { readSafetensors } from '../../lib/io/safetensors';
import { loadModel } from '../../lib/models/load';
import { TimesformerForVideoClassification } from '../../lib/models/timesformer/model';
import { ViTForImageClassification, ViTModel } from '../../lib/models/vit/model';
import type { Model } from '../../lib/models/load';
import type { Tensor } from '../../lib/tensor';
import { TOLERANCE, expectClose, expectLogitsClose } from '../tolerance';
import '../support/ort-in-jest';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const HF_FIXTURES = ['vit-odd', 'vit-interp', 'vit-base-tanh', 'timesformer-divided', 'timesformer-joint', 'timesformer-space'];
const CLASSIFIERS = ['vit-odd', 'vit-interp', 'onnx-torchvision-vit', 'onnx-timm-vit', 'timesformer-divided', 'timesformer-joint', 'timesformer-space'];
const ALL = [...CLASSIFIERS, 'vit-base-tanh'];

function onnxFile(name: string): string {
  return path.join(FIXTURES, name, 'model.onnx');
}

function io(name: string): (key: string) => Tensor {
  const file = readSafetensors(path.join(FIXTURES, name, 'io.safetensors'));
  return (key) => file.tensor(key);
}

function json(file: string): Record<string, unknown> {
  return readJsonFile(file) as Record<string, unknown>;
}

/** The logits of a classifier (image or video). */
async function logitsOf(model: Model, pixels: Tensor): Promise<Tensor> {
  if (!(model instanceof ViTForImageClassification || model instanceof TimesformerForVideoClassification)) throw new Error('expected a classifier');
  return model.forward(pixels);
}

describe.each(CLASSIFIERS)('loadModel(%s/model.onnx)', (name) => {
  test('logits match the fp64 reference', async () => {
    const model = await loadModel(onnxFile(name));
    const expected = io(name)('logits');
    const logits = await logitsOf(model, io(name)('pixel_values'));
    expect(logits.shape).toEqual(expected.shape);
    expectLogitsClose(logits.data, expected.data, expected.shape[1], `${name} from ONNX vs fp64`);
  });
});

test('loadModel(vit-base-tanh/model.onnx): a ViTModel whose last_hidden_state and pooler_output match the fp64 reference', async () => {
  const model = await loadModel(onnxFile('vit-base-tanh'));
  if (!(model instanceof ViTModel)) throw new Error('expected a ViTModel');
  const ref = io('vit-base-tanh');
  const out = await model.forward(ref('pixel_values'));
  expectClose(out.lastHiddenState.data, ref('last_hidden_state').data, TOLERANCE.model, 'last_hidden_state');
  expectClose(out.poolerOutput?.data ?? [], ref('pooler_output').data, TOLERANCE.model, 'pooler_output');
});

describe.each(HF_FIXTURES)('%s: mapped Hugging Face checkpoint', (name) => {
  const mapping = loadOnnxWeights(onnxFile(name));

  test('the weights are model.safetensors exactly, under the same names', () => {
    const checkpoint = readSafetensors(path.join(FIXTURES, name, 'model.safetensors'));
    expect([...mapping.weights.keys()].sort()).toEqual(checkpoint.names());
    for (const [key, tensor] of mapping.weights) {
      expect({ key, shape: tensor.shape }).toEqual({ key, shape: checkpoint.tensor(key).shape });
      expect(Array.from(tensor.data)).toEqual(Array.from(checkpoint.tensor(key).data));
    }
  });

  test('the inferred config.json equals the fixture (labels named LABEL_i)', () => {
    const fixture = json(path.join(FIXTURES, name, 'config.json'));
    const { id2label, label2id, ...rest } = fixture;
    expect({ ...mapping.config, id2label: undefined, label2id: undefined }).toEqual({ ...rest, id2label: undefined, label2id: undefined });
    expect(Object.keys((mapping.config.id2label as object | undefined) ?? {})).toEqual(Object.keys((id2label as object | undefined) ?? {}));
    expect(Object.keys((mapping.config.label2id as object | undefined) ?? {}).length).toEqual(Object.keys((label2id as object | undefined) ?? {}).length);
  });
});

test.each(['vit-odd', 'vit-interp', 'timesformer-divided', 'timesformer-space'])('%s: the default preprocessor_config.json is the fixture (mean = std = 0.5, the input size)', (name) => {
  expect(loadOnnxWeights(onnxFile(name)).preprocessor).toEqual(json(path.join(FIXTURES, name, 'preprocessor_config.json')));
});

/**
 * How torchvision's and timm's parameter names correspond to Hugging Face ViT's (the fixture
 * README's tables): [pattern, Hugging Face name]; a fused q | k | v parameter gives three names,
 * one per third of its rows.
 */
const CORRESPONDENCE: Readonly<Record<string, readonly (readonly [RegExp, string | readonly string[]])[]>> = {
  'onnx-torchvision-vit': [
    [/^class_token$/, 'vit.embeddings.cls_token'],
    [/^encoder\.pos_embedding$/, 'vit.embeddings.position_embeddings'],
    [/^conv_proj\.(weight|bias)$/, 'vit.embeddings.patch_embeddings.projection.$1'],
    [/^encoder\.layers\.encoder_layer_(\d+)\.ln_1\.(weight|bias)$/, 'vit.encoder.layer.$1.layernorm_before.$2'],
    [/^encoder\.layers\.encoder_layer_(\d+)\.ln_2\.(weight|bias)$/, 'vit.encoder.layer.$1.layernorm_after.$2'],
    [/^encoder\.layers\.encoder_layer_(\d+)\.self_attention\.in_proj_(weight|bias)$/, ['query', 'key', 'value'].map((p) => `vit.encoder.layer.$1.attention.attention.${p}.$2`)],
    [/^encoder\.layers\.encoder_layer_(\d+)\.self_attention\.out_proj\.(weight|bias)$/, 'vit.encoder.layer.$1.attention.output.dense.$2'],
    [/^encoder\.layers\.encoder_layer_(\d+)\.mlp\.0\.(weight|bias)$/, 'vit.encoder.layer.$1.intermediate.dense.$2'],
    [/^encoder\.layers\.encoder_layer_(\d+)\.mlp\.3\.(weight|bias)$/, 'vit.encoder.layer.$1.output.dense.$2'],
    [/^encoder\.ln\.(weight|bias)$/, 'vit.layernorm.$1'],
    [/^heads\.head\.(weight|bias)$/, 'classifier.$1'],
  ],
  'onnx-timm-vit': [
    [/^cls_token$/, 'vit.embeddings.cls_token'],
    [/^pos_embed$/, 'vit.embeddings.position_embeddings'],
    [/^patch_embed\.proj\.(weight|bias)$/, 'vit.embeddings.patch_embeddings.projection.$1'],
    [/^blocks\.(\d+)\.norm1\.(weight|bias)$/, 'vit.encoder.layer.$1.layernorm_before.$2'],
    [/^blocks\.(\d+)\.norm2\.(weight|bias)$/, 'vit.encoder.layer.$1.layernorm_after.$2'],
    [/^blocks\.(\d+)\.attn\.qkv\.(weight|bias)$/, ['query', 'key', 'value'].map((p) => `vit.encoder.layer.$1.attention.attention.${p}.$2`)],
    [/^blocks\.(\d+)\.attn\.proj\.(weight|bias)$/, 'vit.encoder.layer.$1.attention.output.dense.$2'],
    [/^blocks\.(\d+)\.mlp\.fc1\.(weight|bias)$/, 'vit.encoder.layer.$1.intermediate.dense.$2'],
    [/^blocks\.(\d+)\.mlp\.fc2\.(weight|bias)$/, 'vit.encoder.layer.$1.output.dense.$2'],
    [/^norm\.(weight|bias)$/, 'vit.layernorm.$1'],
    [/^head\.(weight|bias)$/, 'classifier.$1'],
  ],
};

/** A state_dict renamed to Hugging Face names (fused q | k | v split into thirds of its rows). */
function renamed(name: string): Map<string, Float32Array> {
  const stateDict = readSafetensors(path.join(FIXTURES, name, 'state_dict.safetensors'));
  const out = new Map<string, Float32Array>();
  for (const key of stateDict.names()) {
    const rule = CORRESPONDENCE[name].find(([pattern]) => pattern.test(key));
    if (!rule) throw new Error(`${name}: no Hugging Face name for '${key}'`);
    const [pattern, target] = rule;
    const data = stateDict.tensor(key).data;
    if (typeof target === 'string') {
      out.set(key.replace(pattern, target), data);
    } else {
      const third = data.length / 3;
      target.forEach((t, i) => out.set(key.replace(pattern, t), data.slice(i * third, (i + 1) * third)));
    }
  }
  return out;
}

/** The fixture README's architecture of each non-Hugging Face export. */
const EXPECTED_CONFIG: Readonly<Record<string, Record<string, unknown>>> = {
  'onnx-torchvision-vit': { hidden_size: 80, num_attention_heads: 5, num_hidden_layers: 2, intermediate_size: 144, patch_size: 4, image_size: 32, num_labels: 13 },
  'onnx-timm-vit': { hidden_size: 64, num_attention_heads: 4, num_hidden_layers: 2, intermediate_size: 128, patch_size: 8, image_size: 32, num_labels: 10 },
};

describe.each(['onnx-torchvision-vit', 'onnx-timm-vit'])('%s: mapped to Hugging Face ViT', (name) => {
  const mapping = loadOnnxWeights(onnxFile(name));

  test('the weights are the state_dict under the documented correspondence', () => {
    const expected = renamed(name);
    expect([...mapping.weights.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, tensor] of mapping.weights) expect({ key, data: Array.from(tensor.data) }).toEqual({ key, data: Array.from(expected.get(key) ?? []) });
  });

  test('the inferred config.json has the architecture (gelu, eps 1e-6, qkv bias)', () => {
    const { num_labels: labels, ...sizes } = EXPECTED_CONFIG[name];
    expect(mapping.config).toMatchObject({ ...sizes, model_type: 'vit', architectures: ['ViTForImageClassification'], hidden_act: 'gelu', layer_norm_eps: 1e-6, qkv_bias: true, num_channels: 3 });
    expect(Object.keys(mapping.config.id2label as object)).toHaveLength(labels as number);
  });
});

describe('tessera convert', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-convert-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test.each(ALL)('%s: writes a folder that loads to the same model, and the check against onnxruntime passes', async (name) => {
    const dir = path.join(tmp, name);
    const lines: string[] = [];
    const code = await main(['convert', onnxFile(name), dir], { out: (t) => lines.push(t), err: (t) => lines.push(t) });
    expect({ code, lines }).toEqual({ code: 0, lines: expect.arrayContaining([expect.stringMatching(/max \|diff\| .* ok$/)]) });
    expect(lines.some((l) => l.includes('FAILED'))).toBe(false);
    const mapping = loadOnnxWeights(onnxFile(name));
    expect(json(path.join(dir, 'config.json'))).toEqual(mapping.config);
    expect(json(path.join(dir, 'preprocessor_config.json'))).toEqual(mapping.preprocessor);
    const pixels = io(name)('pixel_values');
    const [fromFolder, fromOnnx] = await Promise.all([loadModel(dir), loadModel(onnxFile(name))]);
    const outputs = async (m: Model): Promise<number[]> => {
      if (m instanceof ViTModel) return Array.from((await m.forward(pixels)).lastHiddenState.data);
      return Array.from((await logitsOf(m, pixels)).data);
    };
    expect(await outputs(fromFolder)).toEqual(await outputs(fromOnnx));
  });

  test('refuses to overwrite a converted folder without --force', async () => {
    const dir = path.join(tmp, 'again');
    const quiet = { out: (): void => undefined, err: (): void => undefined };
    expect(await main(['convert', onnxFile('vit-odd'), dir, '--no-verify'], quiet)).toBe(0);
    const errors: string[] = [];
    expect(await main(['convert', onnxFile('vit-odd'), dir, '--no-verify'], { out: () => undefined, err: (t) => errors.push(t) })).toBe(1);
    expect(errors.join('\n')).toMatch(/already has config\.json, model\.safetensors, preprocessor_config\.json \(use --force to overwrite\)/);
    expect(await main(['convert', onnxFile('vit-odd'), dir, '--no-verify', '--force'], quiet)).toBe(0);
  });

  test('a usage mistake exits with 2', async () => {
    const errors: string[] = [];
    expect(await main(['convert', onnxFile('vit-odd')], { out: () => undefined, err: (t) => errors.push(t) })).toBe(2);
    expect(errors.join('\n')).toMatch(/expected an ONNX file and an output folder/);
  });
});
