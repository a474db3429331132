/**
 * Invalid patterns and options: each gives an ArgumentError (code ERR_TESSERA_INVALID_ARGUMENT)
 * whose param is the path of the faulty field and whose message says what was expected and
 * what was received.
 */
import { ArgumentError, combinedMask, normalizePattern, renderPatternPng } from '../../lib';

interface ErrorCase {
  name: string;
  pattern: unknown;
  n?: number;
  nk?: number;
  param: string;
  /** Pieces the message must contain: what was expected and what was received. */
  message: (string | RegExp)[];
}

const NEIGHBORHOOD = { type: 'neighborhood', grid: [4, 5], window: [3, 3] };
const AXIAL = { type: 'axial', grid: [2, 2, 5], axes: [1, 2] };

const CASES: ErrorCase[] = [
  { name: 'not an object', pattern: 'sliding', param: 'pattern', message: ['expected a pattern object', 'received "sliding"'] },
  { name: 'null', pattern: null, param: 'pattern', message: ['received null'] },
  { name: 'an array', pattern: [1], param: 'pattern', message: ['received [1]'] },
  {
    name: 'unknown type',
    pattern: { type: 'local', radius: 1 },
    param: 'pattern.type',
    message: ["expected one of 'full', 'sliding', 'strided', 'fixed', 'neighborhood', 'axial', 'global', 'mask'", 'received "local"'],
  },
  { name: 'missing type', pattern: { radius: 1 }, param: 'pattern.type', message: ['received undefined'] },
  { name: 'unknown field', pattern: { ...NEIGHBORHOOD, dilations: [2, 2] }, param: 'pattern.dilations', message: ['type, grid, window, dilation, offset', "unknown field 'dilations'"] },
  { name: 'radius missing', pattern: { type: 'sliding' }, param: 'pattern.radius', message: ['expected an integer >= 0', 'received undefined'] },
  { name: 'radius negative', pattern: { type: 'sliding', radius: -1 }, param: 'pattern.radius', message: ['received -1'] },
  { name: 'radius not an integer', pattern: { type: 'sliding', radius: 1.5 }, param: 'pattern.radius', message: ['received 1.5'] },
  { name: 'radius a string', pattern: { type: 'sliding', radius: '2' }, param: 'pattern.radius', message: ['received "2"'] },
  { name: 'stride 0', pattern: { type: 'strided', stride: 0 }, param: 'pattern.stride', message: ['expected an integer >= 1', 'received 0'] },
  { name: 'fixed without block', pattern: { type: 'fixed', summary: 1 }, param: 'pattern.block', message: ['received undefined'] },
  { name: 'summary > block', pattern: { type: 'fixed', block: 4, summary: 5 }, param: 'pattern.summary', message: ['expected an integer in [0, 4]', 'received 5'] },
  { name: 'window 0', pattern: { ...NEIGHBORHOOD, window: [3, 0] }, param: 'pattern.window[1]', message: ['expected an integer >= 1', 'received 0'] },
  { name: 'window not an integer', pattern: { ...NEIGHBORHOOD, window: [2.5, 3] }, param: 'pattern.window[0]', message: ['received 2.5'] },
  {
    name: 'window of the wrong length',
    pattern: { ...NEIGHBORHOOD, window: [3] },
    param: 'pattern.window',
    message: ['expected an array of 2 entries (one per grid axis), each an integer >= 1', 'received [3]'],
  },
  { name: 'window missing', pattern: { type: 'neighborhood', grid: [20] }, param: 'pattern.window', message: ['received undefined'] },
  { name: 'dilation 0', pattern: { ...NEIGHBORHOOD, dilation: [1, 0] }, param: 'pattern.dilation[1]', message: ['received 0'] },
  { name: 'dilation of the wrong length', pattern: { ...NEIGHBORHOOD, dilation: [1, 1, 1] }, param: 'pattern.dilation', message: ['received [1, 1, 1]'] },
  { name: 'offset negative', pattern: { ...NEIGHBORHOOD, offset: -1 }, param: 'pattern.offset', message: ['expected an integer >= 0', 'received -1'] },
  {
    name: 'grid product != N',
    pattern: { ...NEIGHBORHOOD, grid: [5, 5] },
    param: 'pattern.grid',
    message: ['expected N - offset = 20 - 0 = 20 cells', 'received [5, 5] (25 cells)'],
  },
  { name: 'grid product != N - offset', pattern: { ...NEIGHBORHOOD, offset: 1 }, param: 'pattern.grid', message: ['20 - 1 = 19 cells', 'received [4, 5] (20 cells)'] },
  { name: 'grid of 4 axes', pattern: { ...AXIAL, grid: [1, 2, 2, 5] }, param: 'pattern.grid', message: ['1 to 3 entries', 'received [1, 2, 2, 5]'] },
  { name: 'empty grid', pattern: { ...AXIAL, grid: [] }, param: 'pattern.grid', message: ['received []'] },
  { name: 'grid size 0', pattern: { ...AXIAL, grid: [0, 20] }, param: 'pattern.grid[0]', message: ['received 0'] },
  { name: 'axis out of range', pattern: { ...AXIAL, axes: [3] }, param: 'pattern.axes[0]', message: ['expected an integer in [0, 2]', 'received 3'] },
  { name: 'axis negative', pattern: { ...AXIAL, axes: [0, -1] }, param: 'pattern.axes[1]', message: ['received -1'] },
  { name: 'axis duplicated', pattern: { ...AXIAL, axes: [1, 2, 1] }, param: 'pattern.axes[2]', message: ['expected distinct axes', 'axis 1 again in [1, 2, 1]'] },
  { name: 'axes not a list', pattern: { ...AXIAL, axes: 1 }, param: 'pattern.axes', message: ['received 1'] },
  {
    name: 'global token out of range',
    pattern: { type: 'global', tokens: [0, 20], inner: { type: 'full' } },
    param: 'pattern.tokens[1]',
    message: ['expected an integer in [0, 19]', 'received 20'],
  },
  { name: 'global without inner', pattern: { type: 'global', tokens: [0] }, param: 'pattern.inner', message: ['expected a pattern object', 'received undefined'] },
  {
    name: 'invalid inner pattern',
    pattern: { type: 'global', tokens: [0], inner: { ...NEIGHBORHOOD, window: [0, 3] } },
    param: 'pattern.inner.window[0]',
    message: ['received 0'],
  },
  {
    name: 'mask of the wrong size',
    pattern: { type: 'mask', bits: new Uint8Array(11) },
    n: 3,
    nk: 4,
    param: 'pattern.bits',
    message: ['expected a Uint8Array or an array of booleans with Nq * Nk = 3 * 4 = 12 entries (row-major)', 'received 11 entries'],
  },
  {
    name: 'mask entry not a bit',
    pattern: { type: 'mask', bits: [1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0] },
    n: 3,
    nk: 4,
    param: 'pattern.bits[6]',
    message: ['expected true, false, 1 or 0 (row 1, column 2)', 'received 2'],
  },
  { name: 'mask bits missing', pattern: { type: 'mask' }, param: 'pattern.bits', message: ['received undefined'] },
  {
    name: 'Nq != Nk for a self-attention pattern',
    pattern: { type: 'sliding', radius: 1 },
    n: 4,
    nk: 6,
    param: 'pattern',
    message: ["expected Nq == Nk (a 'sliding' pattern is self-attention over one sequence)", 'received Nq = 4, Nk = 6'],
  },
];

