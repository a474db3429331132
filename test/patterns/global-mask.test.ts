/** global and mask patterns, checked by hand against ARCHITECTURE.md ("Attention patterns"). */
import type { Pattern } from '../../lib';
import { normalizePattern } from '../../lib';
import { maskRows } from './mask-text';

describe('global {tokens, inner}', () => {
  const diagonal = { type: 'sliding', radius: 0 } as const;

  test('global tokens see every key and are seen by every query; inner decides the rest', () => {
    expect(maskRows({ type: 'global', tokens: [4, 1], inner: diagonal }, 6)).toEqual([
      'xx..x.',
      'xxxxxx', // token 1
      '.xx.x.',
      '.x.xx.',
      'xxxxxx', // token 4
      '.x..xx',
    ]);
  });

  test('a class token over a neighborhood grid', () => {
    const inner = { type: 'neighborhood', grid: [4], window: [1], offset: 1 } as const;
    const withToken = maskRows({ type: 'global', tokens: [0], inner }, 5);
    expect(withToken).toEqual(maskRows(inner, 5));
    expect(withToken).toEqual(['xxxxx', 'xx...', 'x.x..', 'x..x.', 'x...x']);
  });

  test('global patterns nest', () => {
    const pattern: Pattern = { type: 'global', tokens: [0], inner: { type: 'global', tokens: [3], inner: diagonal } };
    expect(maskRows(pattern, 4)).toEqual(['xxxx', 'xx.x', 'x.xx', 'xxxx']);
  });

  test('the normalized spec has sorted, de-duplicated Int32Array tokens and a normalized inner', () => {
    const spec = normalizePattern({ type: 'global', tokens: [4, 1, 4], inner: { type: 'axial', grid: [6], axes: [0] } }, 6, 6);
    expect(spec).toEqual({ type: 'global', tokens: Int32Array.from([1, 4]), inner: { type: 'axial', grid: [6], axes: [0], offset: 0 } });
  });

  test('no tokens leaves the inner pattern', () => {
    expect(maskRows({ type: 'global', tokens: [], inner: diagonal }, 2)).toEqual(['x.', '.x']);
  });
});

describe('mask {bits}', () => {
  test('an explicit Nq x Nk matrix, row-major, with an empty row', () => {
    expect(maskRows({ type: 'mask', bits: Uint8Array.from([1, 0, 1, 0, 0, 0]) }, 2, 3)).toEqual(['x.x', '...']);
  });

  test('booleans and 0/1 arrays (as in JSON) give the same spec', () => {
    const expected = { type: 'mask', bits: Uint8Array.from([0, 1, 1, 0]) };
    expect(normalizePattern({ type: 'mask', bits: [false, true, true, false] }, 2, 2)).toEqual(expected);
    expect(normalizePattern({ type: 'mask', bits: [0, 1, 1, 0] }, 2, 2)).toEqual(expected);
  });

  test('the spec owns a copy of the bits', () => {
    const bits = Uint8Array.from([1, 1]);
    const spec = normalizePattern({ type: 'mask', bits }, 1, 2);
    bits[0] = 0;
    expect(spec).toEqual({ type: 'mask', bits: Uint8Array.from([1, 1]) });
  });
});
