// A saved run read back through the DashboardSource contract, checked against the backtest's own alerts and
// against DuckDB reading the same Parquet file.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDB, queryRows, sqlString } from '../engine/data/duckdb.ts';
import { UserError } from '../engine/errors.ts';
import { HOUR_MS } from '../engine/pipeline/input.ts';
import { runFile } from '../engine/results/run-store.ts';
import { createRunSource, type RunSource } from './run-source.ts';
import { makeRun, tempResultsDir, type FixtureRun } from './testing.ts';

let fx: FixtureRun;
let src: RunSource;

beforeAll(async () => {
  fx = await makeRun(tempResultsDir());
  src = createRunSource(fx.resultsDir, 'latest');
  await src.ready();
});

afterAll(() => fs.rmSync(fx.resultsDir, { recursive: true, force: true }));

async function sql(q: string): Promise<Record<string, unknown>[]> {
  const { instance, conn } = await openDuckDB();
  try {
    return await queryRows(conn, q);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe('createRunSource', () => {
  it('describes the run: id, symbols, range from the manifest, scorecard', () => {
    expect(src.kind).toBe('backtest');
    expect(src.id).toBe(fx.record.manifest.id);
    expect(src.symbols).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
    expect(src.range()).toEqual({ first: Date.parse('2026-03-01T00:00:00Z'), last: Date.parse('2026-03-31T23:00:00Z') });
    expect(src.scorecard()?.alerts.total).toBe(fx.alerts.length);
  });

  it('latestFeatures: the newest row per symbol at or before the cursor, equal to the Parquet row', async () => {
    const at = Date.parse('2026-03-15T12:30:00Z');
    const rows = await src.latestFeatures(at);
    expect(rows.map((r) => r.symbol)).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
    const file = runFile(fx.resultsDir, src.id, 'features.parquet')!;
    const expected = await sql(
      `SELECT * EXCLUDE (ts) REPLACE (ts_ms::DOUBLE AS ts_ms) FROM read_parquet(${sqlString(file)}) WHERE ts_ms <= ${at} QUALIFY row_number() OVER (PARTITION BY symbol ORDER BY ts_ms DESC) = 1 ORDER BY symbol`,
    );
    expect(rows.map((r) => r.ts_ms)).toEqual(expected.map((r) => r.ts_ms));
    for (let i = 0; i < rows.length; i++) {
      for (const [k, v] of Object.entries(expected[i])) expect(rows[i][k], `${rows[i].symbol}.${k}`).toEqual(v);
    }
    // BTC is covered by aggregated liquidations in March 2026, ETH is not: "no data", not zero
    expect(rows[0].liq_kind).toBe('aggregated');
    expect(rows[1].liq_status).toBe('no_data');
    expect(rows[1].liq_total_usd).toBeNull();
  });

  it('latestFeatures before the run starts is empty, after it ends is the last hour', async () => {
    expect(await src.latestFeatures(Date.parse('2026-02-01T00:00:00Z'))).toEqual([]);
    const end = await src.latestFeatures(Date.parse('2027-01-01T00:00:00Z'));
    expect(end.every((r) => r.ts_ms === src.range()!.last)).toBe(true);
    expect(await src.latestFeatures()).toEqual(end);
  });

  it('featureHistory: rows in (at − hours, at], ascending; unknown symbol → none', async () => {
    const at = Date.parse('2026-03-10T05:00:00Z');
    const h = await src.featureHistory('ETHUSDT', 24, at);
    expect(h.length).toBeGreaterThan(20);
    expect(h.length).toBeLessThanOrEqual(24);
    expect(h[h.length - 1].ts_ms).toBe(at);
    expect(h[0].ts_ms as number).toBeGreaterThan(at - 24 * HOUR_MS);
    for (let i = 1; i < h.length; i++) expect(h[i].ts_ms as number).toBeGreaterThan(h[i - 1].ts_ms as number);
    expect(h.every((r) => r.symbol === 'ETHUSDT')).toBe(true);
    expect(await src.featureHistory('XRPUSDT', 24, at)).toEqual([]);
  });

  it('events: newest first, nothing after the cursor, filters as asked', async () => {
    const at = Date.parse('2026-03-20T00:00:00Z');
    const all = await src.events({ limit: 1000, at });
    const expected = fx.alerts.filter((a) => a.ts <= at).sort((a, b) => b.ts - a.ts || (a.id < b.id ? 1 : -1));
    expect(all.map((a) => a.id)).toEqual(expected.map((a) => a.id));
    expect(all[0].data).toEqual(expected[0].data);

    const since = at - 5 * 24 * HOUR_MS;
    const recent = await src.events({ limit: 1000, at, since });
    expect(recent.length).toBe(expected.filter((a) => a.ts >= since).length);

    const limited = await src.events({ limit: 3, at });
    expect(limited.map((a) => a.id)).toEqual(expected.slice(0, 3).map((a) => a.id));

    const type = expected[0].event_type;
    const byType = await src.events({ limit: 1000, at, type });
    expect(byType.length).toBe(expected.filter((a) => a.event_type === type).length);
    expect(byType.every((a) => a.event_type === type)).toBe(true);

    const bySeverity = await src.events({ limit: 1000, at, severity: 'WARNING' });
    expect(bySeverity.length).toBe(expected.filter((a) => a.severity === 'WARNING').length);

    // a symbol filter keeps the pair alerts the symbol is part of
    const eth = await src.events({ limit: 1000, symbol: 'ETHUSDT' });
    expect(eth.length).toBe(fx.alerts.filter((a) => a.symbol === 'ETHUSDT' || a.symbol.split('/').includes('ETHUSDT')).length);
    expect(eth.every((a) => a.symbol.includes('ETHUSDT'))).toBe(true);
  });

  it('liquidation coverage per symbol: kind and range where there is data, none where there is not', async () => {
    const cov = await src.liquidationCoverage();
    const btc = cov.find((c) => c.symbol === 'BTCUSDT')!;
    expect(btc.kinds).toEqual(['aggregated']);
    expect(btc.hours_with_data).toBe(fx.record.report.liquidation_coverage.find((c) => c.symbol === 'BTCUSDT')!.hours_with_data);
    expect(btc.hours_with_data).toBeGreaterThan(700);
    expect(btc.first).toBe(src.range()!.first);
    expect(cov.find((c) => c.symbol === 'ETHUSDT')).toEqual({ symbol: 'ETHUSDT', kinds: [], first: null, last: null, hours_with_data: 0 });
  });

  it('status is the run manifest', async () => {
    const st = await src.status();
    expect(st.manifest).toEqual(fx.record.manifest);
    expect(st.alerts).toBe(fx.alerts.length);
  });

  it('an unknown run is a UserError naming it', () => {
    expect(() => createRunSource(fx.resultsDir, 'no-such-run')).toThrow(UserError);
    expect(() => createRunSource(fx.resultsDir, 'no-such-run')).toThrow(/no-such-run/);
    const empty = tempResultsDir();
    try {
      expect(() => createRunSource(empty, 'latest')).toThrow(/no saved runs/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
