/**
 * loadModel on broken model folders: every problem is a FormatError naming the file and what
 * was wrong, raised before anything large is allocated; nothing crashes.
 */
import fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { FormatError } from '../../lib/errors';
import { readSafetensors, writeSafetensors } from '../../lib/io/safetensors';
import { loadModel, loadModelSync } from '../../lib/models/load';
import { Tensor } from '../../lib/tensor';

const SOURCE = path.join(__dirname, '..', 'fixtures', 'vit-odd');
const CONFIG = JSON.parse(fs.readFileSync(path.join(SOURCE, 'config.json'), 'utf8')) as Record<string, unknown>;
const source = readSafetensors(path.join(SOURCE, 'model.safetensors'));
const WEIGHTS = new Map<string, Tensor>(source.names().map((n) => [n, source.tensor(n)]));

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-load-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A model folder with the given config (object or raw text) and weights. */
function folder(name: string, config: unknown, weights: Map<string, Tensor> | null = WEIGHTS): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  if (weights) writeSafetensors(path.join(dir, 'model.safetensors'), weights);
  return dir;
}

async function expectFormatError(dir: string, file: string, message: RegExp): Promise<void> {
  const error = await loadModel(dir).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FormatError);
  expect((error as FormatError).file).toBe(path.join(dir, file));
  expect((error as Error).message).toMatch(message);
}

test('config.json that is not JSON', async () => {
  await expectFormatError(folder('not-json', '{"model_type": "vit",'), 'config.json', /JSON/);
});

test('unknown model_type', async () => {
  await expectFormatError(folder('type', { ...CONFIG, model_type: 'bert' }), 'config.json', /'model_type': expected one of vit, timesformer, axial_vit, received 'bert'/);
});

test('hidden size not a multiple of the heads', async () => {
  await expectFormatError(folder('heads', { ...CONFIG, num_attention_heads: 3 }), 'config.json', /'hidden_size' \(80\) must be a multiple of 'num_attention_heads' \(3\)/);
});

test('a field of the wrong type', async () => {
  await expectFormatError(folder('field', { ...CONFIG, num_hidden_layers: '2' }), 'config.json', /'num_hidden_layers': expected a positive integer, received/);
});

test('unsupported hidden_act', async () => {
  await expectFormatError(folder('act', { ...CONFIG, hidden_act: 'relu' }), 'config.json', /'hidden_act': expected one of gelu/);
});

test('config with more layers than the checkpoint has', async () => {
  await expectFormatError(folder('layers', { ...CONFIG, num_hidden_layers: 3 }), 'model.safetensors', /missing tensor 'vit.encoder.layer.2\./);
});

test('a weight of the wrong shape', async () => {
  const weights = new Map(WEIGHTS);
  const w = weights.get('vit.encoder.layer.0.intermediate.dense.weight') as Tensor;
  weights.set('vit.encoder.layer.0.intermediate.dense.weight', new Tensor(w.data, [w.shape[1], w.shape[0]]));
  await expectFormatError(folder('shape', CONFIG, weights), 'model.safetensors', /'vit.encoder.layer.0.intermediate.dense.weight': expected shape \[144, 80\], received \[80, 144\]/);
});

test('no weights file', async () => {
  const dir = folder('no-weights', CONFIG, null);
  const error = await loadModel(dir).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(FormatError);
  expect((error as Error).message).toMatch(/no model.safetensors or model.safetensors.index.json/);
});

test('a truncated model.safetensors', async () => {
  const dir = folder('truncated', CONFIG);
  const file = path.join(dir, 'model.safetensors');
  fs.truncateSync(file, fs.statSync(file).size - 100);
  await expectFormatError(dir, 'model.safetensors', /run past the end of the data section .* is the file truncated/);
});

test('a sharded checkpoint whose shard points outside the folder', async () => {
  const dir = folder('shards', CONFIG, null);
  const outside = path.join(root, 'outside.safetensors');
  writeSafetensors(outside, WEIGHTS);
  fs.symlinkSync(outside, path.join(dir, 'shard-1.safetensors'));
  const weightMap = Object.fromEntries([...WEIGHTS.keys()].map((n) => [n, 'shard-1.safetensors']));
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: weightMap }));
  await expectFormatError(dir, 'model.safetensors.index.json', /resolves outside the model folder/);
});

test('a sharded checkpoint with a path in a shard name', async () => {
  const dir = folder('shard-path', CONFIG, null);
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { 'vit.embeddings.cls_token': '../x.safetensors' } }));
  await expectFormatError(dir, 'model.safetensors.index.json', /expected a file name in the index's folder/);
});

test('a valid sharded checkpoint loads and matches the single file', async () => {
  const dir = folder('sharded-ok', CONFIG, null);
  const names = [...WEIGHTS.keys()];
  const halves = [names.slice(0, names.length / 2), names.slice(names.length / 2)];
  halves.forEach((part, i) => writeSafetensors(path.join(dir, `model-0000${i + 1}.safetensors`), new Map(part.map((n) => [n, WEIGHTS.get(n) as Tensor]))));
  const weightMap = Object.fromEntries(halves.flatMap((part, i) => part.map((n) => [n, `model-0000${i + 1}.safetensors`])));
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: weightMap }));
  const pixels = readSafetensors(path.join(SOURCE, 'io.safetensors')).tensor('pixel_values');
  const [sharded, single] = await Promise.all([loadModel(dir), loadModel(SOURCE)]);
  const a = await (sharded as { forward(p: Tensor): Promise<Tensor> }).forward(pixels);
  const b = await (single as { forward(p: Tensor): Promise<Tensor> }).forward(pixels);
  expect(Array.from(a.data)).toEqual(Array.from(b.data));
});

test('loadModel reads only configs and headers synchronously, the tensors asynchronously; same logits as loadModelSync', async () => {
  const readSync = jest.spyOn(fs, 'readSync');
  /** Bytes read with fs.readSync since the last call. */
  const bytesReadSync = (): number => {
    const total = readSync.mock.calls.reduce((sum, call) => sum + (((call as unknown[])[3] as number | undefined) ?? 0), 0);
    readSync.mockClear();
    return total;
  };
  try {
    const pixels = readSafetensors(path.join(SOURCE, 'io.safetensors')).tensor('pixel_values');
    const weightBytes = fs.statSync(path.join(SOURCE, 'model.safetensors')).size;
    bytesReadSync();
    const model = (await loadModel(SOURCE)) as unknown as { forward(p: Tensor): Promise<Tensor> };
    expect(bytesReadSync()).toBeLessThan(16 * 1024);
    const synced = loadModelSync(SOURCE) as unknown as { forward(p: Tensor): Promise<Tensor> };
    expect(bytesReadSync()).toBeGreaterThan(weightBytes / 2);
    expect(Array.from((await model.forward(pixels)).data)).toEqual(Array.from((await synced.forward(pixels)).data));
  } finally {
    readSync.mockRestore();
  }
});

test('a path that is not a folder', async () => {
  const error = await loadModel(path.join(root, 'nope')).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(FormatError);
  expect((error as Error).message).toMatch(/no such file or folder/);
});