test.each(CASES)('$name -> ArgumentError on $param', ({ pattern, n = 20, nk = n, param, message }) => {
  let error: unknown;
  try {
    normalizePattern(pattern, n, nk);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ArgumentError);
  const argumentError = error as ArgumentError;
  expect(argumentError.code).toBe('ERR_TESSERA_INVALID_ARGUMENT');
  expect(argumentError.param).toBe(param);
  for (const piece of message) expect(argumentError.message).toEqual(expect.stringContaining(piece as string));
});

test('the sequence lengths must be positive integers', () => {
  expect(() => normalizePattern({ type: 'full' }, 0, 3)).toThrow(expect.objectContaining({ param: 'nq' }));
  expect(() => normalizePattern({ type: 'full' }, 3, 2.5)).toThrow(expect.objectContaining({ param: 'nk' }));
});

test('combinedMask checks causal and keyLength', () => {
  const spec = normalizePattern({ type: 'full' }, 2, 3);
  expect(() => combinedMask(spec, 2, 3, { keyLength: 4 })).toThrow(expect.objectContaining({ param: 'keyLength', message: 'keyLength: expected an integer in [0, 3], received 4' }));
  expect(() => combinedMask(spec, 2, 3, { causal: 'yes' as unknown as boolean })).toThrow(expect.objectContaining({ param: 'causal' }));
});

test('renderPatternPng checks its shape and scale', () => {
  const full = { type: 'full' } as const;
  expect(() => renderPatternPng(full, { n: 0 })).toThrow(expect.objectContaining({ param: 'shape.n' }));
  expect(() => renderPatternPng(full, { nq: 2 } as unknown as { n: number })).toThrow(expect.objectContaining({ param: 'shape' }));
  expect(() => renderPatternPng(full, { n: 4 }, { scale: 0 })).toThrow(expect.objectContaining({ param: 'scale' }));
  expect(() => renderPatternPng(full, { n: 4096 }, { scale: 5 })).toThrow(expect.objectContaining({ param: 'scale', message: expect.stringContaining('at most 268435456 pixels') }));
});
