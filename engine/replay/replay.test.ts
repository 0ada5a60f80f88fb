// The replay, the backtest and the lookahead proof on the real bundled data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '../data/store.ts';
import { queryRows } from '../data/duckdb.ts';
import { defaultConfig } from '../pipeline/config.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import { loadReplayData, truncateReplayData, type ReplayData } from './replay-data.ts';
import { runReplay } from './replay.ts';
import { runBacktest } from './backtest.ts';
import { checkLookahead } from './lookahead.ts';

let store: Store;
let data: ReplayData;
const config = defaultConfig();
beforeAll(async () => {
  store = await openStore();
  data = await loadReplayData(store, config.symbols);
});
afterAll(() => store.close());

describe('replay over the bundled history', () => {
  it('steps every clock hour, keeps every real symbol-hour, and reports the gaps it met', () => {
    const r = runReplay(data, config);
    expect(r.hoursStepped).toBe((Date.UTC(2026, 4, 16, 18) - Date.UTC(2018, 0, 1)) / HOUR_MS + 1);
    expect(r.symbolHours).toBe(73265 * 2 + 50489);
    expect(r.gaps.length).toBe(27 + 27 + 10);
    expect(r.gaps).toContainEqual({ symbol: 'BTCUSDT', start_ms: Date.UTC(2018, 1, 8, 1), end_ms: Date.UTC(2018, 1, 9, 9), hours: 33 });
    expect(r.alerts.length).toBeGreaterThan(100);
    for (const a of r.alerts.slice(0, 200)) {
      expect(a.id).toMatch(/^[0-9a-f]{16}$/);
      expect(['INFO', 'WARNING', 'CRITICAL']).toContain(a.severity);
    }
    // alerts fire only at hours where the symbol has data (pairs: both symbols)
    const hoursBySymbol = new Map(data.series.map((s) => [s.symbol, new Set(s.candles.ts)]));
    for (const a of r.alerts) for (const s of a.symbol.split('/')) expect(hoursBySymbol.get(s)!.has(a.ts)).toBe(true);
  });

  it('reports a gap that is still open when the replay stops inside it', () => {
    const until = Date.UTC(2018, 1, 8, 10);
    const r = runReplay(data, config, { until });
    expect(r.lastHour).toBe(until);
    expect(r.gaps.filter((g) => g.symbol === 'BTCUSDT').at(-1)).toEqual({ symbol: 'BTCUSDT', start_ms: Date.UTC(2018, 1, 8, 1), end_ms: until, hours: 10 });
  });

  it('is deterministic: two runs give identical alerts', () => {
    const a = runReplay(data, config).alerts;
    const b = runReplay(data, config).alerts;
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it('never emits liquidation cascades where there is no liquidation data', () => {
    const r = runReplay(data, config);
    const cascades = r.alerts.filter((a) => a.event_type === 'LIQUIDATION_CASCADE');
    expect(cascades.length).toBeGreaterThan(0);
    for (const a of cascades) {
      expect(a.symbol).toBe('BTCUSDT');
      expect(a.ts).toBeGreaterThanOrEqual(Date.UTC(2025, 10, 23, 5));
    }
  });
});

describe('backtest', () => {
  it('writes a features Parquet file with the documented columns, from --from on, warmed up', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-bt-'));
    const file = path.join(dir, 'features.parquet');
    const from = Date.UTC(2022, 10, 6);
    const to = Date.UTC(2022, 10, 13);
    const { report, alerts } = await runBacktest(store, { config, from, to, featuresFile: file });
    expect(report.from).toBe('2022-11-06 00:00');
    expect(report.hours).toBe(7 * 24);
    expect(report.warmup_hours).toBe(16 * 7 * 24);
    for (const a of alerts) expect(a.ts).toBeGreaterThanOrEqual(from);
    const rows = await queryRows(store.conn, `SELECT count(*)::INTEGER AS n, count(DISTINCT symbol)::INTEGER AS s,
      min(ts_ms)::DOUBLE AS first, count(volatility_24h)::INTEGER AS vol, count(vol_baseline)::INTEGER AS base,
      count(regime_1w)::INTEGER AS w, count(corr_btcusdt_ethusdt)::INTEGER AS corr, count(liq_total_usd)::INTEGER AS liq
      FROM read_parquet('${file}')`);
    // warmed up: every window-based value exists from the first reported hour; no liquidation data in 2022
    expect(rows[0]).toEqual({ n: 3 * 7 * 24, s: 3, first: from, vol: 504, base: 504, w: 504, corr: 504, liq: 0 });
    const cols = (await queryRows(store.conn, `DESCRIBE SELECT * FROM read_parquet('${file}')`)).map((r) => r.column_name);
    for (const c of ['ts_ms', 'symbol', 'close', 'volatility_24h', 'vol_baseline', 'vol_ratio', 'vol_regime', 'funding_rate_8h', 'funding_z',
      'liq_total_usd', 'liq_velocity_usd_h', 'cascade_severity', 'regime_1h', 'regime_4h', 'regime_1d', 'regime_1w', 'primary_regime',
      'regime_confidence', 'corr_btcusdt_ethusdt', 'corr_btcusdt_solusdt', 'corr_ethusdt_solusdt']) expect(cols).toContain(c);
    // FTX week: SOL's funding went to 2h intervals; the 8h-equivalent rate must reflect the normalisation
    const sol = await queryRows(store.conn, `SELECT min(funding_rate_8h) AS m FROM read_parquet('${file}') WHERE symbol = 'SOLUSDT'`);
    expect(sol[0].m as number).toBeLessThan(-0.02);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('proof of no lookahead (real data)', () => {
  it('every detector output at random cut hours and alert hours equals the full run', () => {
    const report = checkLookahead(data, config, { samples: 8, seed: 7, warmupStarts: 1 });
    expect(report.mismatches).toEqual([]);
    expect(report.passed).toBe(true);
    expect(report.samples).toBeGreaterThanOrEqual(6);
    expect(report.values_compared).toBeGreaterThan(1000);
    // every detector converges after a later start; the weekly regime needs the longest history
    for (const h of Object.values(report.warmup_hours)) expect(h).not.toBeNull();
    expect(report.warmup_hours.multi_timeframe_regime!).toBeGreaterThan(report.warmup_hours.volatility_regime!);
    expect(report.warmup_hours.volatility_regime!).toBeGreaterThanOrEqual(24 + 720);
  });

  it('catches a replay that lets the cut hour see the next hour', () => {
    const leaky = (d: ReplayData, cut: number) => {
      const t = truncateReplayData(d, cut + HOUR_MS);
      // serve hour cut+1's candle as hour cut's: what an off-by-one in the input assembly would do
      return {
        ...t,
        lastHour: cut,
        series: t.series.map((s) => {
          const n = s.candles.ts.length;
          if (n < 2 || s.candles.ts[n - 1] !== cut + HOUR_MS || s.candles.ts[n - 2] !== cut) return s;
          const candles = Object.fromEntries(Object.entries(s.candles).map(([k, v]) => {
            const copy = (v as Float64Array).slice(0, n - 1);
            if (k !== 'ts') copy[n - 2] = (v as Float64Array)[n - 1];
            return [k, copy];
          })) as unknown as typeof s.candles;
          return { ...s, candles };
        }),
      };
    };
    const report = checkLookahead(data, config, { samples: 2, seed: 3, warmupStarts: 1, warmupWindowHours: 48, truncate: leaky });
    expect(report.passed).toBe(false);
    expect(report.mismatches.some((m) => m.column === 'close')).toBe(true);
  });
});
