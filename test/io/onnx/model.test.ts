/**
 * ONNX reader on well-formed models: the ViT fixtures exported by torch.onnx, a model with every
 * tensor data field and attribute kind (made with onnx.helper), and models from our own
 * onnx-builder. Expected values come from onnx.numpy_helper (test/fixtures/onnx/expected.json,
 * made by make_onnx_fixtures.py).
 */
import fs from 'node:fs';
import path from 'node:path';
import { attr, buildOnnxModel } from '../../../lib/io/onnx-builder';
import type { OnnxAttribute, OnnxTensorRef } from '../../../lib/io/onnx';
import { OnnxDataType, parseOnnxModel, readOnnxModel } from '../../../lib/io/onnx';
import { ProtoWriter } from '../../../lib/io/protobuf-writer';
import { DT, GRAPH, TENSOR, f32Bytes, graph, model, node, tensor } from './proto-builders';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures');

interface TensorExpectation {
  dims: number[];
  values: (number | string)[];
}

interface VitExpectation {
  irVersion: number;
  opsetImports: { domain: string; version: number }[];
  producerName: string;
  graphName: string;
  nodeCount: number;
  opTypes: Record<string, number>;
  /** [name, dims] in the file's order. */
  initializers: [string, number[]][];
  initializerValues: Record<string, { first: number[]; sum: number }>;
  constants: (TensorExpectation & { node: string; output: string; dataType: number })[];
  inputs: { name: string; elemType: number; dims: (number | string)[] }[];
  outputs: { name: string; elemType: number; dims: (number | string)[] }[];
}

interface Expected {
  vit: Record<string, VitExpectation>;
  typedFields: { initializers: Record<string, TensorExpectation>; constant: TensorExpectation };
}

const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'onnx', 'expected.json'), 'utf8')) as Expected;

/** The values a tensor must give: the JSON's, with DOUBLE values rounded to fp32 as toFloat32 does. */
function wantedValues(t: OnnxTensorRef, values: (number | string)[]): (number | string)[] {
  return t.dataType === OnnxDataType.DOUBLE ? values.map((v) => Math.fround(v as number)) : values;
}

/** A tensor's values as the JSON stores them: numbers for floats, strings for int64. */
function valuesOf(t: OnnxTensorRef): (number | string)[] {
  if (t.dataType === OnnxDataType.INT64 || t.dataType === OnnxDataType.INT32) return [...t.toInt64()].map(String);
  return Array.from(t.toFloat32().data);
}

function attribute<K extends OnnxAttribute['kind']>(attributes: ReadonlyMap<string, OnnxAttribute>, name: string, kind: K): Extract<OnnxAttribute, { kind: K }> {
  const a = attributes.get(name);
  expect(a?.kind).toBe(kind);
  return a as Extract<OnnxAttribute, { kind: K }>;
}

