/** Command-line option parsing on node:util's parseArgs, with mistakes reported as UsageErrors. */
import type { ParseArgsConfig } from 'node:util';
import { parseArgs } from 'node:util';

import { UsageError } from './command';

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Parses `--name value` and `--flag` options strictly: no positionals, no unknown options. */
export function parseOptions<T extends OptionsConfig>(args: string[], options: T): ReturnType<typeof parseArgs<{ options: T; args: string[] }>>['values'] {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function positiveInt(option: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`--${option}: expected a positive integer, received '${text}'`);
  }
  return value;
}

export function positiveIntList(option: string, text: string): number[] {
  return text.split(',').map((item) => positiveInt(option, item));
}

export function choiceList<T extends string>(option: string, text: string, allowed: readonly T[]): T[] {
  return text.split(',').map((item) => {
    if (!allowed.includes(item as T)) {
      throw new UsageError(`--${option}: expected a comma-separated list of ${allowed.join(', ')}, received '${item}'`);
    }
    return item as T;
  });
}
