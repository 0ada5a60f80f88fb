/**
 * The comparison point for the replay benchmark: every hour, rebuild the trailing frame and recompute every
 * window statistic the detectors report from the raw hourly arrays, carrying no state from one hour to the next
 * — the way the original system rebuilt its pandas frame after each hourly poll. Inner rolling series use
 * sliding sums inside the hour (as pandas' rolling does), so this is a fair O(window) per hour, not a strawman.
 * Only used by `npm run bench` (scripts/bench/replay-bench.ts), over the full history, alternating with the
 * replay. Lookups into the raw arrays (funding settlements, liquidation hours) are binary searches, as the
 * candle frame always was: a linear scan from the first row would make the reference slower for no reason.
 */
import type { ReplayData } from '../../engine/replay/replay-data.ts';

const H = 3_600_000;

export interface RescanSample {
  symbolHours: number;
  /** per symbol-hour outputs kept for the agreement check with the incremental detectors */
  vol24: Map<string, number>;
  ratio: Map<string, number>;
  corr: Map<string, number>;
  checksum: number;
}

/** closes of the `len` clock hours ending at t (NaN where missing), from a sorted ts array */
function frame(ts: Float64Array, values: Float64Array, t: number, len: number, out: Float64Array): void {
  out.fill(NaN);
  let lo = 0;
  let hi = ts.length;
  const start = t - (len - 1) * H;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (ts[m] < start) lo = m + 1;
    else hi = m;
  }
  for (let i = lo; i < ts.length && ts[i] <= t; i++) out[(ts[i] - start) / H] = values[i];
}

function logReturns(closes: Float64Array, out: Float64Array): void {
  out[0] = NaN;
  for (let i = 1; i < closes.length; i++) out[i] = Math.log(closes[i] / closes[i - 1]);
}

/** sample std of each trailing window (NaN if any value missing), like pandas rolling(w).std() */
function rollingStd(x: Float64Array, w: number, out: Float64Array): void {
  let s = 0;
  let s2 = 0;
  let bad = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (Number.isNaN(v)) bad++;
    else {
      s += v;
      s2 += v * v;
    }
    if (i >= w) {
      const o = x[i - w];
      if (Number.isNaN(o)) bad--;
      else {
        s -= o;
        s2 -= o * o;
      }
    }
    out[i] = i >= w - 1 && bad === 0 ? Math.sqrt(Math.max(0, (s2 - (s * s) / w) / (w - 1))) : NaN;
  }
}

function mean(x: Float64Array, from: number, to: number, minShare: number): number {
  let s = 0;
  let n = 0;
  for (let i = from; i < to; i++) if (!Number.isNaN(x[i])) {
    s += x[i];
    n++;
  }
  return n >= minShare * (to - from) ? s / n : NaN;
}

function pearson(x: Float64Array, y: Float64Array, from: number, to: number, lag = 0): number {
  let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, n = 0;
  for (let i = from; i < to; i++) {
    const a = x[i - lag];
    const b = y[i];
    if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
    sx += a; sy += b; sxx += a * a; syy += b * b; sxy += a * b; n++;
  }
  const cov = sxy - (sx * sy) / n;
  return cov / Math.sqrt((sxx - (sx * sx) / n) * (syy - (sy * sy) / n));
}

/** Pearson correlation of each trailing window (NaN if any value missing), like pandas rolling(w).corr() */
function rollingCorr(x: Float64Array, y: Float64Array, w: number, out: Float64Array): void {
  let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, bad = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i], b = y[i];
    if (Number.isNaN(a) || Number.isNaN(b)) bad++;
    else { sx += a; sy += b; sxx += a * a; syy += b * b; sxy += a * b; }
    if (i >= w) {
      const c = x[i - w], d = y[i - w];
      if (Number.isNaN(c) || Number.isNaN(d)) bad--;
      else { sx -= c; sy -= d; sxx -= c * c; syy -= d * d; sxy -= c * d; }
    }
    out[i] = i >= w - 1 && bad === 0 ? (sxy - (sx * sy) / w) / Math.sqrt((sxx - (sx * sx) / w) * (syy - (sy * sy) / w)) : NaN;
  }
}

function zOfLast(x: Float64Array, n: number): number {
  const last = x[x.length - 1];
  let s = 0, s2 = 0;
  for (let i = x.length - 1 - n; i < x.length - 1; i++) {
    if (Number.isNaN(x[i])) return NaN;
    s += x[i];
    s2 += x[i] * x[i];
  }
  const m = s / n;
  return (last - m) / Math.sqrt((s2 - n * m * m) / (n - 1));
}

/** regime z-scores: resample the last n+1 bars of a timeframe from the hourly frame, from scratch */
function timeframeZ(closes: Float64Array, volumes: Float64Array, barHours: number, n: number): number {
  const bars = n + 2;
  const ret = new Float64Array(bars - 1);
  const vol = new Float64Array(bars - 1);
  const end = closes.length;
  let prevClose = NaN;
  for (let b = 0; b < bars; b++) {
    const from = end - (bars - b) * barHours;
    let v = 0;
    let c = NaN;
    for (let i = from; i < from + barHours; i++) {
      if (Number.isNaN(closes[i])) { c = NaN; break; }
      v += volumes[i];
      c = closes[i];
    }
    if (b > 0) {
      ret[b - 1] = Math.log(c / prevClose);
      vol[b - 1] = v;
    }
    prevClose = c;
  }
  return zOfLast(ret, n) + zOfLast(vol, n);
}

