/**
 * Prepared forward passes by input shape. A prepared pass owns its buffers, so two calls that
 * run at the same time each take their own; finished passes are kept (up to `keep` per shape)
 * for the next call with that shape.
 */
export class ProgramCache<T> {
  private readonly idle = new Map<string, T[]>();

  constructor(private readonly keep = 2) {}

  /** An idle prepared pass for `key`, or a new one from `build`. */
  acquire(key: string, build: () => T): T {
    return this.idle.get(key)?.pop() ?? build();
  }

  /** Returns a pass after use. */
  release(key: string, item: T): void {
    const list = this.idle.get(key) ?? [];
    if (list.length < this.keep) list.push(item);
    this.idle.set(key, list);
  }

  /** Drops every idle pass (their buffers become garbage). */
  clear(): void {
    this.idle.clear();
  }
}
