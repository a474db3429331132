/**
 * Prepared forward passes by input shape. A prepared pass owns its buffers, so two calls that
 * run at the same time each take their own; finished passes are kept for the next call with
 * their shape: up to `perShape` per shape, for the `shapes` shapes used most recently. A service
 * that sees many input sizes or batch sizes thus keeps a bounded set (ViT-B's pass at batch 32
 * holds about 200 MB of activations); the passes of older shapes become garbage.
 */
import { RecentCache } from './recent-cache';

/** Input shapes whose prepared passes (and shape-derived values, lib/nn/recent-cache.ts) are kept. */
export const RECENT_SHAPES = 4;

export class ProgramCache<T> {
  /** Idle passes by shape key. */
  private readonly idle: RecentCache<T[]>;

  constructor(
    private readonly perShape = 2,
    shapes = RECENT_SHAPES,
  ) {
    this.idle = new RecentCache<T[]>(shapes);
  }

  /** An idle prepared pass for `key`, or a new one from `build`; the shape becomes the most recent. */
  acquire(key: string, build: () => T): T {
    return this.idle.get(key, () => []).pop() ?? build();
  }

  /** Returns a pass after use; its shape becomes the most recently used. */
  release(key: string, item: T): void {
    const list = this.idle.get(key, () => []);
    if (list.length < this.perShape) list.push(item);
  }

  /** Drops every idle pass (their buffers become garbage). */
  clear(): void {
    this.idle.clear();
  }
}