/** first index with ts[i] >= t */
function lowerBound(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (ts[m] < t) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** @param keep false keeps no per-hour outputs (a full-history timing measures the rescan, not three Maps) */
export function rescanSample(data: ReplayData, fromHour: number, hours: number, keep = true): RescanSample {
  const sample: RescanSample = { symbolHours: 0, vol24: new Map(), ratio: new Map(), corr: new Map(), checksum: 0 };
  const VOL_FRAME = 24 + 720 + 1;
  const CORR_FRAME = 168 + 720 + 4;
  const WEEK_FRAME = 14 * 168;
  const closesV = new Float64Array(VOL_FRAME), retV = new Float64Array(VOL_FRAME), stdV = new Float64Array(VOL_FRAME);
  const closesW = new Float64Array(WEEK_FRAME), volW = new Float64Array(WEEK_FRAME);
  const corrCloses = data.series.map(() => new Float64Array(CORR_FRAME));
  const corrRets = data.series.map(() => new Float64Array(CORR_FRAME));
  const corrSeries = new Float64Array(CORR_FRAME);
  for (let t = fromHour; t < fromHour + hours * H; t += H) {
    for (const s of data.series) {
      const c = s.candles;
      frame(c.ts, c.close, t, VOL_FRAME, closesV);
      if (Number.isNaN(closesV[VOL_FRAME - 1])) continue;
      sample.symbolHours++;
      // volatility: rolling 24 h std of returns over the frame, baseline = mean of the previous 720 values
      logReturns(closesV, retV);
      rollingStd(retV, 24, stdV);
      const vol24 = stdV[VOL_FRAME - 1] * Math.sqrt(24);
      const baseline = mean(stdV, VOL_FRAME - 1 - 720, VOL_FRAME - 1, 0.9) * Math.sqrt(24);
      if (keep) {
        sample.vol24.set(`${s.symbol}|${t}`, vol24);
        sample.ratio.set(`${s.symbol}|${t}`, vol24 / baseline);
      } else sample.checksum += vol24 / baseline;
      // multi-timeframe regime: rebuild 1h/4h/1d/1w bars and their z-scores
      frame(c.ts, c.close, t, WEEK_FRAME, closesW);
      frame(c.ts, c.volume, t, WEEK_FRAME, volW);
      let z = timeframeZ(closesW, volW, 1, 24) + timeframeZ(closesW, volW, 4, 24) + timeframeZ(closesW, volW, 24, 30) + timeframeZ(closesW, volW, 168, 12);
      // funding: z of the standing settlement vs the previous 30 days of settlements
      const f = s.funding;
      const last = lowerBound(f.ts, t + H) - 1;
      if (last > 0) {
        let sum = 0, sum2 = 0, n = 0;
        for (let i = last - 1; i >= 0 && f.ts[i] > f.ts[last] - 30 * 24 * H; i--) {
          const r8 = (f.rate[i] * 8) / f.intervalHours[i];
          sum += r8; sum2 += r8 * r8; n++;
        }
        const m = sum / n;
        z += ((f.rate[last] * 8) / f.intervalHours[last] - m) / Math.sqrt((sum2 - n * m * m) / (n - 1));
      }
      // liquidations: 4 h velocity and its z vs the previous 720 h, 7-day zone histogram
      const l = s.liquidations;
      if (l.ts.length > 0 && t >= l.ts[0] && t <= l.ts[l.ts.length - 1]) {
        const v = new Float64Array(724);
        for (let i = lowerBound(l.ts, t - 723 * H); i < l.ts.length && l.ts[i] <= t; i++) {
          const k = (l.ts[i] - (t - 723 * H)) / H;
          if (k >= 0 && k < 724) v[k] = l.longUsd[i] + l.shortUsd[i];
        }
        const vel = new Float64Array(721);
        for (let k = 0; k < 721; k++) vel[k] = (v[k] + v[k + 1] + v[k + 2] + v[k + 3]) / 4;
        z += zOfLast(vel, 720);
        const zones = new Map<number, number>();
        for (let k = 724 - 168; k < 724; k++) {
          const price = closesV[VOL_FRAME - 1 - (723 - k)];
          const bin = Math.round(Math.log(price) / 0.005);
          zones.set(bin, (zones.get(bin) ?? 0) + v[k]);
        }
        z += zones.size;
      }
      sample.checksum += Number.isFinite(z) ? z : 0;
    }
    // correlation per pair: 168 h Pearson now, the 720 h normal of it, lagged cross-correlations
    data.series.forEach((s, i) => {
      frame(s.candles.ts, s.candles.close, t, CORR_FRAME, corrCloses[i]);
      logReturns(corrCloses[i], corrRets[i]);
    });
    for (let a = 0; a < data.series.length; a++) {
      for (let b = a + 1; b < data.series.length; b++) {
        const x = corrRets[a];
        const y = corrRets[b];
        rollingCorr(x, y, 168, corrSeries);
        const now = corrSeries[CORR_FRAME - 1];
        const normal = mean(corrSeries, CORR_FRAME - 1 - 720, CORR_FRAME - 1, 0.9);
        let lead = 0;
        for (let lag = 1; lag <= 3; lag++) lead += pearson(x, y, CORR_FRAME - 168, CORR_FRAME, lag) - pearson(y, x, CORR_FRAME - 168, CORR_FRAME, lag);
        if (keep) sample.corr.set(`${data.series[a].symbol}/${data.series[b].symbol}|${t}`, now);
        else sample.checksum += Number.isFinite(now) ? now : 0;
        sample.checksum += (Number.isFinite(normal) ? normal : 0) + (Number.isFinite(lead) ? lead : 0);
      }
    }
  }
  return sample;
}
