/**
 * A Map that forgets its oldest entries beyond `maxEntries`. It is a real Map
 * subclass because @upstash/ratelimit only accepts `instanceof Map` as its
 * ephemeral cache, which would otherwise grow with every blocked identifier.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  readonly maxEntries: number;

  constructor(maxEntries: number) {
    super();
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`BoundedMap maxEntries must be a positive integer, got ${maxEntries}`);
    }
    this.maxEntries = maxEntries;
  }

  override set(key: K, value: V): this {
    if (this.has(key)) this.delete(key);
    super.set(key, value);
    while (this.size > this.maxEntries) {
      const oldest = this.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
    return this;
  }
}
