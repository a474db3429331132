/**
 * ONNX reader on malformed and hostile models (external data has its own file): each is rejected
 * with a FormatError that names the file, the place and the problem, before anything sized by
 * the file's claims is allocated. No test allocates a large buffer.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ArgumentError, FormatError } from '../../../lib/errors';
import { parseOnnxModel, readOnnxModel } from '../../../lib/io/onnx';
import type { OnnxTensorRef } from '../../../lib/io/onnx';
import { ProtoWriter } from '../../../lib/io/protobuf-writer';
import {
  ATTRIBUTE, DT, GRAPH, MODEL, NODE, TENSOR, f32Bytes, graph, graphAttribute, i64Bytes, model, modelWithInitializers, node, sparseTensor, tensor,
} from './proto-builders';

const VIT = path.join(__dirname, '..', '..', 'fixtures', 'vit-odd', 'model.onnx');

/** The FormatError parsing `bytes` (as 'model.onnx') throws; fails the test when it throws none or another error. */
function parseError(bytes: Uint8Array, options?: { maxBytes?: number }): FormatError {
  try {
    parseOnnxModel(bytes, 'model.onnx', options);
  } catch (error) {
    expect(error).toBeInstanceOf(FormatError);
    expect((error as FormatError).file).toBe('model.onnx');
    return error as FormatError;
  }
  throw new Error('expected a FormatError');
}

/** The message of the FormatError that `fn` throws. */
function formatError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FormatError);
    return (error as FormatError).message;
  }
  throw new Error('expected a FormatError');
}

