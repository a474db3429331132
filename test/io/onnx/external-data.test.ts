/**
 * ONNX external data: a model saved by onnx.save_model(save_as_external_data=True) reads back as
 * numpy reads it, data is read only when converted, and locations that leave the model's folder
 * (absolute, `..`, backslashes, drive letters, symlinks), ranges past the end of the file and
 * malformed external_data entries are rejected with a FormatError naming the tensor.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FormatError } from '../../../lib/errors';
import type { OnnxTensorRef } from '../../../lib/io/onnx';
import { OnnxDataType, parseOnnxModel, readOnnxModel } from '../../../lib/io/onnx';
import { DT, f32Bytes, modelWithInitializers, tensor } from './proto-builders';

const FIXTURE = path.join(__dirname, '..', '..', 'fixtures', 'onnx');
const expected = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'expected.json'), 'utf8')) as {
  external: { initializers: Record<string, { dims: number[]; values: (number | string)[] }> };
};

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-onnx-external-'));
});
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

let folderCount = 0;
/** A fresh folder holding `files` (name -> bytes); returns its path. */
function folderWith(files: Record<string, Uint8Array>): string {
  const dir = path.join(root, `m${folderCount++}`);
  fs.mkdirSync(dir);
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
  return dir;
}

/** 16 bytes: the fp32 values 1, 2, 3, 4. */
const DATA = f32Bytes([1, 2, 3, 4]);

/** A model with one FLOAT [4] initializer 'w' whose data is external, with these entries. */
function externalModel(entries: readonly (readonly [string, string])[], dims: number[] = [4]): Uint8Array {
  return modelWithInitializers(tensor({ name: 'w', dims, dataType: DT.FLOAT, external: entries }));
}

/** Writes the model (and `files`) into a fresh folder, reads it, and returns the FormatError's message. */
function readError(entries: readonly (readonly [string, string])[], files: Record<string, Uint8Array> = { 'w.bin': DATA }): string {
  const dir = folderWith({ ...files, 'model.onnx': externalModel(entries) });
  try {
    readOnnxModel(path.join(dir, 'model.onnx'));
  } catch (error) {
    expect(error).toBeInstanceOf(FormatError);
    return (error as FormatError).message.replaceAll(dir, '<dir>');
  }
  throw new Error('expected a FormatError');
}

describe('a model saved with onnx save_as_external_data', () => {
  test('reads as numpy_helper reads it', () => {
    const m = readOnnxModel(path.join(FIXTURE, 'external', 'model.onnx'));
    const want = expected.external.initializers;
    expect([...m.graph.initializers.keys()].sort()).toEqual(Object.keys(want).sort());
    const get = (n: string) => m.graph.initializers.get(n) as OnnxTensorRef;
    expect(get('weight').dims).toEqual(want.weight.dims);
    expect(Array.from(get('weight').toFloat32().data)).toEqual(want.weight.values);
    expect(get('bias').dataType).toBe(OnnxDataType.FLOAT16);
    expect(Array.from(get('bias').toFloat32().data)).toEqual(want.bias.values);
    expect([...get('shape').toInt64()].map(String)).toEqual(want.shape.values);
    expect(m.graph.nodes.map((n) => n.opType)).toEqual(['MatMul', 'Cast', 'Add', 'Reshape']);
  });

  test('parseOnnxModel needs a baseDir for external data', () => {
    const bytes = fs.readFileSync(path.join(FIXTURE, 'external', 'model.onnx'));
    expect(() => parseOnnxModel(bytes, 'model.onnx')).toThrow(
      "model.onnx: graph.initializer[0] 'weight': uses external data, but the model was parsed from a buffer without a baseDir",
    );
    const m = parseOnnxModel(bytes, 'model.onnx', { baseDir: path.join(FIXTURE, 'external') });
    expect((m.graph.initializers.get('weight') as OnnxTensorRef).toFloat32().shape).toEqual([4, 3]);
  });
});

