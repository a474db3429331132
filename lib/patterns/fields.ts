/**
 * Field checks shared by the pattern normalizers. Every error is an ArgumentError whose param is
 * the field's path (e.g. 'pattern.window[1]') and whose message says what was expected and what
 * was received.
 */
import { ArgumentError } from '../errors';
import type { PatternFields } from './kind';

const MAX_LISTED = 8;

/** A short, readable rendering of any received value. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return typeof value === 'function' ? 'a function' : String(value);
  if (isList(value)) {
    const items = Array.from({ length: Math.min(value.length, MAX_LISTED) }, (_, i) => describeValue(value[i]));
    return value.length > MAX_LISTED ? `[${items.join(', ')}, ... (${countEntries(value.length)})]` : `[${items.join(', ')}]`;
  }
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

/** A JS array or a typed array (not a DataView). */
export function isList(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

/** The inclusive integer range [min, max] in words. */
function describeInts(min: number, max: number): string {
  return max === Infinity ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
}

/** Checks that `value` (found at `param`) is a safe integer in [min, max]. */
export function checkInt(param: string, value: unknown, min: number, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ArgumentError(param, `expected ${describeInts(min, max)}, received ${describeValue(value)}`);
  }
  return value;
}

/** Reads the integer field `name` of a pattern at `path`; `fallback` when absent, if given. */
export function readInt(fields: PatternFields, name: string, path: string, min: number, max = Infinity, fallback?: number): number {
  const value = fields[name];
  if (value === undefined && fallback !== undefined) return fallback;
  return checkInt(`${path}.${name}`, value, min, max);
}

export interface IntListRule {
  /** Allowed entry counts, inclusive. */
  length: readonly [number, number];
  /** Why that count, e.g. 'one per grid axis'. */
  lengthReason?: string;
  /** Allowed entry values, inclusive. */
  min: number;
  max?: number;
}

/** '1 entry', '12 entries'. */
export function countEntries(count: number): string {
  return `${count} ${count === 1 ? 'entry' : 'entries'}`;
}

/** '2 entries', '1 to 3 entries', 'entries' (any number). */
function describeCount([lo, hi]: readonly [number, number]): string {
  if (lo === hi) return countEntries(lo);
  if (hi !== Infinity) return `${lo} to ${hi} entries`;
  return lo === 0 ? 'entries' : `at least ${lo} entries`;
}

/** Reads the integer-list field `name` (an array or typed array) of a pattern at `path`, as a new array. */
export function readIntList(fields: PatternFields, name: string, path: string, rule: IntListRule): number[] {
  const param = `${path}.${name}`;
  const value = fields[name];
  const [lo, hi] = rule.length;
  if (!isList(value) || value.length < lo || value.length > hi) {
    const reason = rule.lengthReason ? ` (${rule.lengthReason})` : '';
    const entries = `${describeCount(rule.length)}${reason}, each ${describeInts(rule.min, rule.max ?? Infinity)}`;
    throw new ArgumentError(param, `expected an array of ${entries}, received ${describeValue(value)}`);
  }
  return Array.from(value, (item, i) => checkInt(`${param}[${i}]`, item, rule.min, rule.max));
}

