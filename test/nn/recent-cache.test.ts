/**
 * RecentCache: a value per key, made once while the key stays among the most recently used.
 */
import { RecentCache } from '../../lib/nn/recent-cache';

/** A cache of capacity 2 whose values count how often each key was made. */
function counting(): { get: (key: string) => string; made: string[] } {
  const cache = new RecentCache<string>(2);
  const made: string[] = [];
  return {
    made,
    get: (key) =>
      cache.get(key, () => {
        made.push(key);
        return `value of ${key}`;
      }),
  };
}

test('a kept key is made once', () => {
  const { get, made } = counting();
  expect(get('14x14')).toBe('value of 14x14');
  expect(get('14x14')).toBe('value of 14x14');
  expect(made).toEqual(['14x14']);
});

test('the least recently used key goes when a new one exceeds the capacity', () => {
  const { get, made } = counting();
  get('a');
  get('b');
  get('a'); // a is now newer than b
  get('c'); // evicts b
  get('a');
  get('b');
  expect(made).toEqual(['a', 'b', 'c', 'b']);
});

test('undefined is a value like any other (full attention: no pattern)', () => {
  const cache = new RecentCache<undefined>(2);
  let calls = 0;
  cache.get('k', () => void calls++);
  cache.get('k', () => void calls++);
  expect(calls).toBe(1);
});

test('a make that throws keeps nothing, and the next call tries again', () => {
  const cache = new RecentCache<number>(2);
  expect(() =>
    cache.get('k', () => {
      throw new Error('bad grid');
    }),
  ).toThrow('bad grid');
  expect(cache.get('k', () => 7)).toBe(7);
});
