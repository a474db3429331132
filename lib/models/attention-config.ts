/**
 * Efficient attention per layer, from config.json: the key `tessera_attention` holds one spec
 * for every layer or an array with one spec (or null for full attention) per layer. Specs name
 * grid patterns over the model's patch tokens; the class token is always global.
 *   { "type": "full" }
 *   { "type": "neighborhood", "window": [kh, kw], "dilation"?: [dh, dw] }   2D local windows
 *       (TimeSformer joint attention: [kh, kw, kt] over its [gh, gw, T] token grid)
 *   { "type": "axial", "axes": [..] }                                       rows / columns
 *   { "type": "local_global", "window": [...], "global_tokens": [i, ...] }   windows plus extra
 *       global tokens (positions in the sequence, the class token being 0)
 * A spec compiles once per input grid (cached for the grids used last), shared by every layer that uses it.
 */
import { FormatError } from '../errors';
import type { JsonObject } from '../io/json-file';
import { isJsonObject } from '../io/json-file';
import type { PatternFor } from '../nn/block';
import { RECENT_SHAPES } from '../nn/program-cache';
import { RecentCache } from '../nn/recent-cache';
import { CompiledPattern } from '../patterns/compile';
import { normalizePattern } from '../patterns/index';
import type { Pattern } from '../patterns/types';

export const ATTENTION_CONFIG_KEY = 'tessera_attention';

/** A layer's pattern for a token grid with `offset` leading global tokens (null: full attention). */
type GridPattern = (grid: readonly number[], offset: number) => Pattern | null;

function intList(value: unknown, key: string, file: string, where: string): number[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => Number.isSafeInteger(v) && v >= 0)) {
    throw new FormatError(file, `'${ATTENTION_CONFIG_KEY}'${where}.${key}: expected a non-empty array of non-negative integers, received ${JSON.stringify(value)}`);
  }
  return value as number[];
}

/** Pads a window given for the first axes with 1 (e.g. [kh, kw] on a [gh, gw, T] grid: within a frame). */
function padded(window: readonly number[], rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => window[i] ?? 1);
}

function parseSpec(spec: unknown, file: string, where: string): GridPattern {
  if (spec === null) return () => null;
  if (!isJsonObject(spec)) throw new FormatError(file, `'${ATTENTION_CONFIG_KEY}'${where}: expected an object or null, received ${JSON.stringify(spec)}`);
  const s = spec as JsonObject;
  switch (s.type) {
    case 'full':
      return () => null;
    case 'neighborhood': {
      const window = intList(s.window, 'window', file, where);
      const dilation = s.dilation === undefined ? null : intList(s.dilation, 'dilation', file, where);
      return (grid, offset) => ({ type: 'neighborhood', grid, window: padded(window, grid.length), ...(dilation ? { dilation: padded(dilation, grid.length) } : {}), offset });
    }
    case 'axial': {
      const axes = intList(s.axes, 'axes', file, where);
      return (grid, offset) => ({ type: 'axial', grid, axes, offset });
    }
    case 'local_global': {
      const window = intList(s.window, 'window', file, where);
      const tokens = intList(s.global_tokens ?? [], 'global_tokens', file, where);
      return (grid, offset) => ({
        type: 'global',
        tokens: [...new Set([...Array.from({ length: offset }, (_, i) => i), ...tokens])],
        inner: { type: 'neighborhood', grid, window: padded(window, grid.length), offset },
      });
    }
    default:
      throw new FormatError(file, `'${ATTENTION_CONFIG_KEY}'${where}.type: expected full, neighborhood, axial or local_global, received ${JSON.stringify(s.type)}`);
  }
}

/**
 * A pattern function compiled once per token grid ([gh, gw] or [gh, gw, T]) with `offset`
 * leading global tokens; `make` returns null for full attention. Compilation errors go to `fail`.
 */
export function patternPerGrid(make: (grid: readonly number[]) => Pattern | null, offset: number, fail: (error: Error, grid: readonly number[]) => Error = (e) => e): PatternFor {
  const cache = new RecentCache<CompiledPattern | undefined>(RECENT_SHAPES);
  return (grid) =>
    cache.get(grid.join('x'), () => {
      const pattern = make(grid);
      const n = offset + grid.reduce((a, b) => a * b, 1);
      try {
        return pattern ? new CompiledPattern(normalizePattern(pattern, n, n), n, n, false) : undefined;
      } catch (error) {
        throw fail(error as Error, grid);
      }
    });
}

function compiled(make: GridPattern, offset: number, file: string, where: string): PatternFor {
  return patternPerGrid(
    (grid) => make(grid, offset),
    offset,
    (error, grid) => new FormatError(file, `'${ATTENTION_CONFIG_KEY}'${where} on the token grid [${grid.join(', ')}]: ${error.message}`),
  );
}

/** Per layer, the pattern function for `layers` layers (undefined entries: full attention). */
export function readAttentionPatterns(obj: JsonObject, file: string, layers: number, offset = 1): (PatternFor | undefined)[] {
  const raw = obj[ATTENTION_CONFIG_KEY];
  if (raw === undefined || raw === null) return new Array<undefined>(layers).fill(undefined);
  if (!Array.isArray(raw)) {
    const shared = compiled(parseSpec(raw, file, ''), offset, file, '');
    return new Array<PatternFor>(layers).fill(shared);
  }
  if (raw.length !== layers) {
    throw new FormatError(file, `'${ATTENTION_CONFIG_KEY}': expected one entry per layer (${layers}), received ${raw.length}`);
  }
  return raw.map((spec, i) => (spec === null ? undefined : compiled(parseSpec(spec, file, `[${i}]`), offset, file, `[${i}]`)));
}
