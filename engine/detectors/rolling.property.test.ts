// Property tests: every running window statistic equals a two-pass computation over the same values to 1e-9
// (relative), and a constant window is flat (variance exactly 0, no z). Seeded synthetic series only.
import { describe, expect, it } from 'vitest';
import { RollingWindow, TimeKeyedWindow, zScore } from './rolling.ts';
import { seededGaussian, seededRandom } from './synthetic.ts';
import { twoPass, zTolerance } from './two-pass.ts';

const TOL = 1e-9;
interface Stats {
  mean(): number;
  variance(): number;
  std(): number;
  readonly flat: boolean;
}

/** compares one window's statistics (and the z of `next` against it) with the two-pass reference */
function check(w: Stats, values: readonly number[], next: number, where: string): void {
  const t = twoPass(values);
  const fail = (what: string, got: number, want: number): never => {
    throw new Error(`${where}: ${what} ${got} vs two-pass ${want} (n ${t.n}, mean ${t.mean}, std ${t.std})`);
  };
  if (t.n === 0) {
    if (!Number.isNaN(w.mean())) fail('mean of an empty window', w.mean(), NaN);
    return;
  }
  const mean = w.mean();
  if (Math.abs(mean - t.mean) > TOL * Math.max(Math.abs(t.mean), t.n > 1 ? t.std : 0)) fail('mean', mean, t.mean);
  if (t.n < 2) {
    if (!Number.isNaN(w.variance())) fail('variance of one value', w.variance(), NaN);
    return;
  }
  if (t.nearFlatBoundary) return;
  const v = w.variance();
  const z = zScore(next, w.mean(), w.std());
  if (t.flat) {
    if (v !== 0 || !w.flat) fail('variance of a flat window', v, 0);
    if (!Number.isNaN(z)) fail('z against a flat window', z, NaN);
    return;
  }
  if (w.flat) fail('flat flag on a window that is not flat', v, t.variance);
  if (Math.abs(v - t.variance) > TOL * t.variance) fail('variance', v, t.variance);
  if (Math.abs(w.std() - t.std) > TOL * t.std) fail('std', w.std(), t.std);
  if (Number.isFinite(next)) {
    const zr = t.z(next);
    if (Math.abs(z - zr) > zTolerance(t, zr)) fail(`z of ${next}`, z, zr);
  }
}

type Gen = (i: number) => number;

/** named seeded generators; each value may be NaN (a gap) */
function generators(seed: number): Record<string, Gen> {
  const g = seededGaussian(seed);
  const u = seededRandom(seed * 7 + 1);
  const gap = (rate: number, f: Gen): Gen => (i) => (u() < rate ? NaN : f(i));
  let walk = 100;
  return {
    'constant 0.0001 with gaps': gap(0.05, () => 0.0001),
    'constant zero': () => 0,
    'constant -3.7 then 5.2': (i) => (i < 400 ? -3.7 : 5.2),
    'funding-like: long constant runs with rare different settlements': gap(0.02, (i) => (i % 301 < 200 ? 0.0001 : i % 301 === 250 ? 0.00005 : 0.0001 + (u() < 0.1 ? 1e-8 * Math.round(g() * 5) : 0))),
    'huge offset 1e9 + N(0, 1)': gap(0.03, () => 1e9 + g()),
    'huge offset 1e9 + N(0, 1e-2) (flat by tolerance)': gap(0.03, () => 1e9 + 1e-2 * g()),
    'huge offset 1e12 + N(0, 500)': gap(0.03, () => 1e12 + 500 * g()),
    'tiny variance 1e-12 around 0': gap(0.03, () => 1e-12 * g()),
    'tiny variance 1e-12 around 1e-3': gap(0.03, () => 1e-3 + 1e-12 * g()),
    'tiny variance 1e-12 around 1 (flat by tolerance)': gap(0.03, () => 1 + 1e-12 * g()),
    'spikes of 1e8 that leave the window': gap(0.05, (i) => (i % 97 === 0 ? 1e8 * (1 + u()) : 1 + 1e-3 * g())),
    'scale switches every 500 values': gap(0.1, (i) => 10 ** (((i / 500) | 0) % 2 === 0 ? 6 : -6) * g() + 1e3 * (((i / 700) | 0) % 3)),
    'random walk drifting far from its start': gap(0.02, () => (walk += 5 + g())),
    'long gaps': (i) => (i % 1000 > 850 ? NaN : 50 + g()),
  };
}

