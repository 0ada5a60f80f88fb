// Every z-score of the feature export (funding_z, price_z_*, volume_z_*, liq_velocity_z) over the whole bundled
// history against an independent two-pass computation of the same window, rebuilt here from the raw columns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../data/store.ts';
import { BarAggregator, type Timeframe } from '../data/resample.ts';
import { defaultConfig } from '../pipeline/config.ts';
import { toFeatureRow } from '../pipeline/feature-row.ts';
import { HOUR_MS, type CandleInput } from '../pipeline/input.ts';
import { loadReplayData, type ReplayData, type SymbolSeries } from '../replay/replay-data.ts';
import { fundingByHour } from '../replay/funding-hours.ts';
import { runReplay } from '../replay/replay.ts';
import { rate8h } from './funding-anomaly.ts';
import { REGIME_TIMEFRAMES, type RegimeTimeframe } from './multi-timeframe-regime.ts';
import { twoPass, zTolerance } from './two-pass.ts';

const config = defaultConfig();
const Z_COLUMNS = ['funding_z', 'liq_velocity_z', ...REGIME_TIMEFRAMES.flatMap((tf) => [`price_z_${tf}`, `volume_z_${tf}`])];

interface Seen {
  z: number | null;
  status: string;
}
/** what the detectors said, keyed by symbol and then by settlement time / bar open time / hour */
const funding = new Map<string, Map<number, Seen>>();
const bars = new Map<string, Map<number, { price: number | null; volume: number | null; status: string }>>();
const velocity = new Map<string, Map<number, Seen>>();
const large: { column: string; symbol: string; ts: number; z: number }[] = [];
let solFlat: Seen | undefined;

let store: Store;
let data: ReplayData;
beforeAll(async () => {
  store = await openStore();
  data = await loadReplayData(store, config.symbols);
  const solHour = Date.UTC(2022, 0, 21, 16);
  runReplay(data, config, {
    onStep: (r) => {
      for (const f of r.features) {
        const row = toFeatureRow(f);
        for (const c of Z_COLUMNS) {
          const z = row[c];
          if (typeof z === 'number' && Math.abs(z) > 50) large.push({ column: c, symbol: f.symbol, ts: f.ts, z });
        }
        const fu = f.funding;
        if (fu.hours_since_settlement === 0 && fu.settled_at !== null) put(funding, f.symbol, fu.settled_at, { z: fu.z, status: fu.status });
        if (f.symbol === 'SOLUSDT' && f.ts === solHour) solFlat = { z: fu.z, status: fu.status };
        for (const tf of REGIME_TIMEFRAMES) {
          const o = f.regimes[tf];
          put(bars, `${f.symbol} ${tf}`, o.bar_ts, { price: o.price_z, volume: o.volume_z, status: o.status });
        }
        put(velocity, f.symbol, f.ts, { z: f.cascades.velocity_z, status: f.cascades.status });
      }
    },
  });
}, 600_000);
afterAll(() => store.close());

function put<T>(m: Map<string, Map<number, T>>, key: string, ts: number, v: T): void {
  let inner = m.get(key);
  if (!inner) m.set(key, (inner = new Map()));
  inner.set(ts, v);
}

/** one candle per clock hour of the replay (null when missing or without a usable close), as the pipeline sees it */
function* hours(s: SymbolSeries): Generator<{ t: number; candle: CandleInput | null }> {
  const c = s.candles;
  let k = 0;
  for (let t = data.firstHour; t <= data.lastHour; t += HOUR_MS) {
    let candle: CandleInput | null = null;
    if (k < c.ts.length && c.ts[k] === t) {
      if (c.close[k] > 0) candle = { open: c.open[k], high: c.high[k], low: c.low[k], close: c.close[k], volume: c.volume[k] };
      k++;
    }
    yield { t, candle };
  }
}

/** `symbol column z` of every z found equal to its two-pass value */
const confirmed = new Set<string>();

/** checks a detector z against the two-pass z of the same values; counts how many it compared */
function compare(where: string, tag: string, seen: number | null, status: string, window: number[], x: number, counts: { z: number; flat: number }): void {
  const t = twoPass(window);
  if (t.nearFlatBoundary) return;
  if (status === 'flat_window') {
    if (!t.flat) throw new Error(`${where}: flat_window but the two-pass std is ${t.std} (mean ${t.mean})`);
    counts.flat++;
    return;
  }
  if (seen === null) return;
  if (t.flat) throw new Error(`${where}: z ${seen} over a window whose two-pass std ${t.std} is flat (mean ${t.mean})`);
  const ref = t.z(x);
  if (!(Math.abs(seen - ref) <= zTolerance(t, ref))) throw new Error(`${where}: z ${seen} vs two-pass ${ref}`);
  counts.z++;
  confirmed.add(`${tag} ${seen}`);
}

