import { describe, expect, it } from 'vitest';
import { seededGaussian, seededRandom } from '../detectors/synthetic.ts';
import { parseConfig, type PipelineConfig } from './config.ts';
import { BASE_COLUMNS, featureColumns, toFeatureRow, type FeatureRow } from './feature-row.ts';
import { HOUR_MS, type SymbolHour } from './input.ts';
import { Pipeline, type StepResult } from './pipeline.ts';

const T0 = Date.UTC(2024, 0, 1);
const SYMS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];

/** a synthetic market: correlated random walks, 8 h funding, hourly liquidations, a few missing hours */
function syntheticMarket(n: number, seed: number, missing: [string, number][] = []): SymbolHour[][] {
  const g = seededGaussian(seed);
  const u = seededRandom(seed + 1);
  const px = [40_000, 2_000, 100];
  const gone = new Set(missing.map(([s, h]) => `${s}@${h}`));
  const hours: SymbolHour[][] = [];
  for (let h = 0; h < n; h++) {
    const ts = T0 + h * HOUR_MS;
    const common = g();
    hours.push(
      SYMS.map((symbol, i) => {
        px[i] *= Math.exp(0.006 * (0.7 * common + 0.7 * g()));
        const p = px[i];
        return {
          symbol,
          ts,
          candle: gone.has(`${symbol}@${h}`) ? null : { open: p, high: p * 1.004, low: p * 0.996, close: p, volume: 500 * Math.exp(0.4 * g()) },
          funding: h % 8 === 0 ? { rate: 1e-4 * (1 + 0.5 * g()), intervalHours: 8, settledAt: ts } : null,
          liquidation: u() < 0.01 ? null : { longUsd: 20_000 * Math.exp(g()), shortUsd: 20_000 * Math.exp(g()), kind: 'aggregated', source: 'synthetic' },
        };
      }),
    );
  }
  return hours;
}

function replay(hours: SymbolHour[][], config: PipelineConfig = parseConfig({})): StepResult[] {
  const p = new Pipeline(config);
  return hours.map((h, i) => {
    const r = p.step(T0 + i * HOUR_MS, h);
    // the pair values are columns the next step overwrites: these tests read them after the replay
    void r.correlations.pairs;
    return r;
  });
}

const rows = (results: StepResult[]): FeatureRow[] => results.flatMap((r) => r.features.map(toFeatureRow));

