/**
 * Values derived from an input shape (interpolated position embeddings, compiled patterns),
 * kept for the `capacity` keys used most recently so that a service seeing many input sizes
 * does not keep one per size forever. The values a prepared pass uses stay alive with it.
 */
export class RecentCache<V> {
  /** By key; the map's order is the order of last use, oldest first. */
  private readonly values = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  /** The value for `key`, made by `make` when it is not kept; `key` becomes the most recent. */
  get(key: string, make: () => V): V {
    const value = this.values.has(key) ? (this.values.get(key) as V) : make();
    this.values.delete(key);
    this.values.set(key, value);
    for (const oldest of this.values.keys()) {
      if (this.values.size <= this.capacity) break;
      this.values.delete(oldest);
    }
    return value;
  }

  /** Drops every value. */
  clear(): void {
    this.values.clear();
  }
}
