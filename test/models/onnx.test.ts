/**
 * Models loaded from ONNX exports (lib/io/onnx/map-model.ts): every fixture's model.onnx loads
 * through loadModel, its outputs match the fp64 references in io.safetensors with the model
 * tolerance, its mapped weights equal the checkpoint's (Hugging Face names for the Hugging Face
 * exports, the documented correspondence for torchvision and timm), its inferred config.json
 * equals the fixture's, and `tessera convert` writes a folder that loads to the same model.
 * Also: exports made without constant folding (model-nofold.onnx: weights under PyTorch's names
 * behind Transpose nodes, shape arithmetic left in the graph) load the same, and a graph built by
 * buildViTOnnx at opset 18 (LayerNormalization, or expanded with ReduceMean's axes as an input)
 * maps back to the weights it was built from and runs like onnxruntime runs it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { buildViTOnnx } from '../../lib/bench/vit-onnx';
import { createViTSession } from '../../lib/bench/vit-ort';
import type { HfViTConfig } from '../../lib/bench/vit-weights';
import { syntheticViTWeights } from '../../lib/bench/vit-weights';
import { main } from '../../lib/cli/main';
import { randomNormal } from '../../lib/cli/convert-verify';
import type { Attribute, NodeSpec } from '../../lib/io/onnx-builder';
import { buildOnnxModel } from '../../lib/io/onnx-builder';
import type { OnnxAttribute, OnnxNode } from '../../lib/io/onnx';
import { parseOnnxModel } from '../../lib/io/onnx';
import { loadOnnxWeights, mapOnnxModel } from '../../lib/io/onnx/map-model';
import { readJsonFile } from '../../lib/io/json-file';
import { readSafetensors } from '../../lib/io/safetensors';
import { loadModel } from '../../lib/models/load';
import { TimesformerForVideoClassification } from '../../lib/models/timesformer/model';
import { ViTForImageClassification, ViTModel } from '../../lib/models/vit/model';
import type { Model } from '../../lib/models/load';
import { Tensor } from '../../lib/tensor';
import { TOLERANCE, expectClose, expectLogitsClose } from '../tolerance';
import '../support/ort-in-jest';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const HF_FIXTURES = ['vit-odd', 'vit-interp', 'vit-base-tanh', 'timesformer-divided', 'timesformer-joint', 'timesformer-space'];
const CLASSIFIERS = ['vit-odd', 'vit-interp', 'onnx-torchvision-vit', 'onnx-timm-vit', 'timesformer-divided', 'timesformer-joint', 'timesformer-space'];
const ALL = [...CLASSIFIERS, 'vit-base-tanh'];

function onnxFile(name: string, file = 'model.onnx'): string {
  return path.join(FIXTURES, name, file);
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

/** Exported again with do_constant_folding=False (scripts/fixtures: `nofold`). */
const NOFOLD = ['vit-odd', 'onnx-torchvision-vit'];

describe.each(NOFOLD)('%s/model-nofold.onnx (no constant folding)', (name) => {
  test('loads through loadModel and its logits match the fp64 reference', async () => {
    const model = await loadModel(onnxFile(name, 'model-nofold.onnx'));
    const expected = io(name)('logits');
    const logits = await logitsOf(model, io(name)('pixel_values'));
    expect(logits.shape).toEqual(expected.shape);
    expectLogitsClose(logits.data, expected.data, expected.shape[1], `${name} from the unfolded ONNX vs fp64`);
  });

  test('maps to the same config and, exactly, the same weights as the folded export', () => {
    const folded = loadOnnxWeights(onnxFile(name));
    const unfolded = loadOnnxWeights(onnxFile(name, 'model-nofold.onnx'));
    expect(unfolded.config).toEqual(folded.config);
    expect(unfolded.preprocessor).toEqual(folded.preprocessor);
    expect([...unfolded.weights.keys()].sort()).toEqual([...folded.weights.keys()].sort());
    for (const [key, tensor] of unfolded.weights) {
      const want = folded.weights.get(key) as Tensor;
      expect({ key, shape: tensor.shape }).toEqual({ key, shape: want.shape });
      expect(Array.from(tensor.data)).toEqual(Array.from(want.data));
    }
  });
});