describe('Pipeline', () => {
  const N = 1100;
  const market = syntheticMarket(N, 1, [
    ['SOLUSDT', 900],
    ['BTCUSDT', 950],
  ]);
  const results = replay(market);

  it('skips and flags a symbol with a missing hour while its detectors advance', () => {
    const r = results[900];
    expect(r.missing).toEqual(['SOLUSDT']);
    expect(r.features.map((f) => f.symbol)).toEqual(['BTCUSDT', 'ETHUSDT']);
    const after = results[901].features.find((f) => f.symbol === 'SOLUSDT')!;
    expect(after.volatility.status).toBe('gap_in_window');
    expect(after.volatility.return_1h).toBeNull();
    expect(after.cascades.status).toBe('gap_in_window');
    expect(toFeatureRow(after).gap_in_window).toBe(true);
    const pair = results[901].correlations.pairs.find((p) => p.a === 'BTCUSDT' && p.b === 'SOLUSDT')!;
    expect(pair.corr).toBeNull();
    expect(results[899].missing).toEqual([]);
  });

  it('produces finite features wherever the inputs are complete', () => {
    let checked = 0;
    // 1h/4h z-scores and the volatility baseline are warm after ~31 days, the daily z after 31 complete days;
    // the weekly one needs 13 weeks and is left out here
    for (const r of results.slice(24 * 32, 900)) {
      for (const f of r.features) {
        const row = toFeatureRow(f);
        for (const col of ['close', 'volatility_24h', 'vol_baseline', 'vol_ratio', 'funding_rate_8h', 'funding_z', 'liq_total_usd', 'liq_velocity_usd_h', 'cascade_severity', 'price_z_1h', 'volume_z_1h', 'heat_1h', 'regime_confidence']) {
          // 1 % of hours lack liquidation coverage, which blocks the 4 h window: no data, not a failure
          if (row.liq_status !== 'ok' && (col.startsWith('liq') || col === 'cascade_severity')) continue;
          if (!Number.isFinite(row[col])) throw new Error(`${f.symbol} ${new Date(f.ts).toISOString()} ${col} = ${row[col]}`);
        }
        expect(typeof row.vol_regime).toBe('string');
        expect(typeof row.regime_1h).toBe('string');
        expect(typeof row.regime_4h).toBe('string');
        expect(typeof row.regime_1d).toBe('string');
        expect(typeof row.primary_regime).toBe('string');
        for (const k of ['corr_btcusdt_ethusdt', 'corr_btcusdt_solusdt', 'corr_ethusdt_solusdt']) expect(Number.isFinite(row[k])).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(300);
  });

  it('is causal end to end: changing the future leaves earlier rows and alerts unchanged', () => {
    const cut = 1000;
    const tampered = market.map((hs, h) =>
      h < cut
        ? hs
        : hs.map((x) => ({
            ...x,
            candle: x.candle && { ...x.candle, close: x.candle.close * 1.5, volume: x.candle.volume * 10 },
            liquidation: x.liquidation && { ...x.liquidation, longUsd: 5e7 },
            funding: x.funding && { ...x.funding, rate: -0.01 },
          })),
    );
    const other = replay(tampered);
    expect(rows(other.slice(0, cut))).toEqual(rows(results.slice(0, cut)));
    expect(other.slice(0, cut).flatMap((r) => r.alerts)).toEqual(results.slice(0, cut).flatMap((r) => r.alerts));
    expect(rows(other.slice(cut))).not.toEqual(rows(results.slice(cut)));
  });

  it('produces the same alert ids in a second replay, with unique ids', () => {
    const again = replay(market);
    const ids = results.flatMap((r) => r.alerts.map((a) => a.id));
    expect(again.flatMap((r) => r.alerts.map((a) => a.id))).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('without alerts steps the same detectors: every hour the same features and correlations, and no alert', () => {
    expect(results.some((r) => r.alerts.length > 0)).toBe(true);
    const p = new Pipeline(parseConfig({}), { alerts: false });
    market.forEach((h, i) => {
      const r = p.step(T0 + i * HOUR_MS, h);
      // read during the step, as replay() read the others' (the features hold the same hour's correlations)
      expect(r.correlations.pairs).toEqual(results[i].correlations.pairs);
      expect(r.alerts).toHaveLength(0);
      // without the correlations they hold: those read columns the next step overwrites
      const own = (fs: StepResult['features']) => fs.map(({ correlations: _, ...f }) => f);
      expect(own(r.features)).toEqual(own(results[i].features));
      expect(r.missing).toEqual(results[i].missing);
    });
  });

  it('fires a liquidation cascade once per episode and reports the suppressed repeats', () => {
    const hours = syntheticMarket(60, 2);
    for (let h = 30; h < 40; h++) hours[h][0] = { ...hours[h][0], liquidation: { longUsd: 2_000_000, shortUsd: 100_000, kind: 'observed', source: 'test' } };
    // the absolute USD rule (the seed preset): the relative default needs 720 h of liquidation history first
    const res = replay(hours, parseConfig({ cascade: { mode: 'absolute' } }));
    const cascades = res.flatMap((r) => r.alerts.filter((a) => a.event_type === 'LIQUIDATION_CASCADE'));
    expect(cascades).toHaveLength(1);
    expect(cascades[0]).toMatchObject({ ts: T0 + 30 * HOUR_MS, symbol: 'BTCUSDT', source: 'cascade', severity: 'CRITICAL' });
    expect(cascades[0].description).toContain('side bias LONG');
    const suppressed = res.reduce((n, r) => n + r.suppressed.transition.LIQUIDATION_CASCADE, 0);
    expect(suppressed).toBe(9 + 3);
  });

  it('requires consecutive clock hours and configured symbols', () => {
    const p = new Pipeline(parseConfig({}));
    const hours = syntheticMarket(3, 3);
    p.step(T0, hours[0]);
    expect(() => p.step(T0 + 2 * HOUR_MS, hours[2])).toThrow(/expected hour/);
    expect(() => new Pipeline(parseConfig({})).step(T0 + 5, hours[0])).toThrow(/hour boundary/);
    expect(() => new Pipeline(parseConfig({ symbols: ['BTCUSDT'] })).step(T0, hours[0])).toThrow(/not configured/);
  });

  it('accepts hours in any order and treats an absent symbol as missing', () => {
    const hours = syntheticMarket(2, 4);
    const p = new Pipeline(parseConfig({}));
    p.step(T0, [...hours[0]].reverse());
    const r = p.step(T0 + HOUR_MS, [hours[1][2], hours[1][0]]);
    expect(r.features.map((f) => f.symbol)).toEqual(['BTCUSDT', 'SOLUSDT']);
    expect(r.missing).toEqual(['ETHUSDT']);
  });
});

describe('feature rows', () => {
  it('have exactly the documented columns, with the documented types', () => {
    const res = replay(syntheticMarket(800, 5));
    const cols = featureColumns(SYMS);
    expect(cols.slice(0, BASE_COLUMNS.length)).toEqual(BASE_COLUMNS);
    expect(new Set(cols.map((c) => c.name)).size).toBe(cols.length);
    for (const required of [
      'ts_ms', 'symbol', 'close', 'volatility_24h', 'vol_baseline', 'vol_ratio', 'vol_regime', 'funding_rate_8h', 'funding_z',
      'liq_total_usd', 'liq_velocity_usd_h', 'cascade_severity', 'regime_1h', 'regime_4h', 'regime_1d', 'regime_1w',
      'primary_regime', 'regime_confidence', 'corr_btcusdt_ethusdt', 'corr_btcusdt_solusdt', 'corr_ethusdt_solusdt',
    ]) {
      expect(cols.map((c) => c.name)).toContain(required);
    }
    for (const r of res.filter((_, i) => i % 50 === 0 || i === 799)) {
      for (const f of r.features) {
        const row = toFeatureRow(f);
        expect(Object.keys(row)).toEqual(cols.map((c) => c.name));
        for (const c of cols) {
          const v = row[c.name];
          if (v !== null) expect(typeof v).toBe(c.type);
        }
      }
    }
  });
});
