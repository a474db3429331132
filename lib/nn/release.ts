/**
 * Freeing a model's native memory before the garbage collector would: every PackedWeight
 * reachable from the model object (its layers, their arrays and maps) is released.
 */
import { PackedWeight } from '../ops/linear';

/** Releases every PackedWeight reachable from `root` through properties, arrays, maps and sets; returns how many. */
export function releasePackedWeights(root: object): number {
  const seen = new Set<object>();
  const pending: unknown[] = [root];
  let released = 0;
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null || seen.has(value) || ArrayBuffer.isView(value)) continue;
    seen.add(value);
    if (value instanceof PackedWeight) {
      if (!value.released) released++;
      value.release();
    } else if (value instanceof Map || value instanceof Set) {
      pending.push(...value.values());
    } else {
      pending.push(...Object.values(value));
    }
  }
  return released;
}
