/**
 * Reading JSON files that come from outside (Hugging Face config.json, preprocessor_config.json)
 * and typed field readers for them. Files are untrusted: the size is checked against a cap before
 * anything is read, the text must be valid UTF-8 JSON without repeated keys, and every error is a
 * FormatError naming the file, the key and what was received.
 *
 * Errors from the file system itself (a missing file, no permission) are Node's own errors
 * (code 'ENOENT', 'EACCES', ...), which name the path.
 */
import * as fs from 'node:fs';
import { ArgumentError, FormatError } from '../errors';

/** The default cap of readJsonFile: 16 MiB, far above any model config. */
export const DEFAULT_MAX_JSON_BYTES = 16 * 1024 * 1024;

/** A parsed JSON object; read its fields with the readers below. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** How much of a received value an error message shows. */
const DESCRIBE_CHARS = 60;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A short description of a JSON value for error messages: `"768"`, `1.5`, `null`, `[1, 2]`,
 * `an object`; long values are cut.
 */
export function describeJsonValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return 'an object';
  const text = Array.isArray(value) ? `[${value.map((v) => JSON.stringify(v) ?? String(v)).join(', ')}]` : JSON.stringify(value) ?? String(value);
  return text.length > DESCRIBE_CHARS ? `${text.slice(0, DESCRIBE_CHARS)}...` : text;
}

/** Whether `value` is a JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Index of the quote that closes the JSON string opening at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i;
}

/** The first character after `from` that is not JSON whitespace. */
function nextToken(text: string, from: number): string | undefined {
  let i = from;
  while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  return text[i];
}

/**
 * The first key that appears twice in one object of `text`, or undefined. `text` must already be
 * valid JSON (JSON.parse accepted it). JSON.parse keeps the last copy of a repeated key while other
 * parsers keep the first, so a file with one is ambiguous; readers here reject it.
 */
export function findDuplicateKey(text: string): string | undefined {
  // One entry per open container: the keys seen so far for an object, null for an array.
  const open: (Set<string> | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') open.push(new Set());
    else if (c === '[') open.push(null);
    else if (c === '}' || c === ']') open.pop();
    else if (c === '"') {
      const end = stringEnd(text, i);
      const keys = open[open.length - 1];
      if (keys && nextToken(text, end + 1) === ':') {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      i = end;
    }
  }
  return undefined;
}

/**
 * Parses JSON text read from `file`: a syntax error or a repeated key becomes a FormatError
 * naming the file (`what` says which part of it the text is, e.g. 'header').
 */
export function parseJsonText(text: string, file: string, what: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FormatError(file, `${what} is not valid JSON (${(error as Error).message})`);
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) {
    throw new FormatError(file, `${what} repeats the key '${duplicate}' (JSON readers disagree on which copy counts)`);
  }
  return value;
}

/** Reads exactly `target.length` bytes at `position` of an open file. */
export function readExactly(fd: number, target: Uint8Array, position: number, file: string): void {
  let done = 0;
  while (done < target.length) {
    const read = fs.readSync(fd, target, done, target.length - done, position + done);
    if (read === 0) {
      throw new FormatError(file, `ended at byte ${position + done} while reading ${target.length} bytes at ${position} (was it truncated?)`);
    }
    done += read;
  }
}

/** readExactly through a FileHandle: fills target with the bytes at position without blocking the event loop. */
export async function readExactlyAsync(handle: fs.promises.FileHandle, target: Uint8Array, position: number, file: string): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const { bytesRead } = await handle.read(target, done, target.length - done, position + done);
    if (bytesRead === 0) {
      throw new FormatError(file, `ended at byte ${position + done} while reading ${target.length} bytes at ${position} (was it truncated?)`);
    }
    done += bytesRead;
  }
}

function checkMaxBytes(maxBytes: unknown): number {
  if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new ArgumentError('maxBytes', `expected a positive integer, received ${String(maxBytes)}`);
  }
  return maxBytes;
}