describe.each(Object.keys(expected.vit))('ViT fixture %s', (name) => {
  const want = expected.vit[name];
  const m = readOnnxModel(path.join(FIXTURES, name, 'model.onnx'));

  test('model fields, nodes and op types', () => {
    expect(m.irVersion).toBe(want.irVersion);
    expect(m.opsetImports).toEqual(want.opsetImports);
    expect(m.producerName).toBe(want.producerName);
    expect(m.graph.name).toBe(want.graphName);
    expect(m.graph.nodes).toHaveLength(want.nodeCount);
    const counts: Record<string, number> = {};
    for (const n of m.graph.nodes) counts[n.opType] = (counts[n.opType] ?? 0) + 1;
    expect(counts).toEqual(want.opTypes);
    expect(m.graph.nodes.every((n) => n.domain === '')).toBe(true);
  });

  test('inputs and outputs', () => {
    const infos = (list: typeof m.graph.inputs) => list.map(({ name: n, elemType, dims }) => ({ name: n, elemType, dims }));
    expect(infos(m.graph.inputs)).toEqual(want.inputs);
    expect(infos(m.graph.outputs)).toEqual(want.outputs);
    expect(m.graph.inputs.every((v) => v.hasShape)).toBe(true);
  });

  test('initializer names and dims, in order', () => {
    expect([...m.graph.initializers].map(([n, t]) => [n, t.dims])).toEqual(want.initializers);
  });

  test('initializer values match onnx.numpy_helper', () => {
    for (const [n, { first, sum }] of Object.entries(want.initializerValues)) {
      const t = m.graph.initializers.get(n) as OnnxTensorRef;
      const values = t.toFloat32();
      expect(values.shape).toEqual(t.dims);
      expect(Array.from(values.data.subarray(0, 5))).toEqual(first);
      expect(values.data.reduce((a, b) => a + b, 0)).toBeCloseTo(sum, 9);
    }
  });

  test('Constant node values', () => {
    for (const c of want.constants) {
      const n = m.graph.nodes.find((x) => x.name === c.node);
      expect(n?.opType).toBe('Constant');
      expect(n?.outputs).toEqual([c.output]);
      const value = attribute(n?.attributes ?? new Map(), 'value', 'tensor').value;
      expect(value.dataType).toBe(c.dataType);
      expect(value.dims).toEqual(c.dims);
      expect(valuesOf(value)).toEqual(c.values);
    }
  });

  test('every initializer and Constant converts', () => {
    for (const t of m.graph.initializers.values()) expect(t.toFloat32().data).toHaveLength(t.size);
    for (const n of m.graph.nodes.filter((x) => x.opType === 'Constant')) {
      const value = attribute(n.attributes, 'value', 'tensor').value;
      expect(valuesOf(value)).toHaveLength(value.size);
    }
  });
});

describe('typed-fields.onnx (onnx.helper: packed typed fields, sparse initializers, every attribute kind)', () => {
  const file = path.join(FIXTURES, 'onnx', 'typed-fields.onnx');
  const m = readOnnxModel(file);

  test('every initializer, dense and sparse, matches onnx.numpy_helper', () => {
    const want = expected.typedFields.initializers;
    expect([...m.graph.initializers.keys()].sort()).toEqual(Object.keys(want).sort());
    for (const [n, t] of m.graph.initializers) {
      expect({ name: n, dims: t.dims, values: valuesOf(t) }).toEqual({ name: n, dims: want[n].dims, values: wantedValues(t, want[n].values) });
    }
  });

  test('data types and conversions', () => {
    const get = (n: string) => m.graph.initializers.get(n) as OnnxTensorRef;
    expect(get('f16_fields').dataType).toBe(OnnxDataType.FLOAT16);
    expect(get('bf16_raw').dataType).toBe(OnnxDataType.BFLOAT16);
    expect(get('f64_fields').dataType).toBe(OnnxDataType.DOUBLE);
    expect(get('i64_fields').toInt64()).toEqual([-1, 197, 768]);
    expect(get('i32_fields').toInt64()).toEqual([-7, 0, 2147483647]);
    const large = get('i64_large').toInt64();
    expect(large).toBeInstanceOf(BigInt64Array);
    expect([...large]).toEqual([(1n << 63n) - 1n, -(1n << 63n)]);
    expect(get('scalar').toFloat32().shape).toEqual([]);
    expect(get('empty').toFloat32().data).toHaveLength(0);
    expect(get('sparse_coords').toInt64()).toEqual([0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, -8]);
    expect(() => get('i64_fields').toFloat32()).toThrow(/'i64_fields': is INT64; toFloat32\(\) reads FLOAT, FLOAT16, BFLOAT16, DOUBLE/);
    expect(() => get('f32_fields').toInt64()).toThrow(/'f32_fields': is FLOAT; toInt64\(\) reads INT64, INT32/);
  });

  test('nodes, domains and attributes of every kind', () => {
    expect(m.opsetImports).toEqual([
      { domain: '', version: 17 },
      { domain: 'test.domain', version: 2 },
    ]);
    const [constant, custom] = m.graph.nodes;
    expect(valuesOf(attribute(constant.attributes, 'value', 'tensor').value)).toEqual(expected.typedFields.constant.values);
    expect(custom).toMatchObject({ name: 'attrs', opType: 'Custom', domain: 'test.domain', inputs: ['x', '', 'shape'], outputs: ['y'] });
    const a = custom.attributes;
    expect(attribute(a, 'alpha', 'float').value).toBe(0.25);
    expect(attribute(a, 'axis', 'int').value).toBe(-1);
    expect(attribute(a, 'mode', 'string').value).toBe('cubic');
    expect(attribute(a, 'scales', 'floats').value).toEqual([1.5, -2]);
    expect(attribute(a, 'perm', 'ints').value).toEqual([0, 2, 1, 3]);
    expect(attribute(a, 'names', 'strings').value).toEqual(['a', 'béta']);
    const weight = attribute(a, 'weight', 'tensor').value;
    expect([weight.name, Array.from(weight.toFloat32().data)]).toEqual(['w', [0.5, -0.5]]);
    const body = attribute(a, 'body', 'graph').value;
    expect(body.name).toBe('body');
    expect(body.nodes.map((n) => [n.name, n.opType, n.inputs, n.outputs])).toEqual([['inner', 'Identity', ['a'], ['b']]]);
  });

  test('value infos: symbolic and unknown dims', () => {
    expect(m.graph.inputs).toEqual([{ name: 'x', elemType: 1, dims: ['batch', 3, ''], hasShape: true }]);
    expect(m.graph.outputs).toEqual([{ name: 'y', elemType: 10, dims: ['batch', 5], hasShape: true }]);
    expect(m.graph.valueInfo).toEqual([{ name: 'shape', elemType: 7, dims: [3], hasShape: true }]);
  });

  test('parseOnnxModel on the same bytes gives the same model', () => {
    const parsed = parseOnnxModel(fs.readFileSync(file), 'typed-fields.onnx');
    expect(parsed.file).toBe('typed-fields.onnx');
    expect([...parsed.graph.initializers.keys()]).toEqual([...m.graph.initializers.keys()]);
  });
});

