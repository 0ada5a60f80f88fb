// volatility_24h and the pair correlations of the replay, checked against an independent DuckDB SQL window
// computation over the whole bundled history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../data/store.ts';
import { readFloatColumns } from '../data/duckdb.ts';
import { defaultConfig } from '../pipeline/config.ts';
import { loadReplayData } from './replay-data.ts';
import { runReplay } from './replay.ts';

let store: Store;
const config = defaultConfig();
const vol = new Map<string, Map<number, number | null>>();
const corr = new Map<string, Map<number, number | null>>();

beforeAll(async () => {
  store = await openStore();
  const data = await loadReplayData(store, config.symbols);
  for (const s of config.symbols) vol.set(s, new Map());
  const pairs = ['btcusdt_ethusdt', 'btcusdt_solusdt', 'ethusdt_solusdt'];
  for (const p of pairs) corr.set(p, new Map());
  runReplay(data, config, {
    onStep: (step) => {
      for (const f of step.features) vol.get(f.symbol)!.set(f.ts, f.volatility.volatility_24h);
      if (step.features.length === 0) return;
      for (const p of pairs) {
        const pair = step.correlations.pairs.find((x) => x.key === p);
        corr.get(p)!.set(step.ts, pair?.corr ?? null);
      }
    },
  });
});
afterAll(() => store.close());

const returnsSql = (symbol: string) => `
  SELECT ts, CASE WHEN lag(ts) OVER w = ts - INTERVAL 1 HOUR THEN ln(close / lag(close) OVER w) END AS r
  FROM candles_1h WHERE symbol = '${symbol}' WINDOW w AS (ORDER BY ts)`;

describe('SQL cross-check over the whole history', () => {
  for (const symbol of ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']) {
    it(`volatility_24h of ${symbol}`, async () => {
      const sql = await readFloatColumns(store.conn, `
        SELECT epoch_ms(ts)::DOUBLE AS ts, (stddev_samp(r) OVER w * sqrt(24))::DOUBLE AS v, count(r) OVER w::DOUBLE AS n
        FROM (${returnsSql(symbol)}) WINDOW w AS (ORDER BY ts RANGE BETWEEN INTERVAL 23 HOURS PRECEDING AND CURRENT ROW)
        ORDER BY ts`);
      const ours = vol.get(symbol)!;
      let compared = 0;
      let nulls = 0;
      for (let i = 0; i < sql.ts.length; i++) {
        const mine = ours.get(sql.ts[i]);
        expect(mine, new Date(sql.ts[i]).toISOString()).not.toBeUndefined();
        if (sql.n[i] < 24) {
          // a window holding a missing hour (or the first day) has no value: never computed across a gap
          expect(mine, new Date(sql.ts[i]).toISOString()).toBeNull();
          nulls++;
          continue;
        }
        expect(Math.abs((mine as number) - sql.v[i])).toBeLessThanOrEqual(1e-9 * Math.max(1, sql.v[i]));
        compared++;
      }
      expect(compared).toBeGreaterThan(49_000);
      expect(nulls).toBeGreaterThan(24);
    });
  }

  for (const [a, b] of [['BTCUSDT', 'ETHUSDT'], ['BTCUSDT', 'SOLUSDT'], ['ETHUSDT', 'SOLUSDT']]) {
    it(`168 h correlation ${a}/${b}`, async () => {
      const sql = await readFloatColumns(store.conn, `
        WITH x AS (${returnsSql(a)}), y AS (${returnsSql(b)}),
        j AS (SELECT x.ts, x.r AS rx, y.r AS ry FROM x JOIN y USING (ts))
        SELECT epoch_ms(ts)::DOUBLE AS ts, corr(rx, ry) OVER w::DOUBLE AS c,
               count(CASE WHEN rx IS NOT NULL AND ry IS NOT NULL THEN 1 END) OVER w::DOUBLE AS n
        FROM j WINDOW w AS (ORDER BY ts RANGE BETWEEN INTERVAL 167 HOURS PRECEDING AND CURRENT ROW)
        ORDER BY ts`);
      const ours = corr.get(`${a}_${b}`.toLowerCase())!;
      let compared = 0;
      for (let i = 0; i < sql.ts.length; i++) {
        const mine = ours.get(sql.ts[i]);
        if (sql.n[i] < 168) {
          expect(mine ?? null, new Date(sql.ts[i]).toISOString()).toBeNull();
          continue;
        }
        expect(mine, new Date(sql.ts[i]).toISOString()).not.toBeNull();
        expect(Math.abs((mine as number) - sql.c[i])).toBeLessThanOrEqual(1e-8);
        compared++;
      }
      expect(compared).toBeGreaterThan(40_000);
    });
  }
});
