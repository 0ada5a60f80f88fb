/**
 * mulberry32: 32-bit state, a few integer ops per draw — the baseline draws millions of hours per scorecard,
 * and results must repeat exactly for a seed, so no Math.random. A class rather than a closure: every
 * breakdown row has its own generator, and one shared method stays inlinable where per-row closures do not
 * (measured: the closure version made the draws ~4× slower).
 */
export class Mulberry32 {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** the state: new Mulberry32(g.current) draws what g would draw next */
  get current(): number {
    return this.state >>> 0;
  }

  /** uniform in [0, 1) */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /**
   * Jumps `draws` draws ahead in O(1): the state only ever adds a constant, so draw d starts from
   * seed + d · constant (mod 2^32). A baseline's permutation k can therefore start where a single-threaded run
   * would have reached it, and any split of the permutations over workers draws the same hours.
   */
  skip(draws: number): this {
    if (!Number.isSafeInteger(draws) || draws < 0) throw new RangeError(`skip: ${draws} is not a whole number of draws`);
    // Math.imul takes its operands mod 2^32, which is exactly the arithmetic of the state
    this.state = (this.state + Math.imul(draws % 4294967296, 0x6d2b79f5)) | 0;
    return this;
  }

  /** uniform integer in [0, n) */
  below(n: number): number {
    return (this.next() * n) | 0;
  }
}

/** FNV-1a: derives one stream per breakdown row, so a row's baseline does not change when other rows appear. */
export function hashSeed(seed: number, label: string): number {
  const text = `${seed}|${label}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
