// The TypeScript resampler against an independent DuckDB aggregation over the whole bundled history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from './store.ts';
import { loadCandles } from './load.ts';
import { readFloatColumns } from './duckdb.ts';
import { resampleColumns, TIMEFRAME_MS, type Timeframe } from './resample.ts';

let store: Store;
beforeAll(async () => {
  store = await openStore();
});
afterAll(() => store.close());

const SQL_BUCKET: Record<Timeframe, string> = {
  '4h': `time_bucket(INTERVAL '4 hours', ts)`,
  '1d': `time_bucket(INTERVAL '1 day', ts)`,
  // DuckDB's default origin for week buckets is Monday 2000-01-03: Monday weeks, as Binance's.
  '1w': `time_bucket(INTERVAL '1 week', ts)`,
};

describe('resampling 1h → 4h / 1d / 1w equals DuckDB SQL over the whole history', () => {
  for (const symbol of ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']) {
    for (const tf of ['4h', '1d', '1w'] as Timeframe[]) {
      it(`${symbol} ${tf}`, async () => {
        const hourly = await loadCandles(store, symbol);
        const ours = resampleColumns(hourly, tf);
        const lastHour = hourly.ts[hourly.ts.length - 1];
        const sql = await readFloatColumns(
          store.conn,
          `SELECT epoch_ms(b)::DOUBLE AS ts, first(open ORDER BY ts)::DOUBLE AS open, max(high)::DOUBLE AS high,
                  min(low)::DOUBLE AS low, last(close ORDER BY ts)::DOUBLE AS close, sum(volume)::DOUBLE AS volume,
                  count(*)::DOUBLE AS hours
           FROM (SELECT ${SQL_BUCKET[tf]} AS b, * FROM candles_1h WHERE symbol = '${symbol}')
           GROUP BY b
           HAVING epoch_ms(b) + ${TIMEFRAME_MS[tf]} <= ${lastHour + 3_600_000}
           ORDER BY b`,
        );
        // Periods entirely inside a gap exist in ours as empty bars (0 hours) and not at all in SQL.
        const idx = [...ours.hours.keys()].filter((i) => ours.hours[i] > 0);
        expect(idx.length).toBe(sql.ts.length);
        const expected = TIMEFRAME_MS[tf] / 3_600_000;
        let incomplete = 0;
        idx.forEach((i, k) => {
          expect(ours.ts[i]).toBe(sql.ts[k]);
          expect(ours.open[i]).toBe(sql.open[k]);
          expect(ours.high[i]).toBe(sql.high[k]);
          expect(ours.low[i]).toBe(sql.low[k]);
          expect(ours.close[i]).toBe(sql.close[k]);
          expect(ours.volume[i]).toBeCloseTo(sql.volume[k], 6);
          expect(ours.hours[i]).toBe(sql.hours[k]);
          expect(ours.complete[i]).toBe(sql.hours[k] === expected ? 1 : 0);
          if (!ours.complete[i]) incomplete++;
        });
        // the bundled data has gaps, so some bars must be flagged incomplete
        expect(incomplete).toBeGreaterThan(0);
        if (tf === '1w') expect(new Date(ours.ts[idx[0]]).getUTCDay()).toBe(1);
      });
    }
  }
});
