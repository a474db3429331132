/**
 * ProgramCache: prepared passes are reused per shape, concurrent users get their own, and only
 * the most recently used shapes keep idle passes.
 */
import { ProgramCache } from '../../lib/nn/program-cache';

/** A cache of numbered "passes" that counts how many were built. */
function counting(perShape: number, shapes: number): { cache: ProgramCache<number>; built: () => number; take: (key: string) => number } {
  const cache = new ProgramCache<number>(perShape, shapes);
  let count = 0;
  return { cache, built: () => count, take: (key) => cache.acquire(key, () => ++count) };
}

test('a released pass serves the next call of its shape; two calls at once get two passes', () => {
  const { cache, built, take } = counting(2, 4);
  const a = take('1x3x224x224');
  cache.release('1x3x224x224', a);
  expect(take('1x3x224x224')).toBe(a);
  const b = take('1x3x224x224');
  expect(b).not.toBe(a);
  expect(built()).toBe(2);
});

test('at most perShape idle passes are kept for one shape', () => {
  const { cache, built, take } = counting(2, 4);
  const passes = [take('s'), take('s'), take('s')];
  for (const p of passes) cache.release('s', p);
  take('s');
  take('s');
  take('s');
  expect(built()).toBe(4);
});

test('only the most recently used shapes keep their passes (many batch sizes stay bounded)', () => {
  const { cache, built, take } = counting(2, 3);
  for (const batch of [1, 2, 3, 4]) cache.release(`b${batch}`, take(`b${batch}`));
  expect(built()).toBe(4);
  take('b2'); // kept: one of the three last used
  expect(built()).toBe(4);
  take('b1'); // evicted when b4 came: rebuilt
  expect(built()).toBe(5);
});

test('using a shape again makes it the most recent one', () => {
  const { cache, built, take } = counting(1, 2);
  cache.release('a', take('a'));
  cache.release('b', take('b'));
  cache.release('a', take('a')); // a is now newer than b
  cache.release('c', take('c')); // evicts b, not a
  take('a');
  expect(built()).toBe(3);
  take('b');
  expect(built()).toBe(4);
});

test('clear drops every idle pass', () => {
  const { cache, built, take } = counting(2, 4);
  cache.release('s', take('s'));
  cache.clear();
  take('s');
  expect(built()).toBe(2);
});
