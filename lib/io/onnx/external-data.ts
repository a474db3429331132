/**
 * ONNX external data: a TensorProto with data_location = EXTERNAL keeps its raw little-endian
 * bytes in another file, described by `external_data` key/value entries:
 *
 *   location  (required) a POSIX path relative to the model's folder
 *   offset    (optional) the byte where the data starts, a decimal integer; 0 when absent
 *   length    (optional) the data's byte length, a decimal integer; to the end of the file when absent
 *   checksum  (optional) a SHA-1 of the file; accepted, not verified
 *
 * The location is untrusted: it must stay inside the model's folder. Absolute paths, `..`
 * segments, backslashes and drive letters are rejected, and the real paths (symlinks resolved)
 * of the folder and the file are compared, so a symlink cannot lead out either. offset + length
 * must lie inside the file. All of this is checked when the model is read; the bytes are read
 * only when asked for, after checking that the file is still the one that was checked.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readExactly } from '../json-file';
import type { Fail } from './protobuf-reader';


/** A checked reference to a tensor's bytes in a file inside the model's folder. */
export interface ExternalData {
  /** The location as the model wrote it. */
  readonly location: string;
  /** The file's real path (symlinks resolved), inside the model folder's real path. */
  readonly path: string;
  readonly offset: number;
  readonly length: number;
  /** Identity of the checked file, compared again before reading. */
  readonly stat: fs.Stats;
}

const KEYS = ['location', 'offset', 'length', 'checksum'] as const;
type Key = (typeof KEYS)[number];

/** The entries as a key -> value record, each key at most once and known. */
function entriesByKey(entries: readonly (readonly [string, string])[], fail: Fail): Partial<Record<Key, string>> {
  const byKey: Partial<Record<Key, string>> = {};
  for (const [key, value] of entries) {
    if (!(KEYS as readonly string[]).includes(key)) throw fail(`external_data has an unknown key '${key}' (known: ${KEYS.join(', ')})`);
    if (byKey[key as Key] !== undefined) throw fail(`external_data repeats the key '${key}'`);
    byKey[key as Key] = value;
  }
  return byKey;
}

/** Checks the written location: relative, POSIX, no `..`; returns it unchanged. */
function checkLocation(location: string | undefined, fail: Fail): string {
  if (location === undefined || location === '') throw fail("external_data has no 'location'");
  const quoted = `external data location '${location}'`;
  if (location.includes('\0')) throw fail(`${quoted} contains a NUL character`);
  if (location.includes('\\')) throw fail(`${quoted} contains a backslash; locations are POSIX paths relative to the model's folder`);
  if (/^[A-Za-z]:/.test(location)) throw fail(`${quoted} starts with a drive letter; it must be relative to the model's folder`);
  if (path.posix.isAbsolute(location)) throw fail(`${quoted} is an absolute path; it must be relative to the model's folder`);
  if (location.split('/').includes('..')) throw fail(`${quoted} has a '..' segment; it must stay inside the model's folder`);
  return location;
}

/** A decimal integer entry in [0, 2^53 - 1], or undefined when absent. */
function parseInteger(key: Key, value: string | undefined, fail: Fail): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(number)) {
    throw fail(`external_data '${key}' must be a decimal integer in [0, 2^53 - 1], received '${value.slice(0, 40)}'`);
  }
  return number;
}

/** The real path of `location` under `baseDir`, checked to be a regular file inside it. */
function resolveInside(baseDir: string, location: string, fail: Fail): { real: string; stat: fs.Stats } {
  const base = fs.realpathSync(baseDir);
  let real: string;
  try {
    real = fs.realpathSync(path.join(base, location));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw fail(`external data file '${location}' does not exist in ${baseDir}`);
    throw error;
  }
  if (real !== base && !real.startsWith(base.endsWith(path.sep) ? base : base + path.sep)) {
    throw fail(`external data location '${location}' resolves to ${real}, outside the model's folder ${base}`);
  }
  const stat = fs.statSync(real);
  if (!stat.isFile()) throw fail(`external data location '${location}' is not a regular file`);
  return { real, stat };
}

/**
 * Checks a tensor's external_data entries against the files in `baseDir` (the model's folder):
 * keys, location, offset and length (see the module comment). Reads no tensor data.
 */
export function resolveExternalData(entries: readonly (readonly [string, string])[], baseDir: string, fail: Fail): ExternalData {
  const byKey = entriesByKey(entries, fail);
  const location = checkLocation(byKey.location, fail);
  const offset = parseInteger('offset', byKey.offset, fail) ?? 0;
  const explicitLength = parseInteger('length', byKey.length, fail);
  const { real, stat } = resolveInside(baseDir, location, fail);
  if (offset > stat.size) throw fail(`external data offset ${offset} is past the end of '${location}' (${stat.size} bytes)`);
  const length = explicitLength ?? stat.size - offset;
  if (length > stat.size - offset) {
    throw fail(`external data offset ${offset} + length ${length} runs past the end of '${location}' (${stat.size} bytes)`);
  }
  return { location, path: real, offset, length, stat };
}

/**
 * Reads the data into `target` (exactly `data.length` bytes), after checking that the file still
 * has the inode, size and modification time it had when it was checked.
 */
export function readExternalData(data: ExternalData, target: Uint8Array, fail: Fail): void {
  const fd = fs.openSync(data.path, 'r');
  try {
    const now = fs.fstatSync(fd);
    const { stat } = data;
    if (now.ino !== stat.ino || now.dev !== stat.dev || now.size !== stat.size || now.mtimeMs !== stat.mtimeMs) {
      throw fail(`external data file '${data.location}' changed on disk since the model was read; read the model again`);
    }
    readExactly(fd, target, data.offset, data.path);
  } finally {
    fs.closeSync(fd);
  }
}