describe('offset and length', () => {
  test('offset and length select the bytes; length absent runs to the end of the file', () => {
    const bytes = Buffer.concat([Buffer.from('header!!'), DATA]);
    const dir = folderWith({ 'w.bin': bytes, 'model.onnx': externalModel([['location', 'w.bin'], ['offset', '8'], ['length', '16'], ['checksum', 'ignored']]) });
    expect(Array.from((readOnnxModel(path.join(dir, 'model.onnx')).graph.initializers.get('w') as OnnxTensorRef).toFloat32().data)).toEqual([1, 2, 3, 4]);
    const tail = folderWith({ 'w.bin': bytes, 'model.onnx': externalModel([['location', './w.bin'], ['offset', '8']]) });
    expect(Array.from((readOnnxModel(path.join(tail, 'model.onnx')).graph.initializers.get('w') as OnnxTensorRef).toFloat32().data)).toEqual([1, 2, 3, 4]);
  });

  test('a subfolder of the model folder is fine', () => {
    const dir = folderWith({ 'model.onnx': externalModel([['location', 'weights/w.bin']]) });
    fs.mkdirSync(path.join(dir, 'weights'));
    fs.writeFileSync(path.join(dir, 'weights', 'w.bin'), DATA);
    expect((readOnnxModel(path.join(dir, 'model.onnx')).graph.initializers.get('w') as OnnxTensorRef).toFloat32().data).toEqual(Float32Array.of(1, 2, 3, 4));
  });

  test('offset + length beyond the file', () => {
    expect(readError([['location', 'w.bin'], ['offset', '8'], ['length', '16']])).toBe(
      "<dir>/model.onnx: graph.initializer[0] 'w': external data offset 8 + length 16 runs past the end of 'w.bin' (16 bytes)",
    );
    expect(readError([['location', 'w.bin'], ['offset', '17']])).toMatch(/'w': external data offset 17 is past the end of 'w.bin' \(16 bytes\)$/);
    expect(readError([['location', 'w.bin'], ['length', '1000000000000']])).toMatch(/offset 0 \+ length 1000000000000 runs past the end of 'w.bin'/);
  });

  test('a length that does not match the dims', () => {
    expect(readError([['location', 'w.bin'], ['length', '12']])).toBe(
      "<dir>/model.onnx: graph.initializer[0] 'w': external data 'w.bin' has 12 bytes but FLOAT [4] needs 16",
    );
    expect(readError([['location', 'w.bin'], ['offset', '4']])).toMatch(/external data 'w\.bin' has 12 bytes but FLOAT \[4\] needs 16$/);
  });

  test('offset and length must be decimal integers', () => {
    for (const value of ['-1', '0x10', '1e3', '', ' 8', '9007199254740993']) {
      expect(readError([['location', 'w.bin'], ['offset', value]])).toMatch(/'w': external_data 'offset' must be a decimal integer in \[0, 2\^53 - 1\], received/);
    }
  });
});