describe('z-scores of the feature export over the bundled history', () => {
  it('SOLUSDT 2022-01-21 16:00: the 30-day funding window is flat, so no z (was -6161369.28)', () => {
    expect(solFlat).toEqual({ z: null, status: 'flat_window' });
  });

  it('funding_z equals the two-pass z of the previous 30 days of settlements', () => {
    const span = config.funding.lookback_days * 24 * HOUR_MS;
    const counts = { z: 0, flat: 0 };
    for (const s of data.series) {
      const seen = funding.get(s.symbol) ?? new Map<number, Seen>();
      const next = fundingByHour(s.funding);
      const accepted: { at: number; r8: number }[] = [];
      for (const { t } of hours(s)) {
        const f = next(t);
        if (f === null || !Number.isFinite(f.rate) || !(f.intervalHours > 0)) continue;
        if (accepted.length > 0 && f.settledAt <= accepted[accepted.length - 1].at) continue;
        const r8 = rate8h(f.rate, f.intervalHours);
        const o = seen.get(f.settledAt);
        if (o) {
          const window = accepted.filter((a) => a.at > f.settledAt - span).map((a) => a.r8);
          compare(`${s.symbol} funding ${new Date(f.settledAt).toISOString()}`, `${s.symbol} funding_z`, o.z, o.status, window, r8, counts);
        }
        accepted.push({ at: f.settledAt, r8 });
      }
    }
    expect(counts.z).toBeGreaterThan(15_000);
    expect(counts.flat).toBeGreaterThan(0);
  });

  it('price_z and volume_z of every timeframe equal the two-pass z over the previous bars', () => {
    const counts = { z: 0, flat: 0 };
    for (const s of data.series) {
      for (const tf of REGIME_TIMEFRAMES) {
        const lookback = config.regime.lookback_bars[tf];
        const seen = bars.get(`${s.symbol} ${tf}`) ?? new Map();
        const agg = tf === '1h' ? null : new BarAggregator(tf as Timeframe);
        const rs: number[] = [];
        const vs: number[] = [];
        let prevClose = NaN;
        const onBar = (barTs: number, complete: boolean, close: number, volume: number): void => {
          const ok = complete && close > 0 && Number.isFinite(volume);
          const r = ok ? Math.log(close / prevClose) : NaN;
          prevClose = ok ? close : NaN;
          const o = seen.get(barTs);
          const rw = rs.slice(-lookback);
          const vw = vs.slice(-lookback);
          if (o && rw.length === lookback && rw.every(Number.isFinite) && vw.every(Number.isFinite) && Number.isFinite(r)) {
            const where = `${s.symbol} ${tf} bar ${new Date(barTs).toISOString()}`;
            if (o.status === 'flat_window') {
              const a = twoPass(rw);
              const b = twoPass(vw);
              if (!(a.flat || b.flat)) throw new Error(`${where}: flat_window but neither window is flat (std ${a.std}, ${b.std})`);
              counts.flat++;
            } else {
              compare(`${where} price`, `${s.symbol} price_z_${tf}`, o.price, o.status, rw, r, counts);
              compare(`${where} volume`, `${s.symbol} volume_z_${tf}`, o.volume, o.status, vw, ok ? volume : NaN, counts);
            }
          }
          rs.push(r);
          vs.push(ok ? volume : NaN);
          if (rs.length > 4 * lookback) {
            rs.splice(0, rs.length - lookback);
            vs.splice(0, vs.length - lookback);
          }
        };
        for (const { t, candle } of hours(s)) {
          if (agg === null) onBar(t, candle !== null, candle?.close ?? NaN, candle?.volume ?? NaN);
          else {
            const bar = agg.push(t, candle);
            if (bar !== null) onBar(bar.ts, bar.complete, bar.close, bar.volume);
          }
        }
      }
    }
    expect(counts.z).toBeGreaterThan(300_000);
  });

  it('liq_velocity_z equals the two-pass z of log1p(velocity) over the previous 720 h', () => {
    const c = config.cascade;
    const counts = { z: 0, flat: 0 };
    for (const s of data.series) {
      const seen = velocity.get(s.symbol) ?? new Map<number, Seen>();
      const l = s.liquidations;
      let k = 0;
      const totals: number[] = [];
      const transformed: number[] = [];
      for (const { t, candle } of hours(s)) {
        while (k < l.ts.length && l.ts[k] < t) k++;
        const has = candle !== null && k < l.ts.length && l.ts[k] === t && Number.isFinite(l.longUsd[k]) && Number.isFinite(l.shortUsd[k]);
        totals.push(has ? l.longUsd[k] + l.shortUsd[k] : NaN);
        const w = totals.slice(-c.window_hours);
        const v = w.length === c.window_hours && w.every(Number.isFinite) ? w.reduce((a, b) => a + b, 0) / c.window_hours : NaN;
        const x = c.relative.log_velocity ? Math.log1p(v) : v;
        const o = seen.get(t);
        if (o && (o.z !== null || o.status === 'flat_window')) {
          compare(`${s.symbol} velocity ${new Date(t).toISOString()}`, `${s.symbol} liq_velocity_z`, o.z, o.status, transformed.slice(-c.relative.baseline_hours), x, counts);
        }
        transformed.push(x);
        if (totals.length > 100) totals.splice(0, 50);
        if (transformed.length > 4 * c.relative.baseline_hours) transformed.splice(0, transformed.length - c.relative.baseline_hours);
      }
    }
    expect(counts.z).toBeGreaterThan(3_000);
  });

  // runs after the comparisons above (vitest keeps file order): every |z| > 50 in the export must be one of
  // the z's found equal to the two-pass z of its window, i.e. the data's own, not rounding residue
  it('no |z| above 50 anywhere in the export unless the two-pass window says so', () => {
    expect(confirmed.size).toBeGreaterThan(300_000);
    const unconfirmed = large.filter((l) => !confirmed.has(`${l.symbol} ${l.column} ${l.z}`));
    expect(unconfirmed).toEqual([]);
    const byColumn: Record<string, number> = {};
    for (const l of large) byColumn[`${l.symbol} ${l.column}`] = Math.max(byColumn[`${l.symbol} ${l.column}`] ?? 0, Math.abs(l.z));
    console.log('largest |z| above 50 per symbol and column (confirmed by two-pass):', byColumn);
  });
});