describe('a graph built by buildViTOnnx at opset 18', () => {
  const CONFIG: HfViTConfig = {
    hidden_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 3,
    intermediate_size: 96,
    patch_size: 4,
    image_size: 16,
    num_channels: 3,
    hidden_act: 'gelu',
    layer_norm_eps: 1e-6,
    qkv_bias: true,
    num_labels: 7,
  };
  const weights = syntheticViTWeights(CONFIG, 18, { std: 0.2 });
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-opset18-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** The builder's attribute for a decoded one (buildViTOnnx writes ints, floats and int lists only). */
  function builderAttribute(a: OnnxAttribute): Attribute {
    if (a.kind === 'int' || a.kind === 'float' || a.kind === 'ints') return { type: a.kind, value: a.value } as Attribute;
    throw new Error(`unexpected attribute kind ${a.kind}`);
  }

  /**
   * The same model with every LayerNormalization written out as opset 18 expands it:
   * ReduceMean(x, axes) -> Sub -> Pow 2 -> ReduceMean(axes) -> Add eps -> Sqrt -> Div -> Mul gamma
   * -> Add beta, the axes an INT64 input (a Constant), as opset 18 requires.
   */
  function withExpandedLayerNorms(bytes: Uint8Array): Uint8Array {
    const m = parseOnnxModel(bytes, 'vit-opset18.onnx');
    const initializers = [...m.graph.initializers.values()].map((t) => ({ name: t.name, dims: t.dims, data: t.toFloat32().data }));
    const nodes: NodeSpec[] = [];
    const spec = (n: OnnxNode): NodeSpec => ({
      opType: n.opType, inputs: n.inputs, outputs: n.outputs, name: n.name,
      attributes: Object.fromEntries([...n.attributes].map(([k, a]) => [k, builderAttribute(a)])),
    });
    nodes.push({ opType: 'Constant', inputs: [], outputs: ['ln_axes'], attributes: { value_ints: { type: 'ints', value: [-1] } } });
    initializers.push({ name: 'ln_two', dims: [], data: Float32Array.of(2) });
    m.graph.nodes.forEach((n, i) => {
      if (n.opType !== 'LayerNormalization') {
        nodes.push(spec(n));
        return;
      }
      const eps = n.attributes.get('epsilon');
      initializers.push({ name: `ln${i}_eps`, dims: [], data: Float32Array.of(eps?.kind === 'float' ? eps.value : 1e-5) });
      const [x, gamma, beta] = n.inputs;
      const t = (s: string): string => `ln${i}_${s}`;
      nodes.push(
        { opType: 'ReduceMean', inputs: [x, 'ln_axes'], outputs: [t('mean')] },
        { opType: 'Sub', inputs: [x, t('mean')], outputs: [t('centered')] },
        { opType: 'Pow', inputs: [t('centered'), 'ln_two'], outputs: [t('squared')] },
        { opType: 'ReduceMean', inputs: [t('squared'), 'ln_axes'], outputs: [t('variance')] },
        { opType: 'Add', inputs: [t('variance'), t('eps')], outputs: [t('variance_eps')] },
        { opType: 'Sqrt', inputs: [t('variance_eps')], outputs: [t('std')] },
        { opType: 'Div', inputs: [t('centered'), t('std')], outputs: [t('normalized')] },
        { opType: 'Mul', inputs: [t('normalized'), gamma], outputs: [t('scaled')] },
        { opType: 'Add', inputs: [t('scaled'), beta], outputs: [n.outputs[0]] },
      );
    });
    const info = (v: { name: string; dims: readonly (number | string)[] }): { name: string; dims: readonly (number | string)[] } => ({ name: v.name, dims: v.dims });
    return buildOnnxModel({
      producerName: 'tessera test',
      opsets: m.opsetImports.map((o) => ({ domain: o.domain, version: o.version })),
      graph: { name: m.graph.name, nodes, initializers, inputs: m.graph.inputs.map(info), outputs: m.graph.outputs.map(info) },
    });
  }

  test.each([
    ['LayerNormalization', (bytes: Uint8Array) => bytes],
    ['LayerNorm expanded, ReduceMean axes as an input', withExpandedLayerNorms],
  ] as const)('%s: maps back to the source weights, and tessera matches onnxruntime on the graph', async (label, variant) => {
    const bytes = variant(buildViTOnnx(CONFIG, weights, { opset: 18 }));
    const parsed = parseOnnxModel(bytes, 'vit-opset18.onnx');
    expect(parsed.opsetImports).toEqual([{ domain: '', version: 18 }]);
    expect(parsed.graph.nodes.some((n) => n.opType === 'LayerNormalization')).toBe(label === 'LayerNormalization');
    const mapping = mapOnnxModel(parsed);
    expect(mapping.kind).toBe('ViTForImageClassification');
    expect(mapping.config).toMatchObject({ hidden_size: 48, num_hidden_layers: 2, num_attention_heads: 3, intermediate_size: 96, patch_size: 4, image_size: 16, hidden_act: 'gelu', qkv_bias: true });
    expect(mapping.config.layer_norm_eps).toBeCloseTo(1e-6, 12);
    expect([...mapping.weights.keys()].sort()).toEqual([...weights.keys()].sort());
    for (const [key, tensor] of weights) {
      const mapped = mapping.weights.get(key) as Tensor;
      expect({ key, shape: mapped.shape }).toEqual({ key, shape: tensor.shape });
      expect(Array.from(mapped.data)).toEqual(Array.from(tensor.data));
    }

    const file = path.join(tmp, `${label.replace(/\W+/g, '-')}.onnx`);
    fs.writeFileSync(file, bytes);
    expect([...loadOnnxWeights(file).weights.keys()].sort()).toEqual([...weights.keys()].sort());
    const model = await loadModel(file);
    const pixels = new Tensor(randomNormal(2 * 3 * 16 * 16, 5), [2, 3, 16, 16]);
    const session = await createViTSession(bytes);
    try {
      const ref = await session.run(pixels.data, pixels.shape);
      const logits = await logitsOf(model, pixels);
      expect(logits.shape).toEqual(ref.dims);
      expectLogitsClose(logits.data, ref.logits, 7, `opset 18 (${label}): tessera vs onnxruntime`);
    } finally {
      await session.release();
    }
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

  test('--progress: the bytes of weights read and of model.safetensors written, as increasing percentages ending at 100%; silent without it', async () => {
    const dir = path.join(tmp, 'progress');
    const errors: string[] = [];
    const code = await main(['convert', onnxFile('vit-odd', 'model-nofold.onnx'), dir, '--no-verify', '--progress'], { out: () => undefined, err: (t) => errors.push(t) });
    expect(code).toBe(0);
    for (const label of ['reading weights', 'writing model.safetensors']) {
      const lines = errors.filter((l) => l.startsWith(`${label}: `));
      expect(lines.every((l) => /^[a-z. ]+: \d+% \(\d+(\.\d)? (B|KiB|MiB) \/ \d+(\.\d)? (B|KiB|MiB)\)$/.test(l))).toBe(true);
      const percents = lines.map((l) => Number(/: (\d+)%/.exec(l)?.[1]));
      expect(percents.length).toBeGreaterThanOrEqual(3); // 0%, at least one step on the way, 100%
      expect(percents.slice(1).every((p, i) => p > percents[i])).toBe(true);
      expect(percents[percents.length - 1]).toBe(100);
    }
    const quiet: string[] = [];
    expect(await main(['convert', onnxFile('vit-odd'), dir, '--no-verify', '--force'], { out: () => undefined, err: (t) => quiet.push(t) })).toBe(0);
    expect(quiet).toEqual([]);
  });

  test('on a terminal: one bar per task, redrawn in place and ended by a newline at 100%; --no-progress turns it off', async () => {
    const dir = path.join(tmp, 'terminal');
    let screen = '';
    const terminalIo = { out: (): void => undefined, err: (): void => undefined, errTerminal: (t: string): void => void (screen += t) };
    expect(await main(['convert', onnxFile('vit-odd'), dir, '--no-verify'], terminalIo)).toBe(0);
    const finished = screen.split('\n').filter((l) => l !== '');
    expect(finished).toHaveLength(2);
    finished.forEach((line, i) => {
      const draws = line.split('\r').filter((d) => d !== '');
      expect(draws.length).toBeGreaterThan(2);
      expect(draws[draws.length - 1]).toMatch(new RegExp(`^${['reading weights', 'writing model\\.safetensors'][i]} \\[#{24}\\] 100%  \\S+ \\S+ / \\S+ \\S+ *$`));
    });
    screen = '';
    expect(await main(['convert', onnxFile('vit-odd'), dir, '--no-verify', '--force', '--no-progress'], terminalIo)).toBe(0);
    expect(screen).toBe('');
    // A model that fails to map: the bar stops where it was and ends its line, for the error message.
    expect(await main(['convert', path.join(FIXTURES, 'onnx', 'typed-fields.onnx'), path.join(tmp, 'failed'), '--no-verify'], terminalIo)).toBe(1);
    expect(screen).toMatch(/^\rreading weights \[-+\] +0% .*\n$/s);
    expect(screen).not.toMatch(/100%/);
  });

  test('a usage mistake exits with 2', async () => {
    const errors: string[] = [];
    expect(await main(['convert', onnxFile('vit-odd')], { out: () => undefined, err: (t) => errors.push(t) })).toBe(2);
    expect(errors.join('\n')).toMatch(/expected an ONNX file and an output folder/);
  });
});