describe('round trip through onnx-builder', () => {
  test('a model built in memory reads back field for field', () => {
    const weights = Float32Array.from({ length: 12 }, (_, i) => i / 4 - 1);
    const bytes = buildOnnxModel({
      producerName: 'round-trip',
      graph: {
        name: 'rt',
        inputs: [{ name: 'x', dims: ['batch', 'tokens', 4] }],
        outputs: [{ name: 'y', dims: ['batch', 'tokens', 3] }],
        initializers: [{ name: 'w', dims: [4, 3], data: weights }],
        nodes: [
          { opType: 'MatMul', inputs: ['x', 'w'], outputs: ['h'], name: 'mm' },
          { opType: 'Softmax', inputs: ['h'], outputs: ['s'], attributes: { axis: attr.int(-1) } },
          { opType: 'LeakyRelu', inputs: ['s'], outputs: ['l'], attributes: { alpha: attr.float(0.125) } },
          { opType: 'Transpose', inputs: ['l'], outputs: ['y'], domain: 'com.microsoft', attributes: { perm: attr.ints([0, 2, 1]) } },
        ],
      },
    });
    const m = parseOnnxModel(bytes);
    expect(m).toMatchObject({ file: '<buffer>', irVersion: 8, producerName: 'round-trip' });
    expect(m.opsetImports).toEqual([
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ]);
    expect(m.graph.name).toBe('rt');
    expect(m.graph.inputs).toEqual([{ name: 'x', elemType: 1, dims: ['batch', 'tokens', 4], hasShape: true }]);
    expect(m.graph.outputs).toEqual([{ name: 'y', elemType: 1, dims: ['batch', 'tokens', 3], hasShape: true }]);
    const nodes = m.graph.nodes.map((n) => ({ ...n, attributes: Object.fromEntries(n.attributes) }));
    expect(nodes).toEqual([
      { name: 'mm', opType: 'MatMul', domain: '', inputs: ['x', 'w'], outputs: ['h'], attributes: {} },
      { name: '', opType: 'Softmax', domain: '', inputs: ['h'], outputs: ['s'], attributes: { axis: { kind: 'int', value: -1 } } },
      { name: '', opType: 'LeakyRelu', domain: '', inputs: ['s'], outputs: ['l'], attributes: { alpha: { kind: 'float', value: 0.125 } } },
      { name: '', opType: 'Transpose', domain: 'com.microsoft', inputs: ['l'], outputs: ['y'], attributes: { perm: { kind: 'ints', value: [0, 2, 1] } } },
    ]);
    const w = m.graph.initializers.get('w') as OnnxTensorRef;
    expect([w.dataType, w.dims, w.size]).toEqual([OnnxDataType.FLOAT, [4, 3], 12]);
    expect(w.toFloat32().data).toEqual(weights);
    expect(w.toFloat32().data).not.toBe(w.toFloat32().data); // a new array per call
  });
});

