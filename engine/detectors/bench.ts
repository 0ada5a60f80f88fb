/**
 * `npm run bench -- rolling`: the running window statistics on the bundled series the detectors see (hourly log
 * returns, volumes, volatility_24h, funding rates): cost per push + read, exact rebuilds per 1,000 pushes (the
 * amortised O(1) claim), the largest deviation from a two-pass computation, and what a two-pass recompute per
 * hour would cost instead.
 */
import { performance } from 'node:perf_hooks';
import { openStore } from '../data/store.ts';
import { defaultConfig } from '../pipeline/config.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import { loadReplayData } from '../replay/replay-data.ts';
import { rate8h } from './funding-anomaly.ts';
import { RollingWindow, TimeKeyedWindow } from './rolling.ts';
import { twoPass } from './two-pass.ts';

interface Series {
  name: string;
  capacity: number;
  values: Float64Array;
}

/** one number per clock hour (NaN for a missing hour), like the detectors' windows receive them */
function hourly(ts: Float64Array, v: (k: number) => number, first: number, last: number): Float64Array {
  const out = new Float64Array((last - first) / HOUR_MS + 1).fill(NaN);
  for (let k = 0; k < ts.length; k++) out[(ts[k] - first) / HOUR_MS] = v(k);
  return out;
}

/** the cheapest honest alternative: mean, then squared deviations, over the window every hour */
function plainTwoPassVariance(xs: Float64Array): number {
  let n = 0;
  let sum = 0;
  for (let i = 0; i < xs.length; i++) if (xs[i] === xs[i]) (sum += xs[i]), n++;
  const m = sum / n;
  let ss = 0;
  for (let i = 0; i < xs.length; i++) if (xs[i] === xs[i]) ss += (xs[i] - m) ** 2;
  return ss / (n - 1);
}

function measure(s: Series): string {
  const push = () => {
    const w = new RollingWindow(s.capacity);
    let sink = 0;
    for (let i = 0; i < s.values.length; i++) {
      w.push(s.values[i]);
      sink += w.mean() + w.variance();
    }
    return { w, sink };
  };
  let ms = Infinity;
  let w!: RollingWindow;
  for (let run = 0; run < 5; run++) {
    const t0 = performance.now();
    w = push().w;
    ms = Math.min(ms, performance.now() - t0);
  }
  // deviation from two-pass and the cost of a two-pass per hour, on a sample of hours
  const check = new RollingWindow(s.capacity);
  let maxRel = 0;
  let twoPassMs = 0;
  let sampled = 0;
  for (let i = 0; i < s.values.length; i++) {
    check.push(s.values[i]);
    if (i % 97 !== 0 || i < s.capacity) continue;
    const win = s.values.subarray(i - s.capacity + 1, i + 1);
    const t1 = performance.now();
    plainTwoPassVariance(win);
    twoPassMs += performance.now() - t1;
    sampled++;
    const t = twoPass(win);
    const v = check.variance();
    if (t.n > 1 && !t.flat && v > 0) maxRel = Math.max(maxRel, Math.abs(v - t.variance) / t.variance);
  }
  const ns = (ms * 1e6) / s.values.length;
  const twoPassNs = (twoPassMs * 1e6) / sampled;
  return (
    `${s.name.padEnd(34)} window ${String(s.capacity).padStart(4)}  ${ns.toFixed(0).padStart(4)} ns/push+read  ` +
    `rebuilds ${((1000 * w.rebuilds) / s.values.length).toFixed(2).padStart(6)} per 1,000  max rel. dev. vs two-pass ${maxRel.toExponential(1)}  ` +
    `(a plain two-pass per hour: ${(twoPassNs / ns).toFixed(0)}× the cost)`
  );
}

export async function benchRollingStats(): Promise<string[]> {
  const store = await openStore();
  const config = defaultConfig();
  const data = await loadReplayData(store, config.symbols);
  store.close();
  const lines = ['## Rolling statistics: running moments vs two-pass, on the bundled series'];
  // warm the JIT on a synthetic walk so the first real series is not charged for compilation
  const warm = new Float64Array(200_000).map((_, i) => Math.sin(i) * 1e3 + i);
  measure({ name: 'warm-up', capacity: 24, values: warm });
  measure({ name: 'warm-up', capacity: 720, values: warm });
  for (const s of data.series) {
    const c = s.candles;
    const first = data.firstHour;
    const last = data.lastHour;
    const close = hourly(c.ts, (k) => c.close[k], first, last);
    const returns = close.map((x, i) => (i === 0 ? NaN : Math.log(x / close[i - 1])));
    const volume = hourly(c.ts, (k) => c.volume[k], first, last);
    const vol24 = new Float64Array(returns.length).fill(NaN);
    const r24 = new RollingWindow(24);
    for (let i = 0; i < returns.length; i++) {
      r24.push(returns[i]);
      if (r24.complete) vol24[i] = r24.std() * Math.sqrt(24);
    }
    for (const series of [
      { name: `${s.symbol} hourly log returns`, capacity: 24, values: returns },
      { name: `${s.symbol} hourly volume`, capacity: 24, values: volume },
      { name: `${s.symbol} volatility_24h (baseline)`, capacity: 720, values: vol24 },
    ]) {
      lines.push(measure(series));
    }
    // funding: the 30-day time-keyed window, z read at every settlement
    const f = s.funding;
    let w!: TimeKeyedWindow;
    let flat = 0;
    let ms = Infinity;
    for (let run = 0; run < 5; run++) {
      w = new TimeKeyedWindow(config.funding.lookback_days * 24 * HOUR_MS);
      flat = 0;
      const t0 = performance.now();
      for (let k = 0; k < f.ts.length; k++) {
        w.evictBefore(f.ts[k]);
        w.mean();
        if (w.variance() === 0) flat++;
        w.push(f.ts[k], rate8h(f.rate[k], f.intervalHours[k]), f.intervalHours[k]);
      }
      ms = Math.min(ms, performance.now() - t0);
    }
    const ns = (ms * 1e6) / Math.max(1, f.ts.length);
    lines.push(
      `${`${s.symbol} funding rate (30 days)`.padEnd(34)} ${String(f.ts.length).padStart(6)} settlements  ${ns.toFixed(0)} ns each  ` +
        `rebuilds ${((1000 * w.rebuilds) / Math.max(1, f.ts.length)).toFixed(2)} per 1,000  flat windows ${flat}`,
    );
  }
  return lines;
}