describe('wire format', () => {
  test('a truncated file', () => {
    const bytes = fs.readFileSync(VIT);
    expect(parseError(bytes.subarray(0, Math.floor(bytes.length / 2))).message).toMatch(
      /^model\.onnx: graph \(field 7\) at byte \d+ needs \d+ bytes but only \d+ remain in the message$/,
    );
    // Cut inside a nested message: the inner length runs past its parent's end.
    const inner = modelWithInitializers(tensor({ name: 'w', dims: [4], dataType: DT.FLOAT, raw: f32Bytes([1, 2, 3, 4]) }));
    expect(parseError(inner.subarray(0, inner.length - 12)).message).toMatch(/needs \d+ bytes but only \d+ remain/);
  });

  test('a length prefix past the end of its message', () => {
    // Field 7 (graph), wire type 2, length 100, then 3 bytes.
    expect(parseError(Uint8Array.of(0x3a, 100, 1, 2, 3)).message).toBe(
      'model.onnx: graph (field 7) at byte 0 needs 100 bytes but only 3 remain in the message',
    );
    // Inside the graph: a node claiming 50 bytes in a 4-byte graph.
    const bytes = Uint8Array.of(0x08, 8, 0x3a, 4, 0x0a, 50, 0, 0);
    expect(parseError(bytes).message).toBe('model.onnx: graph: node[0] (field 1) at byte 4 needs 50 bytes but only 2 remain in the message');
  });

  test('a length prefix over 2^53 - 1', () => {
    const huge = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
    expect(parseError(Uint8Array.of(0x3a, ...huge)).message).toMatch(/graph \(field 7\) length at byte 1 is 9223372036854775807, over 2\^53 - 1/);
  });

  test('a varint longer than 10 bytes, over 64 bits, or cut off', () => {
    expect(parseError(Uint8Array.of(0x08, ...new Array<number>(11).fill(0xff), 0x01)).message).toBe(
      'model.onnx: ir_version at byte 1 is a varint longer than 10 bytes',
    );
    expect(parseError(Uint8Array.of(0x08, ...new Array<number>(9).fill(0xff), 0x02)).message).toBe(
      'model.onnx: ir_version at byte 1 is a varint over 64 bits',
    );
    expect(parseError(Uint8Array.of(0x08, 0xff, 0xff)).message).toBe('model.onnx: ir_version at byte 1 is a varint cut off by the end of the message');
    expect(parseError(Uint8Array.of(0xff)).message).toBe('model.onnx: a field tag at byte 0 is a varint cut off by the end of the message');
    // A packed varint field whose last value is cut off.
    const t = new ProtoWriter().int64(TENSOR.dataType, DT.INT64).string(TENSOR.name, 'p').bytes(TENSOR.dims, Uint8Array.of(0x02, 0x80));
    expect(parseError(modelWithInitializers(t)).message).toBe('model.onnx: graph.initializer[0]: packed dims ends in the middle of a varint');
  });

  test('a known field with the wrong wire type', () => {
    const n = new ProtoWriter().int64(NODE.opType, 5);
    expect(parseError(model(graph({ nodes: [n] }))).message).toBe(
      'model.onnx: graph.node[0]: op_type (field 4) at byte 12 has wire type 0 (varint), expected 2 (length-delimited)',
    );
    const badDims = new ProtoWriter().float(TENSOR.dims, 1);
    expect(parseError(modelWithInitializers(badDims)).message).toMatch(/graph\.initializer\[0\]: dims \(field 1\) at byte 15 has wire type 5 \(fixed32\), expected 0 \(varint\)/);
    expect(parseError(new ProtoWriter().string(MODEL.irVersion, '8').finish()).message).toMatch(/ir_version \(field 1\) .* expected 0 \(varint\)/);
  });

  test('groups, invalid wire types and field number 0', () => {
    expect(parseError(Uint8Array.of(0x0b, 0x0c)).message).toBe('model.onnx: field 1 at byte 0 uses wire type 3 (start group); groups are not supported');
    expect(parseError(Uint8Array.of(0x0c)).message).toMatch(/wire type 4 \(end group\); groups are not supported/);
    expect(parseError(Uint8Array.of(0x0e)).message).toBe('model.onnx: field 1 at byte 0 has invalid wire type 6');
    expect(parseError(Uint8Array.of(0x00, 0x00)).message).toMatch(/invalid field number 0 at byte 0/);
    // A group inside a nested message: field 99, wire type 3 ((99 << 3) | 3 = 0x9b 0x06) at the end of the graph.
    const withGroup = Buffer.concat([graph({}).finish(), Uint8Array.of(0x9b, 0x06)]);
    expect(parseError(new ProtoWriter().int64(MODEL.irVersion, 8).bytes(MODEL.graph, withGroup).finish()).message).toBe(
      'model.onnx: graph: field 99 at byte 7 uses wire type 3 (start group); groups are not supported',
    );
  });

  test('messages nested too deep', () => {
    // If nodes whose then_branch holds another If: graph -> node -> attribute -> graph, 3 levels each time.
    let g = graph({ nodes: [node('Relu', ['x'], ['y'])] });
    for (let level = 0; level < 40; level++) g = graph({ nodes: [node('If', ['c'], ['y'], [graphAttribute('then_branch', g)])] });
    const message = parseError(model(g)).message;
    expect(message).toMatch(/^model\.onnx: graph(\.node\[0\]\.attribute\[0\]\.g)+(\.node\[0\](\.attribute\[0\])?)?: \S+ nests messages more than 100 deep/);
    // 30 levels (91 messages deep) are fine and decode as graphs.
    g = graph({ nodes: [node('Relu', ['x'], ['y'])] });
    for (let level = 0; level < 30; level++) g = graph({ nodes: [node('If', ['c'], ['y'], [graphAttribute('then_branch', g)])] });
    const m = parseOnnxModel(model(g));
    expect(m.graph.nodes[0].attributes.get('then_branch')?.kind).toBe('graph');
  });

  test('not an ONNX model: no graph, no ir_version, an empty file', () => {
    expect(parseError(new ProtoWriter().int64(MODEL.irVersion, 8).finish()).message).toBe('model.onnx: has no graph (is it an ONNX model?)');
    expect(parseError(new Uint8Array(0)).message).toBe('model.onnx: has no ir_version (is it an ONNX model?)');
    const twoGraphs = new ProtoWriter().int64(MODEL.irVersion, 8).message(MODEL.graph, graph({})).message(MODEL.graph, graph({})).finish();
    expect(parseError(twoGraphs).message).toBe('model.onnx: has two graphs');
  });

  test('invalid UTF-8 in a name', () => {
    const n = new ProtoWriter().bytes(NODE.opType, Uint8Array.of(0xc3, 0x28));
    expect(parseError(model(graph({ nodes: [n] }))).message).toBe('model.onnx: graph.node[0]: op_type is not valid UTF-8');
  });
});

