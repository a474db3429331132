/**
 * The ONNX reader and the graph mapper on damaged files: a real export cut at many points, and
 * deterministic random byte mutations of small models. Every case must either read cleanly (and,
 * for a ViT, map or be refused) or fail with a FormatError: never another error type (RangeError,
 * TypeError, an allocation failure), never a crash, and memory stays small. Then the hostile
 * values that byte flips rarely produce but that crashed the mapper (huge or negative shapes in
 * an otherwise valid graph), and a 4 TiB tensor declaration. The checks of single hostile
 * constructs (lengths, dims, budgets, external data locations such as `a/../../w.bin`) are in
 * hostile.test.ts and external-data.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildViTOnnx } from '../../../lib/bench/vit-onnx';
import type { HfViTConfig } from '../../../lib/bench/vit-weights';
import { syntheticViTWeights } from '../../../lib/bench/vit-weights';
import { FormatError } from '../../../lib/errors';
import type { OnnxModel, OnnxParseOptions } from '../../../lib/io/onnx';
import { OnnxDataType, parseOnnxModel, readOnnxModel } from '../../../lib/io/onnx';
import { mapOnnxModel } from '../../../lib/io/onnx/map-model';
import { attr, constantNode, editGraph, intTensor, node, withAttributes, withConstant } from '../onnx-graph/graph-edit';
import { DT, modelWithInitializers, tensor } from './proto-builders';
import { mulberry32 } from '../../../lib/random';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures');
const VIT = path.join(FIXTURES, 'vit-odd', 'model.onnx');
const TYPED_FIELDS = path.join(FIXTURES, 'onnx', 'typed-fields.onnx');
const EXTERNAL_DIR = path.join(FIXTURES, 'onnx', 'external');

/** A ViT small enough that most of its bytes are structure, not weights (~6 KB); it maps cleanly. */
const TINY: HfViTConfig = {
  hidden_size: 8,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 16,
  patch_size: 4,
  image_size: 8,
  num_channels: 3,
  hidden_act: 'gelu',
  layer_norm_eps: 1e-6,
  qkv_bias: true,
  num_labels: 3,
};

/** How a case ended. */
type Outcome = 'refused by the reader' | 'read' | 'refused by the mapper' | 'mapped';

/** Converts every initializer's data (it is read lazily), as a loader would. */
function touchData(m: OnnxModel): void {
  for (const t of m.graph.initializers.values()) {
    if (t.dataType === OnnxDataType.INT64 || t.dataType === OnnxDataType.INT32) t.toInt64();
    else t.toFloat32();
  }
}

/** Reads `bytes` (and converts its data; maps it when `map`): the outcome, or the non-FormatError it threw. */
function attempt(bytes: Uint8Array, map: boolean, options: OnnxParseOptions = {}): Outcome {
  let model: OnnxModel;
  try {
    model = parseOnnxModel(bytes, 'fuzz.onnx', options);
    touchData(model);
  } catch (error) {
    if (error instanceof FormatError) return 'refused by the reader';
    throw error;
  }
  if (!map) return 'read';
  try {
    mapOnnxModel(model);
    return 'mapped';
  } catch (error) {
    if (error instanceof FormatError) return 'refused by the mapper';
    throw error;
  }
}

/** Runs cases, collecting every one that threw something else than a FormatError, and the outcome counts. */
class Campaign {
  readonly failures: string[] = [];
  readonly counts = new Map<Outcome, number>();
  private readonly rssStart = process.memoryUsage().rss;
  private rssPeak = this.rssStart;

  run(label: string, bytes: Uint8Array, map: boolean, options?: OnnxParseOptions): void {
    try {
      const outcome = attempt(bytes, map, options);
      this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1);
    } catch (error) {
      const e = error as Error;
      this.failures.push(`${label}: ${e?.constructor?.name ?? typeof error}: ${e?.message ?? String(error)}`);
    }
    this.rssPeak = Math.max(this.rssPeak, process.memoryUsage().rss);
  }

  /** The most the resident set grew over the campaign, in MB. */
  get rssGrowthMb(): number {
    return (this.rssPeak - this.rssStart) / 2 ** 20;
  }

  count(outcome: Outcome): number {
    return this.counts.get(outcome) ?? 0;
  }
}

/**
 * CASES seeded mutations of `original`, each read (and mapped when `map`); asserts that none
 * failed with anything but a FormatError and that memory stayed small.
 */
function mutationCampaign(original: Uint8Array, seed: number, map: boolean, options?: OnnxParseOptions): Campaign {
  const rand = random(seed);
  const campaign = new Campaign();
  for (let i = 0; i < CASES; i++) {
    const { bytes, what } = mutate(original, rand);
    campaign.run(`case ${i} (${what})`, bytes, map, options);
  }
  expect(campaign.failures).toEqual([]);
  expect(campaign.rssGrowthMb).toBeLessThan(MAX_RSS_GROWTH_MB);
  return campaign;
}

/** mulberry32: the same cases on every run. */
function random(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 2 ** 32;
}

