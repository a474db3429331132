/**
 * A model's packed weights, found by walking the model object (its layers, their arrays and
 * maps): released at once by dispose() instead of at garbage collection, and packed off the
 * event loop by loadModel (weights made under withDeferredPacking).
 */
import { PackedWeight } from '../ops/linear';

/** Every PackedWeight reachable from `root` through properties, arrays, maps and sets. */
export function packedWeightsOf(root: object): PackedWeight[] {
  const found: PackedWeight[] = [];
  const seen = new Set<object>();
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null || seen.has(value) || ArrayBuffer.isView(value)) continue;
    seen.add(value);
    if (value instanceof PackedWeight) found.push(value);
    else if (value instanceof Map || value instanceof Set) pending.push(...value.values());
    else pending.push(...Object.values(value));
  }
  return found;
}

/** Releases every PackedWeight reachable from `root`; returns how many were not released yet. */
export function releasePackedWeights(root: object): number {
  const live = packedWeightsOf(root).filter((w) => !w.released);
  live.forEach((w) => w.release());
  return live.length;
}

/** Packs every pending PackedWeight reachable from `root` on the pool, off the event loop. */
export async function packPendingWeights(root: object): Promise<void> {
  await Promise.all(packedWeightsOf(root).map((w) => w.packAsync()));
}