describe('locations that leave the model folder', () => {
  test('an absolute path', () => {
    expect(readError([['location', '/etc/passwd']])).toBe(
      "<dir>/model.onnx: graph.initializer[0] 'w': external data location '/etc/passwd' is an absolute path; it must be relative to the model's folder",
    );
  });

  test('a `..` segment', () => {
    for (const location of ['../w.bin', 'a/../../w.bin', 'a/..', '..']) {
      expect(readError([['location', location]])).toMatch(new RegExp(`'w': external data location '${location.replace(/\./g, '\\.')}' has a '\\.\\.' segment`));
    }
  });

  test('backslashes, drive letters, NUL', () => {
    expect(readError([['location', '..\\w.bin']])).toMatch(/contains a backslash/);
    expect(readError([['location', 'C:w.bin']])).toMatch(/starts with a drive letter/);
    expect(readError([['location', 'w.bin\0.txt']])).toMatch(/contains a NUL character/);
  });

  test('a symlink whose real path leaves the folder', () => {
    const outside = folderWith({ 'secret.bin': DATA });
    const dir = folderWith({ 'model.onnx': externalModel([['location', 'w.bin']]) });
    fs.symlinkSync(path.join(outside, 'secret.bin'), path.join(dir, 'w.bin'));
    expect(() => readOnnxModel(path.join(dir, 'model.onnx'))).toThrow(
      new RegExp(`'w': external data location 'w\\.bin' resolves to .*secret\\.bin, outside the model's folder`),
    );
    // A symlinked folder that leaves, too.
    const viaFolder = folderWith({ 'model.onnx': externalModel([['location', 'link/secret.bin']]) });
    fs.symlinkSync(outside, path.join(viaFolder, 'link'));
    expect(() => readOnnxModel(path.join(viaFolder, 'model.onnx'))).toThrow(/outside the model's folder/);
  });

  test('a symlink that stays inside the folder is fine, and so is a model folder reached through a symlink', () => {
    const dir = folderWith({ 'data.bin': DATA, 'model.onnx': externalModel([['location', 'w.bin']]) });
    fs.symlinkSync('data.bin', path.join(dir, 'w.bin'));
    expect((readOnnxModel(path.join(dir, 'model.onnx')).graph.initializers.get('w') as OnnxTensorRef).toFloat32().data).toEqual(Float32Array.of(1, 2, 3, 4));
    const link = path.join(root, `link${folderCount++}`);
    fs.symlinkSync(dir, link);
    expect((readOnnxModel(path.join(link, 'model.onnx')).graph.initializers.get('w') as OnnxTensorRef).toFloat32().data).toEqual(Float32Array.of(1, 2, 3, 4));
  });

  test('a missing file or a folder', () => {
    expect(readError([['location', 'missing.bin']])).toBe("<dir>/model.onnx: graph.initializer[0] 'w': external data file 'missing.bin' does not exist in <dir>");
    expect(readError([['location', '.']])).toMatch(/'w': external data location '\.' is not a regular file/);
  });
});

describe('external_data entries', () => {
  test('a duplicate key', () => {
    expect(readError([['location', 'w.bin'], ['offset', '0'], ['offset', '4']])).toBe("<dir>/model.onnx: graph.initializer[0] 'w': external_data repeats the key 'offset'");
    expect(readError([['location', 'w.bin'], ['location', 'other.bin']])).toMatch(/external_data repeats the key 'location'/);
  });

  test('unknown keys, no location, no entries', () => {
    expect(readError([['location', 'w.bin'], ['basepath', '/tmp']])).toMatch(/'w': external_data has an unknown key 'basepath' \(known: location, offset, length, checksum\)/);
    expect(readError([['offset', '0']])).toMatch(/'w': external_data has no 'location'$/);
    const dir = folderWith({ 'model.onnx': modelWithInitializers(tensor({ name: 'w', dims: [4], dataType: DT.FLOAT, location: 1 })) });
    expect(() => readOnnxModel(path.join(dir, 'model.onnx'))).toThrow(/'w': data_location is EXTERNAL but external_data is empty/);
  });

  test('external data and raw_data together', () => {
    const both = modelWithInitializers(tensor({ name: 'w', dims: [4], dataType: DT.FLOAT, raw: DATA, external: [['location', 'w.bin']] }));
    const dir = folderWith({ 'w.bin': DATA, 'model.onnx': both });
    expect(() => readOnnxModel(path.join(dir, 'model.onnx'))).toThrow(/'w': holds data in more than one field \(raw_data, external data\)/);
  });

  test('the byte budget covers external data', () => {
    const dir = folderWith({ 'w.bin': new Uint8Array(4000), 'model.onnx': externalModel([['location', 'w.bin']], [1000]) });
    expect(() => readOnnxModel(path.join(dir, 'model.onnx'), { maxBytes: 1000 })).toThrow(
      /'w': needs 4000 bytes, which brings the model's tensor data over the limit of 1000 bytes/,
    );
  });
});

describe('lazy reads', () => {
  test('the data is read only on toFloat32, from the file that was checked', () => {
    const dir = folderWith({ 'w.bin': DATA, 'model.onnx': externalModel([['location', 'w.bin']]) });
    const w = readOnnxModel(path.join(dir, 'model.onnx')).graph.initializers.get('w') as OnnxTensorRef;
    fs.truncateSync(path.join(dir, 'w.bin'), 8);
    expect(() => w.toFloat32()).toThrow(/'w': external data file 'w\.bin' changed on disk since the model was read; read the model again/);
    fs.rmSync(path.join(dir, 'w.bin'));
    fs.writeFileSync(path.join(dir, 'other.bin'), DATA);
    fs.renameSync(path.join(dir, 'other.bin'), path.join(dir, 'w.bin')); // same size, another inode
    expect(() => w.toFloat32()).toThrow(/changed on disk/);
  });
});