describe('wire-format variants every protobuf parser accepts', () => {
  test('unpacked repeated fields, packed and unpacked mixed in one field, and unknown fields of every wire type', () => {
    const unknown = (w: ProtoWriter) => w.int64(99, -5).float(98, 1.5).bytes(97, Uint8Array.of(1, 2, 3)).message(96, new ProtoWriter().int64(1, 1));
    const t = unknown(tensor({ name: 'mixed', dims: [2, 3], dataType: DT.FLOAT, floats: [1, 2] }))
      .bytes(TENSOR.floatData, f32Bytes([3, 4, 5])) // packed chunk after unpacked values
      .float(TENSOR.floatData, 6);
    const n = unknown(node('Identity', ['mixed'], ['y']));
    const g = unknown(graph({ nodes: [n], initializers: [t] }));
    // A fixed64 field (wire type 1) in the model: tag (95 << 3 | 1) as a varint = 0xf9 0x05, then 8 bytes.
    const fixed64Field = Uint8Array.of(0xf9, 0x05, 1, 2, 3, 4, 5, 6, 7, 8);
    const bytes = Buffer.concat([fixed64Field, model(g)]);
    const m = parseOnnxModel(bytes);
    expect(Array.from((m.graph.initializers.get('mixed') as OnnxTensorRef).toFloat32().data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(m.graph.nodes.map((x) => x.opType)).toEqual(['Identity']);
  });

  test('packed dims and int64_data, a graph with the fields out of order', () => {
    // Packed varints written by hand: 2, 3 -> 0x02 0x03; -1 as int64 -> ten bytes.
    const minusOne = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    const t = new ProtoWriter()
      .string(TENSOR.name, 'ints')
      .bytes(TENSOR.int64Data, Uint8Array.of(0x05, ...minusOne, 0x80, 0x01, 0x00, 0x07, 0x2a))
      .int64(TENSOR.dataType, DT.INT64)
      .bytes(TENSOR.dims, Uint8Array.of(0x02, 0x03));
    const g = new ProtoWriter().message(GRAPH.initializer, t).string(GRAPH.name, 'late');
    const m = parseOnnxModel(model(g));
    const ints = m.graph.initializers.get('ints') as OnnxTensorRef;
    expect(ints.dims).toEqual([2, 3]);
    expect(ints.toInt64()).toEqual([5, -1, 128, 0, 7, 42]);
  });

  test('FLOAT16 in int32_data, DOUBLE in double_data, INT32 in raw_data', () => {
    const doubles = Buffer.alloc(16);
    doubles.writeDoubleLE(0.1, 0);
    doubles.writeDoubleLE(-3, 8);
    const i32 = Buffer.alloc(8);
    i32.writeInt32LE(-2, 0);
    i32.writeInt32LE(9, 4);
    const m = parseOnnxModel(
      model(
        graph({
          initializers: [
            tensor({ name: 'h', dims: [3], dataType: DT.FLOAT16, int32s: [0x3c00, 0xc000, 0x0001] }),
            new ProtoWriter().int64(TENSOR.dims, 2).int64(TENSOR.dataType, DT.DOUBLE).string(TENSOR.name, 'd').bytes(TENSOR.doubleData, doubles),
            tensor({ name: 'i', dims: [2], dataType: DT.INT32, raw: i32 }),
          ],
        }),
      ),
    );
    const get = (n: string) => m.graph.initializers.get(n) as OnnxTensorRef;
    expect(Array.from(get('h').toFloat32().data)).toEqual([1, -2, 2 ** -24]);
    expect(Array.from(get('d').toFloat32().data)).toEqual([Math.fround(0.1), -3]);
    expect(get('i').toInt64()).toEqual([-2, 9]);
  });
});
