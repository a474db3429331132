/**
 * neighborhood and axial patterns: masks and key sets checked by hand against the semantics of
 * ARCHITECTURE.md ("Attention patterns"). Grid positions are row-major (last axis fastest) and
 * start at the offset; tokens before the grid are global.
 */
import { normalizePattern } from '../../lib';
import { keysOf, maskRows } from './mask-text';

describe('1D neighborhood (NATTEN): windows of min(k, m) keys, shifted inward at the edges', () => {
  test('window 3 on N = 7: query 0 sees 0, 1, 2; query 6 sees 4, 5, 6', () => {
    expect(maskRows({ type: 'neighborhood', grid: [7], window: [3] }, 7)).toEqual([
      'xxx....', // start clamp(0 - 1, 0, 4) = 0
      'xxx....',
      '.xxx...',
      '..xxx..',
      '...xxx.',
      '....xxx',
      '....xxx', // start clamp(6 - 1, 0, 4) = 4
    ]);
  });

  test('an even window 4 on N = 7 starts at p - 2', () => {
    expect(maskRows({ type: 'neighborhood', grid: [7], window: [4] }, 7)).toEqual([
      'xxxx...',
      'xxxx...',
      'xxxx...',
      '.xxxx..',
      '..xxxx.',
      '...xxxx',
      '...xxxx',
    ]);
  });

  test('a window larger than the axis clamps to the whole axis', () => {
    expect(maskRows({ type: 'neighborhood', grid: [4], window: [9] }, 4)).toEqual(['xxxx', 'xxxx', 'xxxx', 'xxxx']);
  });

  test('window 1 is the diagonal', () => {
    expect(maskRows({ type: 'neighborhood', grid: [3], window: [1] }, 3)).toEqual(['x..', '.x.', '..x']);
  });

  test('dilation 2 on an axis of 7: groups {0, 2, 4, 6} (m = 4) and {1, 3, 5} (m = 3)', () => {
    expect(maskRows({ type: 'neighborhood', grid: [7], window: [3], dilation: [2] }, 7)).toEqual([
      'x.x.x..', // group index 0 -> indices 0..2 of the even group
      '.x.x.x.', // the odd group has m = k = 3: every query sees all of it
      'x.x.x..',
      '.x.x.x.',
      '..x.x.x', // group index 2 -> start clamp(1, 0, 1) = 1
      '.x.x.x.',
      '..x.x.x',
    ]);
  });

  test('dilation larger than the axis leaves one-element groups', () => {
    expect(maskRows({ type: 'neighborhood', grid: [3], window: [3], dilation: [5] }, 3)).toEqual(['x..', '.x.', '..x']);
  });
});

