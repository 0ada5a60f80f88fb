// Known facts of the bundled real dataset, checked through the store exactly as the engine reads it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { openStore, type Store } from './store.ts';
import { queryRows, queryValue } from './duckdb.ts';
import { loadCandles, loadFunding, loadLiquidations } from './load.ts';
import { formatGap, hourlyGapRuns } from './gaps.ts';
import { buildManifest, readManifest } from './manifest.ts';
import { DEFAULT_DATASETS_DIR } from './layout.ts';

let store: Store;
beforeAll(async () => {
  store = await openStore();
});
afterAll(() => store.close());

describe('bundled dataset', () => {
  it('has the row counts of the source files', async () => {
    const rows = await queryRows(store.conn, `SELECT symbol, count(*)::INTEGER AS n FROM candles_1h GROUP BY symbol ORDER BY symbol`);
    expect(rows).toEqual([
      { symbol: 'BTCUSDT', n: 73265 },
      { symbol: 'ETHUSDT', n: 73265 },
      { symbol: 'SOLUSDT', n: 50489 },
    ]);
    expect(await queryValue(store.conn, `SELECT count(*)::INTEGER FROM funding`)).toBe(7457 + 7223 + 6424);
    expect(await queryValue(store.conn, `SELECT count(*)::INTEGER FROM liquidations_1h`)).toBe(4320);
  });

  it('BTC spot close at 2021-05-19 23:00 UTC is the last close of that day (36,690.09)', async () => {
    const close = await queryValue(store.conn,
      `SELECT close FROM candles_1h WHERE symbol = 'BTCUSDT' AND ts = TIMESTAMP '2021-05-19 23:00:00'`);
    expect(close).toBe(36690.09);
    const day = await queryRows(store.conn,
      `SELECT min(low) AS low, max(high) AS high, count(*)::INTEGER AS bars FROM candles_1h
       WHERE symbol = 'BTCUSDT' AND ts >= TIMESTAMP '2021-05-19' AND ts < TIMESTAMP '2021-05-20'`);
    expect(day[0]).toEqual({ low: 30000, high: 43584.9, bars: 24 });
  });

  it('keeps the 33-hour gap of February 2018 as a gap', async () => {
    const gaps = await hourlyGapRuns(store.conn, `(SELECT * FROM candles_1h WHERE symbol = 'BTCUSDT')`);
    const feb = gaps.find((g) => g.start_ms === Date.UTC(2018, 1, 8, 1));
    expect(feb).toEqual({ symbol: 'BTCUSDT', start_ms: Date.UTC(2018, 1, 8, 1), end_ms: Date.UTC(2018, 1, 9, 9), hours: 33 });
    expect(gaps.reduce((a, g) => a + g.hours, 0)).toBe(122);
    expect(gaps.length).toBe(27);
  });

  it("the manifest's gaps, found from each partition's ends and inner gaps, are the whole table's gap runs for every series", async () => {
    // built afresh from the partitions (buildManifest writes nothing), not read from the committed manifest.json
    const built = await buildManifest(DEFAULT_DATASETS_DIR);
    let runs = 0;
    for (const table of ['candles_1h', 'perp_1h', 'mark_1h'] as const) {
      for (const series of built.tables[table]!.series) {
        const whole = await hourlyGapRuns(store.conn, `(SELECT * FROM ${table} WHERE symbol = '${series.symbol}')`);
        expect(series.gaps).toEqual(whole.map(formatGap));
        expect(series.missing_hours).toBe(whole.reduce((a, g) => a + g.hours, 0));
        runs += whole.length;
      }
    }
    expect(runs).toBeGreaterThan(50);
  });

  it('records SOL funding at a 2h interval in November 2022', async () => {
    const rows = await queryRows(store.conn,
      `SELECT funding_interval_hours::INTEGER AS iv, count(*)::INTEGER AS n, min(funding_rate) AS min_rate FROM funding
       WHERE symbol = 'SOLUSDT' AND ts >= TIMESTAMP '2022-11-01' AND ts < TIMESTAMP '2022-12-01'
       GROUP BY iv ORDER BY iv`);
    expect(rows.map((r) => r.iv)).toEqual([2, 4, 8]);
    const twoHour = rows.find((r) => r.iv === 2)!;
    expect(twoHour.n).toBeGreaterThan(50);
    expect(twoHour.min_rate as number).toBeLessThanOrEqual(-0.01);
  });

  it('labels every liquidation row with kind and source', async () => {
    const rows = await queryRows(store.conn, `SELECT kind, source, count(*)::INTEGER AS n FROM liquidations_1h GROUP BY ALL`);
    expect(rows).toEqual([{ kind: 'aggregated', source: 'coinglass_aggregated(binance,bybit,okx)', n: 4320 }]);
  });

  it('loads typed arrays equal to the SQL values, with NaN-free complete columns', async () => {
    const btc = await loadCandles(store, 'BTCUSDT');
    expect(btc.ts).toBeInstanceOf(Float64Array);
    expect(btc.ts.length).toBe(73265);
    expect(btc.ts[0]).toBe(Date.UTC(2018, 0, 1));
    expect(btc.close[0]).toBe(13529.01);
    const sum = await queryValue<number>(store.conn, `SELECT sum(close) FROM candles_1h WHERE symbol = 'BTCUSDT'`);
    expect(btc.close.reduce((a, b) => a + b, 0)).toBeCloseTo(sum, 3);
    expect(btc.close.some(Number.isNaN)).toBe(false);
    const f = await loadFunding(store, 'SOLUSDT', { from: Date.UTC(2022, 10, 10), to: Date.UTC(2022, 10, 11) });
    expect([...f.intervalHours]).toContain(2);
    const liq = await loadLiquidations(store, 'BTCUSDT');
    expect(liq.ts.length).toBe(4320);
    expect(liq.kind.every((k) => k === 1)).toBe(true);
  });

  it('manifest matches the files on disk', () => {
    const manifest = readManifest(DEFAULT_DATASETS_DIR)!;
    const files = manifest.tables.candles_1h!.files;
    expect(files.length).toBe(25);
    for (const f of files.slice(0, 5)) {
      const bytes = fs.readFileSync(path.join(DEFAULT_DATASETS_DIR, f.path));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(f.sha256);
    }
    const btc = manifest.tables.candles_1h!.series.find((s) => s.symbol === 'BTCUSDT')!;
    expect(btc.missing_hours).toBe(122);
    expect(btc.gaps).toContain('2018-02-08 01:00 .. 2018-02-09 09:00 (33 h)');
  });
});
