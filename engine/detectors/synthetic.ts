/** Seeded synthetic series for tests: reproducible, no external data. */

/** mulberry32: a small, fast 32-bit seeded PRNG, uniform in [0, 1) */
export function seededRandom(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** standard normal draws (Box-Muller) from a seeded uniform source */
export function seededGaussian(seed: number): () => number {
  const u = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** n gaussian values scaled by `scale` around `mean`, with a share `gapRate` replaced by NaN */
export function syntheticSeries(seed: number, n: number, gapRate = 0, mean = 0, scale = 1): Float64Array {
  const g = seededGaussian(seed);
  const u = seededRandom(seed ^ 0x5bd1e995);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = u() < gapRate ? NaN : mean + scale * g();
  return out;
}

/** geometric random walk of closes starting at `start`, hourly log-return std `sigma` */
export function syntheticCloses(seed: number, n: number, start = 100, sigma = 0.01): Float64Array {
  const g = seededGaussian(seed);
  const out = new Float64Array(n);
  let p = start;
  for (let i = 0; i < n; i++) {
    p *= Math.exp(sigma * g());
    out[i] = p;
  }
  return out;
}

/**
 * SYNTHETIC closes of n symbols over `hours` that stress a pair detector: a common factor, rare gaps (NaN), one
 * symbol whose returns sit far from zero mean (shift resets), one whose volatility collapses by 1e4 after 600 hours
 * (rebuilds), one flat from hour 800 to 1100 (flat windows)
 */
export function stressCloses(n: number, hours: number, seed = 21): Float64Array[] {
  const g = seededGaussian(seed);
  const u = seededRandom(seed + 1);
  const closes = Array.from({ length: n }, () => new Float64Array(hours));
  const price = new Float64Array(n).fill(100);
  for (let t = 0; t < hours; t++) {
    const common = g();
    for (let s = 0; s < n; s++) {
      let r = 0.01 * (0.6 * common + 0.8 * g());
      if (s === 1) r = 0.01 + 1e-6 * g();
      if (s === 2 && t > 600) r *= 1e-4;
      if (s === 3 && t > 800 && t < 1100) r = 0;
      price[s] *= Math.exp(r);
      closes[s][t] = u() < 0.002 ? NaN : price[s];
    }
  }
  return closes;
}

export const naive = {
  valid(xs: ArrayLike<number>): number[] {
    return Array.from(xs).filter((x) => Number.isFinite(x));
  },
  mean(xs: ArrayLike<number>): number {
    const v = naive.valid(xs);
    return v.length === 0 ? NaN : v.reduce((a, b) => a + b, 0) / v.length;
  },
  variance(xs: ArrayLike<number>): number {
    const v = naive.valid(xs);
    if (v.length < 2) return NaN;
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    return v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1);
  },
  std(xs: ArrayLike<number>): number {
    return Math.sqrt(naive.variance(xs));
  },
  /** Pearson correlation over pairs where both are finite */
  correlation(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
    const px: number[] = [];
    const py: number[] = [];
    for (let i = 0; i < xs.length; i++) {
      if (Number.isFinite(xs[i]) && Number.isFinite(ys[i])) {
        px.push(xs[i]);
        py.push(ys[i]);
      }
    }
    const n = px.length;
    const mx = px.reduce((a, b) => a + b, 0) / n;
    const my = py.reduce((a, b) => a + b, 0) / n;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < n; i++) {
      sxy += (px[i] - mx) * (py[i] - my);
      sxx += (px[i] - mx) ** 2;
      syy += (py[i] - my) ** 2;
    }
    return sxy / Math.sqrt(sxx * syy);
  },
};
