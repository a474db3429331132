/**
 * mulberry32: a small, fast, seeded 32-bit generator, the same on every platform. Returns the
 * next unsigned 32-bit integer; callers map it to the floats they need (synthetic benchmark data,
 * synthetic weights, conversion checks, test inputs).
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}