describe('tensors', () => {
  const initializer = (spec: Parameters<typeof tensor>[0]) => parseError(modelWithInitializers(tensor(spec))).message;

  test('negative dims', () => {
    expect(initializer({ name: 'neg', dims: [2, -1], dataType: DT.FLOAT })).toBe("model.onnx: graph.initializer[0] 'neg': dims[1] is negative (-1)");
  });

  test('dims whose product overflows (2^40 x 2^40) or that are over 2^53 - 1', () => {
    expect(initializer({ name: 'big', dims: [2 ** 40, 2 ** 40], dataType: DT.FLOAT })).toBe(
      "model.onnx: graph.initializer[0] 'big': dims [1099511627776, 1099511627776] has more than 2^53 - 1 elements",
    );
    expect(initializer({ name: 'bytes', dims: [2 ** 26, 2 ** 26], dataType: DT.INT64 })).toBe(
      "model.onnx: graph.initializer[0] 'bytes': INT64 [67108864, 67108864] needs more than 2^53 - 1 bytes",
    );
    const t = new ProtoWriter().int64(TENSOR.dims, 2n ** 60n).int64(TENSOR.dataType, DT.FLOAT).string(TENSOR.name, 'huge');
    expect(parseError(modelWithInitializers(t)).message).toBe("model.onnx: graph.initializer[0] 'huge': dims[0] is 1152921504606846976, over 2^53 - 1");
    const many = new Array<number>(20_000).fill(2 ** 20);
    expect(initializer({ name: 'many', dims: many, dataType: DT.FLOAT })).toMatch(/'many': dims \[1048576, .*\.\.\. \(20000 dims\)\] has more than 2\^53 - 1 elements$/);
  });

  test('raw_data length mismatch', () => {
    expect(initializer({ name: 'onnx::MatMul_1234', dims: [80, 80], dataType: DT.FLOAT, raw: new Uint8Array(100) })).toBe(
      "model.onnx: graph.initializer[0] 'onnx::MatMul_1234': raw_data has 100 bytes but FLOAT [80, 80] needs 25600",
    );
    expect(initializer({ name: 'h', dims: [3], dataType: DT.FLOAT16, raw: new Uint8Array(7) })).toBe(
      "model.onnx: graph.initializer[0] 'h': raw_data has 7 bytes but FLOAT16 [3] needs 6",
    );
  });

  test('typed field count mismatch', () => {
    expect(initializer({ name: 'f', dims: [2, 3], dataType: DT.FLOAT, floats: [1, 2, 3, 4, 5] })).toBe(
      "model.onnx: graph.initializer[0] 'f': float_data has 5 values but FLOAT [2, 3] needs 6",
    );
    expect(initializer({ name: 'i', dims: [2], dataType: DT.INT64, int64s: [1, 2, 3] })).toBe(
      "model.onnx: graph.initializer[0] 'i': int64_data has 3 values but INT64 [2] needs 2",
    );
    const packed = new ProtoWriter().int64(TENSOR.dims, 3).int64(TENSOR.dataType, DT.FLOAT).string(TENSOR.name, 'p').bytes(TENSOR.floatData, new Uint8Array(10));
    expect(parseError(modelWithInitializers(packed)).message).toBe('model.onnx: graph.initializer[0]: packed float_data has 10 bytes, not a multiple of 4');
  });

  test('unsupported and missing data_type', () => {
    expect(initializer({ name: 's', dims: [1], dataType: DT.STRING })).toBe(
      "model.onnx: graph.initializer[0] 's': data_type 8 (STRING) is not supported (supported: FLOAT, INT32, INT64, FLOAT16, DOUBLE, BFLOAT16)",
    );
    expect(initializer({ name: 'q', dims: [1], dataType: 99 })).toMatch(/'q': data_type 99 \(unknown\) is not supported/);
    expect(initializer({ name: 'n', dims: [1] })).toBe("model.onnx: graph.initializer[0] 'n': has no data_type");
  });

  test('no data, data in two fields, data in the wrong field', () => {
    expect(initializer({ name: 'e', dims: [2], dataType: DT.FLOAT })).toBe(
      "model.onnx: graph.initializer[0] 'e': has no data for FLOAT [2] (none of raw_data, float_data or external data)",
    );
    expect(initializer({ name: 'two', dims: [1], dataType: DT.FLOAT, floats: [1], raw: f32Bytes([1]) })).toBe(
      "model.onnx: graph.initializer[0] 'two': holds data in more than one field (raw_data, float_data)",
    );
    expect(initializer({ name: 'w', dims: [1], dataType: DT.INT64, floats: [1] })).toBe(
      "model.onnx: graph.initializer[0] 'w': float_data cannot hold INT64 data (INT64 uses int64_data or raw_data)",
    );
    expect(initializer({ name: 'x', dims: [1], dataType: DT.FLOAT, raw: f32Bytes([1]), external: [['location', 'w.bin']], location: 0 })).toBe(
      "model.onnx: graph.initializer[0] 'x': has external_data but data_location is not EXTERNAL",
    );
    expect(initializer({ name: 'l', dims: [1], dataType: DT.FLOAT, raw: f32Bytes([1]), location: 2 })).toBe(
      "model.onnx: graph.initializer[0] 'l': data_location 2 is neither DEFAULT (0) nor EXTERNAL (1)",
    );
  });

  test('FLOAT16 bits outside 16 bits in int32_data are rejected when converted', () => {
    const m = parseOnnxModel(modelWithInitializers(tensor({ name: 'h', dims: [2], dataType: DT.FLOAT16, int32s: [0x3c00, 0x10000] })), 'model.onnx');
    expect(formatError(() => (m.graph.initializers.get('h') as OnnxTensorRef).toFloat32())).toBe(
      "model.onnx: graph.initializer[0] 'h': int32_data[1] = 65536 is not a 16-bit pattern for FLOAT16",
    );
  });

  test('initializers without a name or with a repeated name', () => {
    const w = () => tensor({ name: 'w', dims: [1], dataType: DT.FLOAT, floats: [1] });
    expect(parseError(modelWithInitializers(w(), w())).message).toBe("model.onnx: graph: initializer[1]: two initializers are named 'w'");
    expect(parseError(modelWithInitializers(tensor({ dims: [1], dataType: DT.FLOAT, floats: [1] }))).message).toBe(
      'model.onnx: graph: initializer[0] has no name',
    );
  });

  test('a Constant node value is validated the same way', () => {
    const value = new ProtoWriter()
      .string(ATTRIBUTE.name, 'value')
      .message(ATTRIBUTE.t, tensor({ dims: [3], dataType: DT.INT64, int64s: [1, 2] }))
      .int64(ATTRIBUTE.type, 4);
    expect(parseError(model(graph({ nodes: [node('Constant', [], ['c'], [value])] }))).message).toBe(
      'model.onnx: graph.node[0].attribute[0].t: int64_data has 2 values but INT64 [3] needs 3',
    );
  });

  test('the byte budget (maxBytes) is checked before anything is allocated', () => {
    // Packed int64_data: one byte per zero in the file, eight once decoded.
    const zeros = (name: string) =>
      new ProtoWriter().int64(TENSOR.dims, 200).int64(TENSOR.dataType, DT.INT64).string(TENSOR.name, name).bytes(TENSOR.int64Data, new Uint8Array(200));
    const bytes = modelWithInitializers(zeros('a'), zeros('b'));
    expect(parseError(bytes, { maxBytes: 2000 }).message).toBe(
      "model.onnx: graph.initializer[1] 'b': needs 1600 bytes, which brings the model's tensor data over the limit of 2000 bytes (maxBytes)",
    );
    expect(parseOnnxModel(bytes, 'model.onnx', { maxBytes: 3200 }).graph.initializers.size).toBe(2);
    expect(parseError(bytes, { maxBytes: 100 }).message).toMatch(/^model\.onnx: is \d+ bytes, over the maxBytes limit of 100$/);
    expect(() => parseOnnxModel(bytes, 'model.onnx', { maxBytes: 0 })).toThrow(ArgumentError);
    expect(() => readOnnxModel(VIT, { maxBytes: 1000 })).toThrow(/model\.onnx: is 487362 bytes, over the maxBytes limit of 1000/);
  });
});