describe('2D and 3D neighborhood', () => {
  // 5 x 4 grid, position = 4 * row + column; rows use start clamp(r - 1, 0, 2), columns clamp(c - 1, 0, 1)
  const grid54 = { type: 'neighborhood', grid: [5, 4], window: [3, 3] } as const;

  test.each([
    ['corner (0, 0)', 0, [0, 1, 2, 4, 5, 6, 8, 9, 10]],
    ['corner (4, 3)', 19, [9, 10, 11, 13, 14, 15, 17, 18, 19]],
    ['interior (2, 1)', 9, [4, 5, 6, 8, 9, 10, 12, 13, 14]],
    ['interior (2, 2)', 10, [5, 6, 7, 9, 10, 11, 13, 14, 15]],
    ['edge (0, 2)', 2, [1, 2, 3, 5, 6, 7, 9, 10, 11]],
  ])('window 3 x 3 on a 5 x 4 grid: %s', (_name, query, keys) => {
    expect(keysOf(grid54, 20, query)).toEqual(keys);
  });

  test('window [5, 1] on a 5 x 4 grid is column attention', () => {
    expect(keysOf({ type: 'neighborhood', grid: [5, 4], window: [5, 1] }, 20, 6)).toEqual([2, 6, 10, 14, 18]);
  });

  test('3D with T = 1 equals 2D on the frame (the window over T clamps to 1)', () => {
    const video = maskRows({ type: 'neighborhood', grid: [1, 4, 4], window: [3, 3, 3] }, 16);
    expect(video).toEqual(maskRows({ type: 'neighborhood', grid: [4, 4], window: [3, 3] }, 16));
  });

  test('3D window [1, 2, 2] on a 2 x 2 x 3 grid: query (1, 0, 2)', () => {
    // t: {1}; h: start clamp(0 - 1, 0, 0) = 0 -> {0, 1}; w: start clamp(2 - 1, 0, 1) = 1 -> {1, 2}
    expect(keysOf({ type: 'neighborhood', grid: [2, 2, 3], window: [1, 2, 2] }, 12, 8)).toEqual([7, 8, 10, 11]);
  });

  test('2D with dilation [1, 2]', () => {
    // 2 x 5 grid, window [1, 3]: each row alone; columns in groups {0, 2, 4} and {1, 3}
    expect(maskRows({ type: 'neighborhood', grid: [2, 5], window: [1, 3], dilation: [1, 2] }, 10)).toEqual([
      'x.x.x.....',
      '.x.x......',
      'x.x.x.....',
      '.x.x......',
      'x.x.x.....',
      '.....x.x.x',
      '......x.x.',
      '.....x.x.x',
      '......x.x.',
      '.....x.x.x',
    ]);
  });

  test('a class token (offset 1) is global: it sees every key and every query sees it', () => {
    // grid coordinates 0..3 at positions 1..4, window 3
    expect(maskRows({ type: 'neighborhood', grid: [4], window: [3], offset: 1 }, 5)).toEqual([
      'xxxxx',
      'xxxx.',
      'xxxx.',
      'x.xxx',
      'x.xxx',
    ]);
  });

  test('the normalized spec fills dilation with 1s and offset with 0', () => {
    expect(normalizePattern({ type: 'neighborhood', grid: [5, 4], window: [3, 3] }, 20, 20)).toEqual({
      type: 'neighborhood',
      grid: [5, 4],
      window: [3, 3],
      dilation: [1, 1],
      offset: 0,
    });
  });
});

describe('axial: equal coordinates on every axis not in axes', () => {
  // [T, H, W] = [2, 2, 3], position = 6 t + 3 h + w
  const video = { grid: [2, 2, 3] } as const;

  test('temporal attention: axes [0] of [T, H, W] (the same patch in every frame)', () => {
    expect(keysOf({ type: 'axial', ...video, axes: [0] }, 12, 5)).toEqual([5, 11]);
    expect(keysOf({ type: 'axial', ...video, axes: [0] }, 12, 6)).toEqual([0, 6]);
  });

  test('spatial attention: axes [1, 2] of [T, H, W] (inside each frame)', () => {
    expect(keysOf({ type: 'axial', ...video, axes: [1, 2] }, 12, 5)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(keysOf({ type: 'axial', ...video, axes: [1, 2] }, 12, 7)).toEqual([6, 7, 8, 9, 10, 11]);
  });

  test('rows of an image: axes [1] of [H, W]', () => {
    expect(maskRows({ type: 'axial', grid: [2, 3], axes: [1] }, 6)).toEqual(['xxx...', 'xxx...', 'xxx...', '...xxx', '...xxx', '...xxx']);
  });

  test('columns of an image: axes [0] of [H, W]', () => {
    expect(maskRows({ type: 'axial', grid: [2, 3], axes: [0] }, 6)).toEqual(['x..x..', '.x..x.', '..x..x', 'x..x..', '.x..x.', '..x..x']);
  });

  test('no axes is the diagonal, every axis is full', () => {
    expect(maskRows({ type: 'axial', grid: [3], axes: [] }, 3)).toEqual(['x..', '.x.', '..x']);
    expect(maskRows({ type: 'axial', grid: [1, 2], axes: [0, 1] }, 2)).toEqual(['xx', 'xx']);
  });

  test('a class token (offset 1) is global', () => {
    // grid [2, 2] at positions 1..4, rows: {1, 2} and {3, 4}
    expect(maskRows({ type: 'axial', grid: [2, 2], axes: [1], offset: 1 }, 5)).toEqual(['xxxxx', 'xxx..', 'xxx..', 'x..xx', 'x..xx']);
  });

  test('the normalized spec sorts the axes and fills the offset', () => {
    expect(normalizePattern({ type: 'axial', grid: [2, 2, 3], axes: [2, 1] }, 12, 12)).toEqual({ type: 'axial', grid: [2, 2, 3], axes: [1, 2], offset: 0 });
  });
});
