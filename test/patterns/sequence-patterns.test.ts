/**
 * full, sliding, strided and fixed patterns: masks checked by hand against the semantics of
 * ARCHITECTURE.md ("Attention patterns"); rows are queries i, columns keys j, 'x' = allowed.
 */
import { normalizePattern } from '../../lib';
import { maskRows } from './mask-text';

describe('full', () => {
  test('every query sees every key, also for Nq != Nk', () => {
    expect(maskRows({ type: 'full' }, 2, 3)).toEqual(['xxx', 'xxx']);
  });
});

describe('sliding {radius}: |i - j| <= radius', () => {
  test('radius 1 on N = 5', () => {
    expect(maskRows({ type: 'sliding', radius: 1 }, 5)).toEqual(['xx...', 'xxx..', '.xxx.', '..xxx', '...xx']);
  });

  test('radius 0 is the diagonal', () => {
    expect(maskRows({ type: 'sliding', radius: 0 }, 3)).toEqual(['x..', '.x.', '..x']);
  });

  test('a radius beyond the sequence is full', () => {
    expect(maskRows({ type: 'sliding', radius: 7 }, 3)).toEqual(['xxx', 'xxx', 'xxx']);
  });
});

describe('strided {stride}: |i - j| < stride or (i - j) mod stride == 0', () => {
  test('stride 3 on N = 10', () => {
    expect(maskRows({ type: 'strided', stride: 3 }, 10)).toEqual([
      'xxxx..x..x', // 0: 0-2 local, 3 6 9 strided
      'xxxxx..x..', // 1: 0-3 local, 4 7
      'xxxxxx..x.', // 2: 0-4 local, 5 8
      'xxxxxxx..x', // 3: 1-5 local, 0 6 9
      '.xxxxxxx..', // 4: 2-6 local, 1 7
      '..xxxxxxx.', // 5: 3-7 local, 2 8
      'x..xxxxxxx', // 6: 4-8 local, 0 3 9
      '.x..xxxxxx', // 7: 5-9 local, 1 4
      '..x..xxxxx', // 8: 6-9 local, 2 5
      'x..x..xxxx', // 9: 7-9 local, 0 3 6
    ]);
  });

  test('stride 1 is full', () => {
    expect(maskRows({ type: 'strided', stride: 1 }, 3)).toEqual(['xxx', 'xxx', 'xxx']);
  });
});

describe('fixed {block, summary}: same block, or (j mod block) >= block - summary', () => {
  test('block 4, summary 1 on N = 10 (a partial last block)', () => {
    // blocks [0..3] [4..7] [8..9]; summary keys 3 and 7
    expect(maskRows({ type: 'fixed', block: 4, summary: 1 }, 10)).toEqual([
      'xxxx...x..',
      'xxxx...x..',
      'xxxx...x..',
      'xxxx...x..',
      '...xxxxx..',
      '...xxxxx..',
      '...xxxxx..',
      '...xxxxx..',
      '...x...xxx',
      '...x...xxx',
    ]);
  });

  test('summary 0 is block-local, summary = block is full', () => {
    expect(maskRows({ type: 'fixed', block: 2, summary: 0 }, 4)).toEqual(['xx..', 'xx..', '..xx', '..xx']);
    expect(maskRows({ type: 'fixed', block: 2, summary: 2 }, 3)).toEqual(['xxx', 'xxx', 'xxx']);
  });

  test('block 3, summary 2 on N = 6', () => {
    // summary keys: j mod 3 >= 1, i.e. 1 2 4 5
    expect(maskRows({ type: 'fixed', block: 3, summary: 2 }, 6)).toEqual(['xxx.xx', 'xxx.xx', 'xxx.xx', '.xxxxx', '.xxxxx', '.xxxxx']);
  });
});

describe('causal and keyLength combine with a pattern', () => {
  const band = { type: 'sliding', radius: 1 } as const;

  test('causal: also j <= i', () => {
    expect(maskRows(band, 5, 5, { causal: true })).toEqual(['x....', 'xx...', '.xx..', '..xx.', '...xx']);
  });

  test('keyLength: also j < keyLength', () => {
    expect(maskRows(band, 5, 5, { keyLength: 3 })).toEqual(['xx...', 'xxx..', '.xx..', '..x..', '.....']);
  });

  test('causal with Nq != Nk is top-left aligned, as in the dense kernel', () => {
    expect(maskRows({ type: 'full' }, 3, 5, { causal: true, keyLength: 2 })).toEqual(['x....', 'xx...', 'xx...']);
  });
});

test('the normalized specs of these patterns are the patterns themselves', () => {
  expect(normalizePattern({ type: 'full' }, 2, 3)).toEqual({ type: 'full' });
  expect(normalizePattern({ type: 'sliding', radius: 2 }, 4, 4)).toEqual({ type: 'sliding', radius: 2 });
  expect(normalizePattern({ type: 'strided', stride: 3 }, 4, 4)).toEqual({ type: 'strided', stride: 3 });
  expect(normalizePattern({ type: 'fixed', block: 4, summary: 1 }, 4, 4)).toEqual({ type: 'fixed', block: 4, summary: 1 });
});