describe('RollingWindow equals a two-pass computation over its window', () => {
  for (const cap of [2, 24, 90, 720]) {
    it(`capacity ${cap}: every generator, every step`, () => {
      const gens = generators(cap * 31 + 5);
      for (const [name, gen] of Object.entries(gens)) {
        const w = new RollingWindow(cap);
        const xs: number[] = [];
        const n = cap === 720 ? 2000 : 4000;
        let next = gen(0);
        for (let i = 0; i < n; i++) {
          const x = next;
          next = gen(i + 1);
          w.push(x);
          xs.push(x);
          check(w, xs.slice(Math.max(0, xs.length - cap)), next, `${name}, capacity ${cap}, step ${i}`);
        }
      }
    });
  }

  it('a constant window gives variance exactly 0 and no z, whatever the constant and its history', () => {
    for (const c of [0.0001, 1e9, -3.7, 0, 5e-300, 123456.789]) {
      const w = new RollingWindow(90);
      const g = seededGaussian(Math.round(Math.abs(c) * 1e4) + 1);
      for (let i = 0; i < 300; i++) w.push(c * 3 + g() * Math.max(1, Math.abs(c))); // residue from an earlier, varied history
      for (let i = 0; i < 90; i++) w.push(c);
      expect(w.variance()).toBe(0);
      expect(w.flat).toBe(true);
      expect(w.mean()).toBe(c);
      expect(zScore(c * 0.5 + 1, w.mean(), w.std())).toBeNaN();
    }
  });

  it('rebuilds its sums rarely on ordinary data (amortised O(1))', () => {
    const w = new RollingWindow(720);
    const g = seededGaussian(11);
    let p = 30_000;
    for (let i = 0; i < 100_000; i++) {
      p *= Math.exp(0.01 * g());
      w.push(p);
      w.variance();
      w.mean();
    }
    expect(w.rebuilds).toBeLessThan(100_000 / 720);
  });
});

describe('TimeKeyedWindow equals a two-pass computation over its span', () => {
  it('every generator, with irregular times and evictions', () => {
    const H = 3_600_000;
    for (const [name, gen] of Object.entries(generators(77))) {
      const span = 30 * 24 * H;
      const w = new TimeKeyedWindow(span);
      const u = seededRandom(name.length * 1009);
      const held: { t: number; x: number }[] = [];
      let t = 0;
      let next = gen(0);
      for (let i = 0; i < 3000; i++) {
        t += H * (u() < 0.9 ? 8 : 1 + Math.floor(u() * 200)); // mostly 8-hourly, sometimes long pauses
        const x = next;
        next = gen(i + 1);
        w.evictBefore(t);
        while (held.length > 0 && held[0].t <= t - span) held.shift();
        // the z is taken before the value enters, like the funding detector does
        check(w, held.map((h) => h.x), x, `${name}, settlement ${i}`);
        w.push(t, x, 8);
        if (Number.isFinite(x)) held.push({ t, x });
      }
    }
  });

  it('89 identical settlements of 0.0001 after a varied history are flat (the SOLUSDT 2022-01-21 pattern)', () => {
    const H = 3_600_000;
    const w = new TimeKeyedWindow(30 * 24 * H);
    const g = seededGaussian(3);
    let t = 0;
    for (let i = 0; i < 200; i++) w.push((t += 8 * H), 0.0001 + 0.0002 * g(), 8);
    for (let i = 0; i < 89; i++) {
      t += 8 * H;
      w.evictBefore(t);
      w.push(t, 0.0001, 8);
    }
    t += 8 * H;
    w.evictBefore(t);
    expect(w.length).toBe(89);
    expect(w.variance()).toBe(0);
    expect(w.flat).toBe(true);
    expect(zScore(0.00005, w.mean(), w.std())).toBeNaN();
  });
});