/**
 * Reads and parses a JSON file of at most `maxBytes` bytes. The size is checked (fstat of the
 * opened file) before anything is allocated; a UTF-8 byte-order mark is allowed.
 * Throws FormatError for a file that is not a regular file, too large, not UTF-8 or not JSON.
 */
export function readJsonFile(file: string, maxBytes: number = DEFAULT_MAX_JSON_BYTES): unknown {
  const cap = checkMaxBytes(maxBytes);
  const fd = fs.openSync(file, 'r');
  let bytes: Uint8Array;
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new FormatError(file, 'not a regular file');
    if (stat.size > cap) throw new FormatError(file, `is ${stat.size} bytes, over the ${cap}-byte limit for JSON files`);
    bytes = new Uint8Array(stat.size);
    readExactly(fd, bytes, 0, file);
  } finally {
    fs.closeSync(fd);
  }
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new FormatError(file, 'is not valid UTF-8 text');
  }
  return parseJsonText(text, file, 'content');
}

/** Checks that `value` (described as `what`, e.g. 'config.json' or 'vision_config') is a JSON object. */
export function jsonObject(value: unknown, file: string, what: string): JsonObject {
  if (!isJsonObject(value)) throw new FormatError(file, `${what}: expected a JSON object, received ${describeJsonValue(value)}`);
  return value;
}

/** An own field of `obj` (inherited names such as 'constructor' read as missing). */
function field(obj: JsonObject, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function fieldError(file: string, key: string, expected: string, value: unknown): FormatError {
  return new FormatError(file, `'${key}': expected ${expected}, received ${describeJsonValue(value)}`);
}

function isPositiveInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * An optional field: `fallback` when it is missing or null (Hugging Face configs write None as
 * null), otherwise it must pass `accept`.
 */
function optionalField<T, F>(obj: JsonObject, key: string, file: string, fallback: F, expected: string, accept: (v: unknown) => v is T): T | F {
  const value = field(obj, key);
  if (value === undefined || value === null) return fallback;
  if (!accept(value)) throw fieldError(file, key, expected, value);
  return value;
}

/** A required integer field >= 1, e.g. `hidden_size`. */
export function requiredPositiveInt(obj: JsonObject, key: string, file: string): number {
  const value = field(obj, key);
  if (!isPositiveInt(value)) throw fieldError(file, key, 'a positive integer', value);
  return value;
}

/** An optional integer field >= 1; `fallback` when missing or null. */
export function optionalPositiveInt<F>(obj: JsonObject, key: string, file: string, fallback: F): number | F {
  return optionalField(obj, key, file, fallback, 'a positive integer', isPositiveInt);
}

/** An optional finite number field, e.g. `layer_norm_eps`; `fallback` when missing or null. */
export function optionalNumber<F>(obj: JsonObject, key: string, file: string, fallback: F): number | F {
  return optionalField(obj, key, file, fallback, 'a finite number', isFiniteNumber);
}

/** An optional string field, e.g. `hidden_act`; `fallback` when missing or null. */
export function optionalString<F>(obj: JsonObject, key: string, file: string, fallback: F): string | F {
  return optionalField(obj, key, file, fallback, 'a string', (v): v is string => typeof v === 'string');
}

/** An optional boolean field, e.g. `qkv_bias`; `fallback` when missing or null. */
export function optionalBoolean<F>(obj: JsonObject, key: string, file: string, fallback: F): boolean | F {
  return optionalField(obj, key, file, fallback, 'true or false', (v): v is boolean => typeof v === 'boolean');
}

/** An optional array of finite numbers, e.g. `image_mean`; a copy, or `fallback` when missing or null. */
export function optionalNumberArray<F>(obj: JsonObject, key: string, file: string, fallback: F): number[] | F {
  const value = field(obj, key);
  if (value === undefined || value === null) return fallback;
  if (!Array.isArray(value)) throw fieldError(file, key, 'an array of numbers', value);
  value.forEach((v: unknown, i) => {
    if (!isFiniteNumber(v)) throw fieldError(file, `${key}[${i}]`, 'a finite number', v);
  });
  return [...(value as number[])];
}
