/**
 * `tessera render-pattern <pattern-json> --n N`: draws an attention pattern's Nq x Nk mask as a
 * PNG (allowed pairs dark), like the figures of the Sparse Transformer paper.
 */
import { parseArgs } from 'node:util';

import { ArgumentError } from '../errors';
import { countAllowedPairs, normalizePattern } from '../patterns/index';
import { renderPattern } from '../patterns/render';
import type { Command } from './command';
import { EXIT_OK, UsageError } from './command';
import { positiveInt } from './parse-options';

const DEFAULT_OUT = 'pattern.png';

const OPTIONS = {
  n: { type: 'string' },
  nq: { type: 'string' },
  nk: { type: 'string' },
  causal: { type: 'boolean' },
  scale: { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type RenderValues = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

const HELP = `Usage: tessera render-pattern <pattern-json> --n N [options]
       tessera render-pattern <pattern-json> --nq NQ --nk NK [options]

Draws an attention pattern as a PNG: row i is query i (top to bottom), column j is key j
(left to right); a pair the pattern allows is a dark cell, any other pair a white one.
<pattern-json> is one pattern object as JSON (quote it for the shell), for example
  '{"type":"sliding","radius":2}'
  '{"type":"neighborhood","grid":[8,8],"window":[3,3]}'
  '{"type":"global","tokens":[0],"inner":{"type":"axial","grid":[2,4,4],"axes":[1,2],"offset":1}}'
Types: full, sliding, strided, fixed, neighborhood, axial, global, mask.

Options:
  --n N          sequence length (queries = keys)
  --nq N --nk N  queries and keys separately (full and mask patterns)
  --causal       also require key j <= query i
  --scale S      pixels per cell side; default the largest that keeps the image within 512 pixels
  --out FILE     the PNG to write; default ${DEFAULT_OUT}
  -h, --help     show this help`;

function parseCommandLine(args: string[]): { values: RenderValues; positionals: string[] } {
  try {
    return parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function readPatternJson(positionals: string[]): unknown {
  if (positionals.length !== 1) {
    const received = positionals.length === 0 ? 'none' : `${positionals.length}: ${positionals.join(' ')}`;
    throw new UsageError(`expected one pattern as JSON, such as '{"type":"sliding","radius":2}', received ${received}`);
  }
  try {
    return JSON.parse(positionals[0]);
  } catch (error) {
    throw new UsageError(`<pattern-json>: ${(error as Error).message} in ${positionals[0]}`);
  }
}

function readShape(values: RenderValues): { nq: number; nk: number } {
  if (values.n !== undefined && values.nq === undefined && values.nk === undefined) {
    const n = positiveInt('n', values.n);
    return { nq: n, nk: n };
  }
  if (values.n === undefined && values.nq !== undefined && values.nk !== undefined) {
    return { nq: positiveInt('nq', values.nq), nk: positiveInt('nk', values.nk) };
  }
  throw new UsageError('expected either --n N, or both --nq and --nk');
}

function percent(part: number, whole: number): string {
  return `${((100 * part) / whole).toFixed(1)}%`;
}

export const renderPatternCommand: Command = {
  summary: 'draw an attention pattern as a PNG',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseCommandLine(args);
    if (values.help) {
      io.out(HELP);
      return EXIT_OK;
    }
    const pattern = readPatternJson(positionals);
    const { nq, nk } = readShape(values);
    const options = { causal: values.causal ?? false, scale: values.scale === undefined ? undefined : positiveInt('scale', values.scale) };
    const out = values.out ?? DEFAULT_OUT;
    let pairs: number;
    try {
      const spec = normalizePattern(pattern, nq, nk);
      await renderPattern(spec, { nq, nk }, out, options);
      pairs = countAllowedPairs(spec, nq, nk, { causal: options.causal });
    } catch (error) {
      // A bad pattern or scale is a mistake in the command line; a failed write is not.
      throw error instanceof ArgumentError ? new UsageError(error.message) : error;
    }
    io.out(`wrote ${out}: ${nq} queries x ${nk} keys, ${pairs} of ${nq * nk} pairs allowed (${percent(pairs, nq * nk)})`);
    return EXIT_OK;
  },
};