describe('attributes and nodes', () => {
  const withAttribute = (a: ProtoWriter) => parseError(model(graph({ nodes: [node('Op', ['x'], ['y'], [a])] }))).message;

  test('type missing, unknown, or not matching the value field', () => {
    expect(withAttribute(new ProtoWriter().string(ATTRIBUTE.name, 'axis').int64(ATTRIBUTE.i, 1))).toBe("model.onnx: graph.node[0].attribute[0]: 'axis' has no type");
    expect(withAttribute(new ProtoWriter().string(ATTRIBUTE.name, 'axis').int64(ATTRIBUTE.type, 42))).toBe(
      "model.onnx: graph.node[0].attribute[0]: 'axis' has unknown type 42",
    );
    expect(withAttribute(new ProtoWriter().string(ATTRIBUTE.name, 'axis').float(ATTRIBUTE.floats, 1).int64(ATTRIBUTE.type, 2))).toBe(
      "model.onnx: graph.node[0].attribute[0]: 'axis' has type INT but also sets floats",
    );
    expect(withAttribute(new ProtoWriter().string(ATTRIBUTE.name, 'value').int64(ATTRIBUTE.type, 4))).toBe(
      "model.onnx: graph.node[0].attribute[0]: 'value' has type TENSOR but no t",
    );
    expect(withAttribute(new ProtoWriter().int64(ATTRIBUTE.i, 1).int64(ATTRIBUTE.type, 2))).toBe('model.onnx: graph.node[0].attribute[0]: has no name');
  });

  test('int values beyond 2^53 - 1', () => {
    expect(withAttribute(new ProtoWriter().string(ATTRIBUTE.name, 'ends').int64(ATTRIBUTE.ints, 2n ** 63n - 1n).int64(ATTRIBUTE.type, 7))).toBe(
      "model.onnx: graph.node[0].attribute[0]: 'ends' ints[0] = 9223372036854775807 is outside ±(2^53 - 1)",
    );
  });

  test('a missing op_type, a repeated attribute name', () => {
    expect(parseError(model(graph({ nodes: [new ProtoWriter().string(NODE.name, 'n0')] }))).message).toBe("model.onnx: graph.node[0]: 'n0' has no op_type");
    const axis = () => new ProtoWriter().string(ATTRIBUTE.name, 'axis').int64(ATTRIBUTE.i, 1).int64(ATTRIBUTE.type, 2);
    expect(parseError(model(graph({ nodes: [node('Op', [], [], [axis(), axis()])] }))).message).toBe(
      "model.onnx: graph.node[0]: has two attributes named 'axis'",
    );
  });

  test('a missing scalar reads as zero, as proto3 writers omit it', () => {
    const a = new ProtoWriter().string(ATTRIBUTE.name, 'axis').int64(ATTRIBUTE.type, 2);
    const m = parseOnnxModel(model(graph({ nodes: [node('Op', [], [], [a])] })));
    expect(m.graph.nodes[0].attributes.get('axis')).toEqual({ kind: 'int', value: 0 });
  });
});