/**
 * One random mutation of `bytes` (a new array) and its description: a bit flip, a random byte,
 * 0xff or 0x00 (a varint that runs on, a length or tag zeroed), a run of random bytes, a deleted
 * or a duplicated range (shifting everything after it), or a length-like varint made huge.
 */
function mutate(bytes: Uint8Array, rand: () => number): { bytes: Uint8Array; what: string } {
  const at = Math.floor(rand() * bytes.length);
  const byte = (): number => Math.floor(rand() * 256);
  const out = Uint8Array.from(bytes);
  switch (Math.floor(rand() * 7)) {
    case 0: {
      const bit = Math.floor(rand() * 8);
      out[at] ^= 1 << bit;
      return { bytes: out, what: `bit ${bit} of byte ${at} flipped` };
    }
    case 1:
      out[at] = byte();
      return { bytes: out, what: `byte ${at} = ${out[at]}` };
    case 2:
      out[at] = rand() < 0.5 ? 0xff : 0x00;
      return { bytes: out, what: `byte ${at} = ${out[at]}` };
    case 3: {
      const n = 1 + Math.floor(rand() * 8);
      for (let i = at; i < Math.min(at + n, out.length); i++) out[i] = byte();
      return { bytes: out, what: `${n} random bytes at ${at}` };
    }
    case 4: {
      const n = 1 + Math.floor(rand() * 16);
      return { bytes: Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + n)]), what: `${n} bytes deleted at ${at}` };
    }
    case 5: {
      const n = 1 + Math.floor(rand() * 16);
      return { bytes: Uint8Array.from([...bytes.subarray(0, at + n), ...bytes.subarray(at)]), what: `${n} bytes repeated at ${at}` };
    }
    default: {
      // A varint of 2^35 - 1 (or another large value): the lengths, dims and ints a file states.
      const n = Math.min(5, out.length - at);
      for (let i = 0; i < n; i++) out[at + i] = i < n - 1 ? 0xff : byte() & 0x7f;
      return { bytes: out, what: `large varint at ${at}` };
    }
  }
}

/** The most a campaign may grow the resident set. */
const MAX_RSS_GROWTH_MB = 200;
/** Mutations per campaign. */
const CASES = 300;

describe('a real export cut short', () => {
  test('vit-odd/model.onnx cut at 200 evenly spaced points and at each of its first 64 bytes: read (and mapped) or FormatError', () => {
    const bytes = fs.readFileSync(VIT);
    const cuts = new Set<number>();
    for (let i = 0; i < 200; i++) cuts.add(Math.floor((i * bytes.length) / 200));
    for (let i = 0; i <= 64; i++) cuts.add(i);
    const campaign = new Campaign();
    for (const cut of [...cuts].sort((a, b) => a - b)) campaign.run(`cut at ${cut}`, bytes.subarray(0, cut), true);
    expect(campaign.failures).toEqual([]);
    expect(campaign.count('refused by the reader')).toBeGreaterThan(200);
    expect(campaign.rssGrowthMb).toBeLessThan(MAX_RSS_GROWTH_MB);
    // The whole file still maps: the cases above are damage, not a broken fixture.
    expect(attempt(bytes, true)).toBe('mapped');
  });
});

describe('random mutations', () => {
  test(`${CASES} mutations of a tiny ViT built in memory: each read and mapped, or a FormatError`, () => {
    const original = buildViTOnnx(TINY, syntheticViTWeights(TINY, 7, { std: 0.2 }), { opset: 17 });
    expect(original.length).toBeLessThan(16_000);
    expect(attempt(original, true)).toBe('mapped');
    const campaign = mutationCampaign(original, 20261128, true);
    // The mutations reach both the reader's checks and the mapper's, and some leave a model that still maps.
    expect(campaign.count('refused by the reader')).toBeGreaterThan(0);
    expect(campaign.count('refused by the mapper')).toBeGreaterThan(0);
    expect(campaign.count('mapped')).toBeGreaterThan(0);
  });

  test(`${CASES} mutations of onnx/typed-fields.onnx (every tensor type and field): read and converted, or a FormatError`, () => {
    const original = fs.readFileSync(TYPED_FIELDS);
    const campaign = mutationCampaign(original, 4242, true);
    expect(campaign.count('refused by the reader')).toBeGreaterThan(0);
  });

  test(`${CASES} mutations of onnx/external/model.onnx, read with its folder: external data read, or a FormatError`, () => {
    const original = fs.readFileSync(path.join(EXTERNAL_DIR, 'model.onnx'));
    const campaign = mutationCampaign(original, 777, false, { baseDir: EXTERNAL_DIR });
    expect(campaign.count('refused by the reader')).toBeGreaterThan(0);
    expect(campaign.count('read')).toBeGreaterThan(0);
  });
});

