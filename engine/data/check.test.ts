// The data check on synthetic files written behind the importer's back (as another tool might), and on the
// bundled data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDuckDB, sqlString } from './duckdb.ts';
import { openStore } from './store.ts';
import { checkData } from './check.ts';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
let dir: string;

async function writeParquet(file: string, selectSql: string) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const { instance, conn } = await openDuckDB();
  await conn.run(`COPY (${selectSql}) TO ${sqlString(file)} (FORMAT parquet)`);
  conn.closeSync();
  instance.closeSync();
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-check-'));
  const rows = [
    [T0, 100, 102, 99, 101, 5],
    [T0 + H, 101, 103, 100, 102, 5],
    [T0 + H, 101, 103, 100, 102, 5], // duplicate
    [T0 + 5 * H, 102, 101, 103, 102, 5], // after a 3-hour gap; high < low
    [T0 + 4 * H, 102, 102, 102, 102, 0], // backwards; zero-volume placeholder
    [T0 + 6 * H, -1, 103, -1, 102, 5], // non-positive prices
  ];
  const values = rows.map((r) => `(epoch_ms(${r[0]}::BIGINT), ${r.slice(1).join(', ')})`).join(', ');
  await writeParquet(
    path.join(dir, 'binance/candles_1h/symbol=BADUSDT/year=2024/data.parquet'),
    `SELECT * FROM (VALUES ${values}) t(ts, open, high, low, close, volume)`,
  );
  const funding = [
    [T0, 8], [T0 + 8 * H, 8], [T0 + 12 * H, 4], [T0 + 14 * H, 2], [T0 + 16 * H, 2], [T0 + 40 * H, 8],
  ].map(([t, iv]) => `(epoch_ms(${t}::BIGINT), 0.0001, ${iv}, NULL::BIGINT, 'test')`).join(', ');
  await writeParquet(
    path.join(dir, 'binanceusdm/funding/symbol=BADUSDT/year=2024/data.parquet'),
    `SELECT * FROM (VALUES ${funding}) t(ts, funding_rate, funding_interval_hours, calc_time_ms, source)`,
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('data check', () => {
  it('finds every problem in a bad synthetic file', async () => {
    const store = await openStore({ datasetsDir: dir });
    const r = await checkData(store);
    store.close();
    const candles = r.tables.find((t) => t.table === 'candles_1h')!.series[0];
    expect(candles).toMatchObject({
      symbol: 'BADUSDT',
      rows: 6,
      duplicates: 1,
      non_monotonic: 1,
      non_positive_prices: 1,
      high_below_low: 1,
      zero_volume_placeholders: ['2024-01-01 04:00'],
      missing_hours: 2,
      gap_runs: [{ start: '2024-01-01 02:00', end: '2024-01-01 03:00', hours: 2 }],
    });
    expect(r.errors).toEqual(expect.arrayContaining([
      expect.stringMatching(/candles_1h BADUSDT: 1 duplicate rows/),
      expect.stringMatching(/1 rows out of time order/),
      expect.stringMatching(/non-positive price/),
      expect.stringMatching(/high < low/),
    ]));
    const funding = r.tables.find((t) => t.table === 'funding')!.series[0];
    expect(funding.funding_interval_changes).toEqual([
      { ts: '2024-01-01 12:00', from_hours: 8, to_hours: 4 },
      { ts: '2024-01-01 14:00', from_hours: 4, to_hours: 2 },
      { ts: '2024-01-02 16:00', from_hours: 2, to_hours: 8 },
    ]);
    expect(r.warnings.some((w) => /24h since the previous settlement at 2024-01-02 16:00/.test(w))).toBe(true);
    expect(r.warnings).toContain('liquidations: no coverage at all for BADUSDT (detectors report "no data", never zero)');
  });

  it('passes the bundled data with no errors and reports its known facts', async () => {
    const store = await openStore();
    const r = await checkData(store);
    store.close();
    expect(r.errors).toEqual([]);
    const sol = r.tables.find((t) => t.table === 'funding')!.series.find((s) => s.symbol === 'SOLUSDT')!;
    expect(sol.funding_interval_changes!.map((c) => c.to_hours)).toEqual([4, 2, 8]);
    const liq = r.tables.find((t) => t.table === 'liquidations_1h')!.series[0];
    expect(liq.liquidation_coverage).toEqual([
      { kind: 'aggregated', source: 'coinglass_aggregated(binance,bybit,okx)', hours: 4320, first: '2025-11-23 05:00', last: '2026-05-22 04:00' },
    ]);
  });
});
