// Encodings of watch events shared by every watcher that sends the same event at about the same
// time: by object identity and event type, bounded by count and bytes (an unbounded map would keep a
// second copy of every object that ever went out). Only the watch cache's frozen objects are shared
// between watchers, so callers keep only those. Used by the REST and gRPC watch streams.
export class RecentEncodings {
  private entries = new Map<object, Partial<Record<string, Buffer>>>();
  private bytes = 0;

  constructor(
    private readonly maxEntries = 1024,
    private readonly maxBytes = 16 * 1024 * 1024,
  ) {}

  get(o: object, type: string): Buffer | undefined {
    return this.entries.get(o)?.[type];
  }

  set(o: object, type: string, b: Buffer): void {
    let byType = this.entries.get(o);
    if (!byType) this.entries.set(o, (byType = {}));
    const old = byType[type];
    if (old) this.bytes -= old.length;
    byType[type] = b;
    this.bytes += b.length;
    for (const [k, v] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      for (const x of Object.values(v)) this.bytes -= x!.length;
      this.entries.delete(k);
    }
  }

  stats(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }
}