describe('hostile values in a well-formed graph (found crashing the mapper; now FormatErrors or ignored)', () => {
  const tiny = parseOnnxModel(buildViTOnnx(TINY, syntheticViTWeights(TINY, 7, { std: 0.2 }), { opset: 17 }), 'tiny.onnx');
  const withInputDims = (dims: (number | string)[]): OnnxModel => editGraph(tiny, (g) => ({ inputs: g.inputs.map((i) => ({ ...i, dims })) }));
  /** The model with extra nodes in front (their outputs unused). */
  const withUnused = (...nodes: ReturnType<typeof node>[]): OnnxModel => editGraph(tiny, (g) => ({ nodes: [...nodes, ...g.nodes] }));
  const scalar = (name: string, value: number): ReturnType<typeof node> => constantNode(name, intTensor([value], []));

  /** Maps `m` within the memory bound: 'mapped', or the FormatError's message. */
  function mapped(m: OnnxModel): string {
    const rss = process.memoryUsage().rss;
    try {
      mapOnnxModel(m);
      return 'mapped';
    } catch (error) {
      if (!(error instanceof FormatError)) throw error;
      return error.message;
    } finally {
      expect((process.memoryUsage().rss - rss) / 2 ** 20).toBeLessThan(MAX_RSS_GROWTH_MB);
    }
  }

  test('input dims too large to probe (were RangeError: Invalid typed array length)', () => {
    expect(mapped(withInputDims(['batch', 3, 8, 2 ** 30]))).toMatch(/^tiny\.onnx: 'patch_conv' \[2, 8, 2, 268435456\] has more than 67108864 elements, too many to check its layout$/);
    expect(mapped(withInputDims([2 ** 40, 3, 8, 8]))).toMatch(/'patch_conv' \[1099511627776, 8, 2, 2\] has more than 67108864 elements/);
    expect(mapped(withInputDims(['batch', 3, 2 ** 40, 2 ** 40]))).toMatch(/^tiny\.onnx: cannot work out the shape of .*graph input 'pixel_values' \[2, 3, 1099511627776, 1099511627776\]: it has more than 2\^53 - 1 elements$/);
  });

  test('shape arithmetic the graph does not use: huge or endless Range, negative ConstantOfShape, a Slice of 2^28 elements (was a fatal out-of-memory)', () => {
    expect(mapped(withUnused(scalar('r0', 0), scalar('r1', 1e12), scalar('r2', 1), node('Range', ['r0', 'r1', 'r2'], ['r'])))).toBe('mapped');
    expect(mapped(withUnused(scalar('r0', 0), scalar('r1', 10), scalar('r2', 0), node('Range', ['r0', 'r1', 'r2'], ['r'])))).toBe('mapped');
    expect(mapped(withUnused(constantNode('s', intTensor([-1])), node('ConstantOfShape', ['s'], ['c'])))).toBe('mapped');
    const big = [constantNode('s', intTensor([2 ** 28])), node('ConstantOfShape', ['s'], ['c']), constantNode('a', intTensor([0])), constantNode('b', intTensor([2 ** 28]))];
    expect(mapped(withUnused(...big, node('Slice', ['c', 'a', 'b'], ['d'])))).toBe('mapped');
    expect(mapped(withUnused(constantNode('x', intTensor([1, 2])), constantNode('t', intTensor([-3])), node('Tile', ['x', 't'], ['y'])))).toBe('mapped');
  });

  test('bad values on the path the mapper follows name the node', () => {
    expect(mapped(withAttributes(tiny, 'Transpose:patch_tokens', { perm: attr.ints([0, 5, 1]) }))).toMatch(
      /cannot work out the shape of 'patch_tokens': node 'Transpose:patch_tokens' \(Transpose\): perm \[0, 5, 1\] is not a permutation of the 3 axes$/,
    );
    expect(mapped(withConstant(tiny, 'Constant:one_h', intTensor([1, -8])))).toMatch(/node 'Expand:cls_tokens' \(Expand\): target shape \[2, 1, -8\] is not valid: dim -8 is not a non-negative integer$/);
  });
});

describe('a 4 TiB tensor declaration', () => {
  test('FLOAT [2^20, 2^20] backed by a (sparse) 4 TiB external file: a FormatError from the byte budget, nothing allocated', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-onnx-huge-'));
    try {
      fs.writeFileSync(path.join(dir, 'huge.bin'), '');
      fs.truncateSync(path.join(dir, 'huge.bin'), 2 ** 42); // a hole: no disk space used
      fs.writeFileSync(path.join(dir, 'model.onnx'), modelWithInitializers(tensor({ name: 'w', dims: [2 ** 20, 2 ** 20], dataType: DT.FLOAT, external: [['location', 'huge.bin']] })));
      const rss = process.memoryUsage().rss;
      expect(() => readOnnxModel(path.join(dir, 'model.onnx'))).toThrow(
        new FormatError(path.join(dir, 'model.onnx'), "graph.initializer[0] 'w': needs 4398046511104 bytes, which brings the model's tensor data over the limit of 4294967296 bytes (maxBytes)"),
      );
      expect((process.memoryUsage().rss - rss) / 2 ** 20).toBeLessThan(MAX_RSS_GROWTH_MB);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
