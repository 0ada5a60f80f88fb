/**
 * mulberry32: 32-bit state, a few integer ops per draw — the paper P&L's random entries and the sweeps' samples
 * draw millions of numbers, and results must repeat exactly for a seed, so no Math.random. A class rather than a
 * closure: one shared method stays inlinable where per-use closures do not (measured: the closure version made
 * the draws ~4× slower). The random baseline draws counter-based instead (alertStream / placementBits below).
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

  /** uniform integer in [0, n) */
  below(n: number): number {
    return (this.next() * n) | 0;
  }
}

/** FNV-1a: derives one stream per label (the paper P&L's rows), so a stream does not change when others appear. */
export function hashSeed(seed: number, label: string): number {
  return fnv1a(`${seed}|${label}`);
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's 32-bit finaliser: a bijection in which every input bit flips each output bit with probability ≈ ½ */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a of a text, finalised: an alert's key for the random baseline (its identity, not its place in the input) */
export function textKey(text: string): number {
  return fmix32(fnv1a(text));
}

/**
 * The random baseline's draws are counter-based rather than a stream: the 32 random bits of alert `key` in
 * permutation p are placementBits(alertStream(seed, key), permutationSalt(p)), a pure function of the three, so
 * a permutation's draws never depend on which other permutations (or alerts) were computed, nor in what order.
 */
export function alertStream(seed: number, key: number): number {
  return fmix32((key ^ fmix32((seed ^ 0x5bd1e995) >>> 0)) >>> 0);
}

export function permutationSalt(p: number): number {
  return fmix32(Math.imul(p + 1, 0x9e3779b9) >>> 0);
}

/** two rounds, so two alerts' bits in one permutation are not a fixed function of each other through one xor */
export function placementBits(stream: number, salt: number): number {
  return fmix32((fmix32((stream ^ salt) >>> 0) + stream) >>> 0);
}

/** uniform integer in [0, n) from 32 random bits, as Mulberry32.below scales them */
export function drawIndex(bits: number, n: number): number {
  return ((bits / 4294967296) * n) | 0;
}
