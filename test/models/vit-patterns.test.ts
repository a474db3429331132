/**
 * Efficient attention in a ViT from config.json (`tessera_attention`): the vit-odd fixture's
 * weights with per-layer neighborhood / local+global / axial patterns, against the fp64
 * reference ViT with the same pattern as an explicit mask (test/reference/vit.ts).
 */
import * as path from 'node:path';

import type { HfViTConfig } from '../../lib/bench/vit-weights';
import { readJsonFile } from '../../lib/io/json-file';
import { readSafetensors } from '../../lib/io/safetensors';
import { parseViTConfig } from '../../lib/models/vit/config';
import { ViTForImageClassification } from '../../lib/models/vit/model';
import { Weights } from '../../lib/nn/weights';
import { normalizePattern, patternPredicate } from '../../lib/patterns/index';
import type { Pattern } from '../../lib/patterns/types';
import type { Tensor } from '../../lib/tensor';
import { FormatError } from '../../lib/errors';
import { referenceViT } from '../reference/vit';
import { expectLogitsClose } from '../tolerance';

const DIR = path.join(__dirname, '..', 'fixtures', 'vit-odd');
const BASE = readJsonFile(path.join(DIR, 'config.json')) as HfViTConfig;
const file = readSafetensors(path.join(DIR, 'model.safetensors'));
const weights = new Map<string, Tensor>(file.names().map((name) => [name, file.tensor(name)]));
const pixels = readSafetensors(path.join(DIR, 'io.safetensors')).tensor('pixel_values');
const GRID = [8, 8]; // 32x32 pixels, patch 4
const N = 1 + GRID[0] * GRID[1];

function model(attention: unknown): ViTForImageClassification {
  const config = parseViTConfig({ ...BASE, tessera_attention: attention }, 'config.json');
  return ViTForImageClassification.load(config, new Weights(file));
}

/** The pattern's predicate over the N tokens (class token at 0). */
function predicate(pattern: Pattern): (i: number, j: number) => boolean {
  return patternPredicate(normalizePattern(pattern, N, N), N, N);
}

const CASES: { name: string; attention: unknown; layers: Pattern[] }[] = [
  {
    name: 'neighborhood 3x3 in every layer',
    attention: { type: 'neighborhood', window: [3, 3] },
    layers: [0, 1].map(() => ({ type: 'neighborhood', grid: GRID, window: [3, 3], offset: 1 })),
  },
  {
    name: 'per layer: dilated 3x5 neighborhood, then local + global',
    attention: [
      { type: 'neighborhood', window: [3, 5], dilation: [2, 1] },
      { type: 'local_global', window: [3, 3], global_tokens: [10, 40] },
    ],
    layers: [
      { type: 'neighborhood', grid: GRID, window: [3, 5], dilation: [2, 1], offset: 1 },
      { type: 'global', tokens: [0, 10, 40], inner: { type: 'neighborhood', grid: GRID, window: [3, 3], offset: 1 } },
    ],
  },
  {
    name: 'per layer: full, then axial rows',
    attention: [null, { type: 'axial', axes: [1] }],
    layers: [
      { type: 'full' },
      { type: 'axial', grid: GRID, axes: [1], offset: 1 },
    ],
  },
];

test.each(CASES)('$name matches the fp64 reference with the same mask', async ({ attention, layers }) => {
  const predicates = layers.map(predicate);
  const expected = referenceViT(BASE, weights, pixels.data, pixels.shape[0], (layer, i, j) => predicates[layer](i, j));
  const logits = await model(attention).forward(pixels);
  expectLogitsClose(logits.data, expected, 13, JSON.stringify(attention));
});

test('the pattern changes the result (a local window is not full attention)', async () => {
  const full = await model(null).forward(pixels);
  const local = await model({ type: 'neighborhood', window: [3, 3] }).forward(pixels);
  const diff = Math.max(...Array.from(full.data, (x, i) => Math.abs(x - local.data[i])));
  expect(diff).toBeGreaterThan(1e-3);
});

test.each([
  [{ type: 'sliding' }, /type: expected full, neighborhood, axial or local_global/],
  [{ type: 'neighborhood', window: [0, 3] }, /window/],
  [[{ type: 'full' }], /one entry per layer \(2\)/],
  [{ type: 'axial', axes: [5] }, /axes/],
])('bad tessera_attention %j -> FormatError', async (attention, message) => {
  const run = async (): Promise<unknown> => model(attention).forward(pixels);
  await expect(run()).rejects.toThrow(FormatError);
  await expect(run()).rejects.toThrow(message);
});
