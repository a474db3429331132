/**
 * readJsonFile and the config field readers: valid files parse; oversized, non-UTF-8, non-JSON
 * or ambiguous (repeated key) files, and fields of the wrong type, give a FormatError naming the
 * file, the key and what was received.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ArgumentError, FormatError } from '../../lib/errors';
import {
  DEFAULT_MAX_JSON_BYTES,
  describeJsonValue,
  findDuplicateKey,
  jsonObject,
  optionalBoolean,
  optionalNumber,
  optionalNumberArray,
  optionalPositiveInt,
  optionalString,
  readJsonFile,
  requiredPositiveInt,
} from '../../lib/io/json-file';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-json-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

let fileCount = 0;
function writeTemp(content: string | Uint8Array, name = 'config.json'): string {
  const file = path.join(dir, `${fileCount++}-${name}`);
  fs.writeFileSync(file, content);
  return file;
}

/** Runs `call`, expecting a FormatError about `file`; returns its message without the file prefix. */
function formatErrorOf(call: () => unknown, file: string): string {
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(FormatError);
  expect((thrown as FormatError).file).toBe(file);
  expect((thrown as FormatError).message.startsWith(`${file}: `)).toBe(true);
  return (thrown as FormatError).message.slice(file.length + 2);
}

describe('readJsonFile', () => {
  it('parses a config (a byte-order mark is allowed)', () => {
    const config = { model_type: 'vit', hidden_size: 768, image_mean: [0.5, 0.5, 0.5], qkv_bias: true, label: 'ünï' };
    expect(readJsonFile(writeTemp(JSON.stringify(config, null, 2)))).toEqual(config);
    expect(readJsonFile(writeTemp(`\ufeff${JSON.stringify(config)}`))).toEqual(config);
    expect(readJsonFile(writeTemp('[1, 2]'))).toEqual([1, 2]);
  });

  it('rejects a file over the cap from its size, before reading any of it', () => {
    const file = writeTemp(JSON.stringify({ pad: 'x'.repeat(200) }));
    const spy = jest.spyOn(fs, 'readSync');
    try {
      expect(formatErrorOf(() => readJsonFile(file, 100), file)).toBe(`is ${fs.statSync(file).size} bytes, over the 100-byte limit for JSON files`);
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
    expect(DEFAULT_MAX_JSON_BYTES).toBe(16 * 1024 * 1024);
  });

  it('a file exactly at the cap is read', () => {
    expect(readJsonFile(writeTemp('{"a": 1}'), 8)).toEqual({ a: 1 });
  });

  it.each([
    ['truncated JSON', '{"hidden_size": 768,', /^content is not valid JSON \(.+\)$/],
    ['an empty file', '', /^content is not valid JSON/],
    ['a repeated key', '{"hidden_size": 768, "hidden_size": 1024}', /^content repeats the key 'hidden_size'/],
    ['a repeated nested key', '{"a": [{"b": 1}, {"b": 2, "b": 3}]}', /^content repeats the key 'b'/],
  ])('rejects %s', (_name, content, message) => {
    const file = writeTemp(content);
    expect(formatErrorOf(() => readJsonFile(file), file)).toMatch(message);
  });

  it('rejects text that is not UTF-8', () => {
    const file = writeTemp(Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]));
    expect(formatErrorOf(() => readJsonFile(file), file)).toBe('is not valid UTF-8 text');
  });

  it('rejects a folder; a missing file is Node’s ENOENT', () => {
    expect(formatErrorOf(() => readJsonFile(dir), dir)).toBe('not a regular file');
    expect(() => readJsonFile(path.join(dir, 'missing.json'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it.each([0, -1, 1.5, NaN, '10'])('maxBytes %p is an ArgumentError', (maxBytes) => {
    expect(() => readJsonFile(dir, maxBytes as number)).toThrow(ArgumentError);
    expect(() => readJsonFile(dir, maxBytes as number)).toThrow(expect.objectContaining({ param: 'maxBytes' }));
  });
});

describe('findDuplicateKey', () => {
  it.each([
    ['{}', undefined],
    ['{"a": 1, "b": {"a": 2}}', undefined], // the same key in different objects is fine
    ['[{"a": 1}, {"a": 2}]', undefined],
    ['{"a": "a", "b": ["a", "a"]}', undefined], // string values are not keys
    ['{"k\\"": 1, "k\\\\": 2}', undefined],
    ['{"a": 1, "a": 2}', 'a'],
    ['{"x": {"y": [1, {"z": 0, "z": 1}]}}', 'z'],
    ['{"\\u0061": 1, "a": 2}', 'a'],
    ['{"a": {"b": 1}, "a": 3}', 'a'],
  ])('%s -> %p', (text, duplicate) => {
    expect(findDuplicateKey(text)).toBe(duplicate);
  });
});

describe('field readers', () => {
  const FILE = 'config.json';
  const config = jsonObject(
    {
      hidden_size: 768,
      layer_norm_eps: 1e-12,
      hidden_act: 'gelu',
      qkv_bias: true,
      image_mean: [0.5, 0.25],
      num_frames: null,
      bad_int: 0,
      fraction: 1.5,
      text_int: '768',
      text_bool: 'true',
      mixed: [0.5, 'x'],
      not_array: 0.5,
      big: 2 ** 60,
    },
    FILE,
    'config.json',
  );

  it('jsonObject accepts objects only', () => {
    expect(jsonObject({ a: 1 }, FILE, 'config')).toEqual({ a: 1 });
    expect(formatErrorOf(() => jsonObject([1], FILE, 'vision_config'), FILE)).toBe('vision_config: expected a JSON object, received [1]');
    expect(formatErrorOf(() => jsonObject(null, FILE, 'config'), FILE)).toBe('config: expected a JSON object, received null');
    expect(formatErrorOf(() => jsonObject('x', FILE, 'config'), FILE)).toBe('config: expected a JSON object, received "x"');
  });

  it('read present values and fall back when missing or null', () => {
    expect(requiredPositiveInt(config, 'hidden_size', FILE)).toBe(768);
    expect(optionalPositiveInt(config, 'hidden_size', FILE, 1)).toBe(768);
    expect(optionalPositiveInt(config, 'num_frames', FILE, 8)).toBe(8);
    expect(optionalPositiveInt(config, 'missing', FILE, undefined)).toBeUndefined();
    expect(optionalNumber(config, 'layer_norm_eps', FILE, 1e-6)).toBe(1e-12);
    expect(optionalNumber(config, 'missing', FILE, 1e-6)).toBe(1e-6);
    expect(optionalString(config, 'hidden_act', FILE, 'relu')).toBe('gelu');
    expect(optionalString(config, 'num_frames', FILE, 'none')).toBe('none');
    expect(optionalBoolean(config, 'qkv_bias', FILE, false)).toBe(true);
    expect(optionalBoolean(config, 'missing', FILE, false)).toBe(false);
    const mean = optionalNumberArray(config, 'image_mean', FILE, [0, 0]);
    expect(mean).toEqual([0.5, 0.25]);
    expect(mean).not.toBe(config.image_mean); // a copy
    expect(optionalNumberArray(config, 'missing', FILE, [1, 2, 3])).toEqual([1, 2, 3]);
  });

  it('inherited names read as missing', () => {
    expect(optionalString(config, 'constructor', FILE, 'fallback')).toBe('fallback');
    expect(optionalNumber(config, 'toString', FILE, 3)).toBe(3);
    expect(formatErrorOf(() => requiredPositiveInt(config, '__proto__', FILE), FILE)).toBe("'__proto__': expected a positive integer, received undefined");
  });

  it.each([
    ['missing required int', () => requiredPositiveInt(config, 'num_layers', FILE), "'num_layers': expected a positive integer, received undefined"],
    ['null required int', () => requiredPositiveInt(config, 'num_frames', FILE), "'num_frames': expected a positive integer, received null"],
    ['zero', () => requiredPositiveInt(config, 'bad_int', FILE), "'bad_int': expected a positive integer, received 0"],
    ['fraction', () => optionalPositiveInt(config, 'fraction', FILE, 1), "'fraction': expected a positive integer, received 1.5"],
    ['int as text', () => requiredPositiveInt(config, 'text_int', FILE), `'text_int': expected a positive integer, received "768"`],
    ['beyond 2^53', () => requiredPositiveInt(config, 'big', FILE), "'big': expected a positive integer, received 1152921504606847000"],
    ['number as text', () => optionalNumber(config, 'text_int', FILE, 0), `'text_int': expected a finite number, received "768"`],
    ['string of a number', () => optionalString(config, 'hidden_size', FILE, ''), "'hidden_size': expected a string, received 768"],
    ['boolean as text', () => optionalBoolean(config, 'text_bool', FILE, false), `'text_bool': expected true or false, received "true"`],
    ['array entry', () => optionalNumberArray(config, 'mixed', FILE, []), `'mixed[1]': expected a finite number, received "x"`],
    ['not an array', () => optionalNumberArray(config, 'not_array', FILE, []), "'not_array': expected an array of numbers, received 0.5"],
    ['object for a number', () => optionalNumber({ x: { y: 1 } }, 'x', FILE, 0), "'x': expected a finite number, received an object"],
  ])('%s', (_name, call, message) => {
    expect(formatErrorOf(call, FILE)).toBe(message);
  });

  it('describeJsonValue keeps messages short', () => {
    expect(describeJsonValue('x'.repeat(500))).toBe(`"${'x'.repeat(59)}...`);
    expect(describeJsonValue([1, 'a', null])).toBe('[1, "a", null]');
    expect(describeJsonValue(undefined)).toBe('undefined');
  });
});
