// Serializes work per key within one process: a write holds the identities it classifies until
// its points are written, so two requests racing on one reading cannot both see "not stored".
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  /**
   * Waits until no earlier holder of any of `keys` remains, and holds them all until the
   * returned release is called. Taking every key at once, in one synchronous step, queues
   * holders in arrival order per key, so two holders can never wait on each other.
   */
  async acquire(keys: Iterable<string>): Promise<() => void> {
    const held = [...new Set(keys)];
    const earlier: Promise<void>[] = [];
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    for (const key of held) {
      const tail = this.tails.get(key);
      if (tail) earlier.push(tail);
      this.tails.set(key, done);
    }
    await Promise.all(earlier);
    return () => {
      release();
      for (const key of held) if (this.tails.get(key) === done) this.tails.delete(key);
    };
  }

  /** Keys currently held or awaited (for tests: nothing may leak). */
  get size(): number {
    return this.tails.size;
  }
}