describe('sparse initializers', () => {
  const values = (n: number) => tensor({ name: 'sp', dims: [n], dataType: DT.FLOAT, floats: Array.from({ length: n }, (_, i) => i + 1) });
  const linear = (indices: bigint[]) => tensor({ name: 'idx', dims: [indices.length], dataType: DT.INT64, raw: i64Bytes(indices) });
  const sparseModel = (s: ProtoWriter) => model(graph({ sparse: [s] }));

  test('densified through the same validator', () => {
    const m = parseOnnxModel(sparseModel(sparseTensor(values(2), linear([1n, 5n]), [2, 3])));
    const sp = m.graph.initializers.get('sp') as OnnxTensorRef;
    expect([sp.dims, sp.size]).toEqual([[2, 3], 6]);
    expect(Array.from(sp.toFloat32().data)).toEqual([0, 1, 0, 0, 0, 2]);
  });

  test('indices out of range', () => {
    expect(parseError(sparseModel(sparseTensor(values(2), linear([1n, 12n]), [3, 4]))).message).toBe(
      "model.onnx: graph.sparse_initializer[0] 'sp': indices[1] = 12 is outside [0, 12)",
    );
    expect(parseError(sparseModel(sparseTensor(values(1), linear([-1n]), [3, 4]))).message).toMatch(/'sp': indices\[0\] = -1 is outside \[0, 12\)/);
    const coordinates = tensor({ name: 'idx', dims: [1, 2], dataType: DT.INT64, int64s: [0, 4] });
    expect(parseError(sparseModel(sparseTensor(values(1), coordinates, [3, 4]))).message).toBe(
      "model.onnx: graph.sparse_initializer[0] 'sp': indices[0, 1] = 4 is outside [0, 4)",
    );
  });

  test('indices not ascending, counts inconsistent, wrong types', () => {
    expect(parseError(sparseModel(sparseTensor(values(2), linear([3n, 3n]), [3, 4]))).message).toMatch(/'sp': indices\[1\] is not after indices\[0\]/);
    expect(parseError(sparseModel(sparseTensor(values(3), linear([0n, 1n]), [3, 4]))).message).toBe(
      "model.onnx: graph.sparse_initializer[0] 'sp': indices have dims [2]; with 3 values and 2 dims they must be [3] or [3, 2]",
    );
    expect(parseError(sparseModel(sparseTensor(values(3), linear([0n, 1n, 2n]), [1, 2]))).message).toMatch(/'sp': has 3 values but dims \[1, 2\] hold only 2/);
    const intIndices = tensor({ name: 'idx', dims: [1], dataType: DT.INT32, int32s: [0] });
    expect(parseError(sparseModel(sparseTensor(values(1), intIndices, [3]))).message).toMatch(/'sp': indices must be INT64/);
    const matrixValues = tensor({ name: 'sp', dims: [1, 1], dataType: DT.FLOAT, floats: [1] });
    expect(parseError(sparseModel(sparseTensor(matrixValues, linear([0n]), [3]))).message).toMatch(/'sp': values must have dims \[NNZ\], received \[1, 1\]/);
    const badValues = tensor({ name: 'sp', dims: [2], dataType: DT.FLOAT, floats: [1] });
    expect(parseError(sparseModel(sparseTensor(badValues, linear([0n, 1n]), [3]))).message).toBe(
      "model.onnx: graph.sparse_initializer[0].values 'sp': float_data has 1 values but FLOAT [2] needs 2",
    );
    expect(parseError(sparseModel(new ProtoWriter().message(1, values(1)).int64(3, 4))).message).toBe("model.onnx: graph.sparse_initializer[0] 'sp': has no indices");
  });

  test('a dense size over the budget is rejected before densifying', () => {
    const bytes = sparseModel(sparseTensor(values(1), linear([0n]), [1 << 20, 1 << 10]));
    expect(parseError(bytes, { maxBytes: 1 << 20 }).message).toMatch(/'sp': needs 4294967296 bytes, which brings the model's tensor data over the limit/);
  });
});

describe('files', () => {
  test('readOnnxModel rejects a folder', () => {
    expect(() => readOnnxModel(path.dirname(VIT))).toThrow(/vit-odd: not a regular file/);
  });

  test('GRAPH.input without a type gives elemType 0 and no shape', () => {
    const g = graph({}).message(GRAPH.input, new ProtoWriter().string(1, 'x'));
    expect(parseOnnxModel(model(g)).graph.inputs).toEqual([{ name: 'x', elemType: 0, dims: [], hasShape: false }]);
  });
});
