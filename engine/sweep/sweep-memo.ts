/**
 * What a resident process (sweep-server.ts) keeps between sweeps: the inputs and feature sets a sweep reads from its
 * cache files (or has just computed for them), by file name. A cache file's name carries the data's and the code's
 * hashes (cache-file.ts), so one name always means one content: what is kept is what the file would give.
 */
export class SweepMemo {
  private readonly kept = new Map<string, unknown>();

  /** at most this many values (the last used kept): a sweep needs its inputs and one feature set or a few */
  constructor(private readonly limit = 4) {}

  get<T>(file: string): T | undefined {
    const v = this.kept.get(file);
    if (v === undefined) return undefined;
    // refreshed: the Map's insertion order is the eviction order
    this.kept.delete(file);
    this.kept.set(file, v);
    return v as T;
  }

  set(file: string, value: unknown): void {
    this.kept.delete(file);
    this.kept.set(file, value);
    while (this.kept.size > this.limit) this.kept.delete(this.kept.keys().next().value!);
  }
}
