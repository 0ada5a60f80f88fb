// The columnar feature writer (writeFeatures → typed columns → own Parquet writer) against the row-object DuckDB writer
// and the row mapping it replaced, on a real range of the bundled data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '../data/store.ts';
import { openDuckDB, queryRows, sqlString } from '../data/duckdb.ts';
import { defaultConfig } from '../pipeline/config.ts';
import { BASE_COLUMNS, featureColumns, pairColumnNames, toFeatureRow, writeFeatures, type ColumnSpec, type FeatureRow } from '../pipeline/feature-row.ts';
import type { FeaturePackage } from '../pipeline/feature-package.ts';
import { loadReplayData } from './replay-data.ts';
import { runReplay } from './replay.ts';
import { runBacktest } from './backtest.ts';
import { FeatureTable } from './feature-writer.ts';
import { PARQUET_WRITER, startAhead, waitingAhead } from '../worker-threads.ts';


/** The row mapping before writeFeatures existed, kept verbatim as the oracle of every column's value. */
function oldToFeatureRow(f: FeaturePackage): FeatureRow {
  const v = f.volatility;
  const fu = f.funding;
  const l = f.cascades;
  const r = f.regimes;
  const zone = l.zones.length > 0 ? l.zones[0] : null;
  const row: FeatureRow = {
    ts_ms: f.ts,
    symbol: f.symbol,
    close: f.close,
    gap_in_window:
      v.status === 'gap_in_window' ||
      l.status === 'gap_in_window' ||
      r['1h'].status === 'gap_in_window' ||
      r['4h'].status === 'gap_in_window' ||
      r['1d'].status === 'gap_in_window' ||
      r['1w'].status === 'gap_in_window' ||
      pairGap(f),
    vol_status: v.status,
    return_1h: v.return_1h,
    volatility_24h: v.volatility_24h,
    vol_baseline: v.vol_baseline,
    vol_baseline_coverage: v.baseline_coverage,
    vol_ratio: v.ratio,
    vol_regime: v.regime,
    vol_risk_multiplier: v.risk_multiplier,
    vol_cluster_prob: v.cluster_prob,
    vol_exceed_rate: v.exceed_rate,
    funding_status: fu.status,
    funding_rate_8h: fu.rate_8h,
    funding_z: fu.z,
    funding_percentile: fu.percentile,
    funding_state: fu.state,
    funding_reversal: fu.rate_8h === null ? null : fu.reversal,
    funding_hours_since_settlement: fu.hours_since_settlement,
    funding_coverage: fu.coverage,
    liq_status: l.status,
    liq_kind: l.kind,
    liq_long_usd: l.long_usd,
    liq_short_usd: l.short_usd,
    liq_total_usd: l.total_usd,
    liq_velocity_usd_h: l.velocity_usd_h,
    liq_velocity_z: l.velocity_z,
    liq_side_bias: l.side_bias,
    cascade_detected: l.cascade_detected,
    cascade_severity: l.severity,
    liq_zone_price: zone === null ? null : zone.price,
    liq_zone_share: zone === null ? null : zone.share,
    regime_1h: r['1h'].regime,
    regime_4h: r['4h'].regime,
    regime_1d: r['1d'].regime,
    regime_1w: r['1w'].regime,
    price_z_1h: r['1h'].price_z,
    price_z_4h: r['4h'].price_z,
    price_z_1d: r['1d'].price_z,
    price_z_1w: r['1w'].price_z,
    volume_z_1h: r['1h'].volume_z,
    volume_z_4h: r['4h'].volume_z,
    volume_z_1d: r['1d'].volume_z,
    volume_z_1w: r['1w'].volume_z,
    heat_1h: r['1h'].heat,
    heat_4h: r['4h'].heat,
    heat_1d: r['1d'].heat,
    heat_1w: r['1w'].heat,
    primary_regime: r.primary,
    regime_confidence: r.confidence,
  };
  for (const p of f.correlations.pairs) {
    const names = pairColumnNames(p.key);
    row[names[0]] = p.corr;
    row[names[1]] = p.normal;
    row[names[2]] = p.broken;
    row[names[3]] = p.leader;
  }
  return row;
}

function pairGap(f: FeaturePackage): boolean {
  for (const p of f.correlations.pairs) {
    if (p.status === 'gap_in_window' && (p.a === f.symbol || p.b === f.symbol)) return true;
  }
  return false;
}

/** The previous implementation, kept as the oracle: every value appended one by one, then sorted in SQL. */
async function referenceParquet(columns: readonly ColumnSpec[], rows: readonly FeatureRow[], file: string): Promise<void> {
  const sqlType = { number: 'DOUBLE', string: 'VARCHAR', boolean: 'BOOLEAN' } as const;
  const { instance, conn } = await openDuckDB();
  try {
    await conn.run(`CREATE TABLE features (${columns.map((c) => `"${c.name}" ${sqlType[c.type]}`).join(', ')})`);
    const appender = await conn.createAppender('features');
    for (const row of rows) {
      for (const c of columns) {
        const v = row[c.name];
        if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) appender.appendNull();
        else if (c.type === 'number') appender.appendDouble(v as number);
        else if (c.type === 'boolean') appender.appendBoolean(v as boolean);
        else appender.appendVarchar(String(v));
      }
      appender.endRow();
    }
    appender.closeSync();
    await conn.run(
      `COPY (SELECT make_timestamp((ts_ms * 1000)::BIGINT) AS ts, * REPLACE (ts_ms::BIGINT AS ts_ms) FROM features ORDER BY ts_ms, symbol) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd)`,
    );
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function readParquet(file: string): Promise<{ schema: Record<string, unknown>[]; rows: Record<string, unknown>[] }> {
  const { instance, conn } = await openDuckDB();
  try {
    const schema = await queryRows(conn, `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${sqlString(file)}))`);
    const rows = await queryRows(conn, `SELECT * FROM read_parquet(${sqlString(file)})`);
    return { schema, rows };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

let store: Store;
let tmp: string;
const config = defaultConfig();
const FROM = Date.UTC(2022, 4, 1);
const TO = Date.UTC(2022, 6, 1);
beforeAll(async () => {
  store = await openStore();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'feature-writer-'));
});
afterAll(() => {
  store.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('typed chunk-wise feature writer', () => {
  it('writes the same file, row for row and type for type, as the row-object writer (real 2022 range)', async () => {
    const data = await loadReplayData(store, config.symbols, { from: FROM - 2000 * 3_600_000, to: TO });
    const columns = featureColumns(config.symbols);
    const rows: FeatureRow[] = [];
    const ours = path.join(tmp, 'ours.parquet');
    // small row groups, so the range spans several and a group boundary falls inside an hour
    const table = FeatureTable.open(columns, ours, { rowGroupRows: 1000 });
    runReplay(data, config, {
      emitFrom: FROM,
      onStep: (step) => {
        if (step.ts < FROM) return;
        for (const f of step.features) {
          const row = oldToFeatureRow(f);
          expect(toFeatureRow(f)).toEqual(row);
          rows.push(row);
        }
        table.addHour(step.features);
      },
    });
    expect(rows.length).toBeGreaterThan(4000);
    // the range exercises every marker: null strings, true and false and null booleans, null numbers
    const kinds = (type: string) => columns.filter((c) => c.type === type).map((c) => c.name);
    expect(rows.some((r) => kinds('string').some((k) => r[k] === null))).toBe(true);
    for (const v of [true, false, null]) expect(rows.some((r) => kinds('boolean').some((k) => r[k] === v))).toBe(true);
    expect(rows.some((r) => kinds('number').some((k) => r[k] === null))).toBe(true);
    const ref = path.join(tmp, 'reference.parquet');
    expect(fs.existsSync(ours)).toBe(false);
    await table.finish();
    await referenceParquet(columns, rows, ref);
    const a = await readParquet(ours);
    const b = await readParquet(ref);
    expect(a.schema).toEqual(b.schema);
    expect(a.rows.length).toBe(rows.length);
    expect(a.rows).toEqual(b.rows);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('puts each hour in symbol order without a sort in SQL (symbols configured out of order)', async () => {
    const symbols = [...config.symbols].reverse();
    const columns = featureColumns(symbols);
    const data = await loadReplayData(store, symbols, { from: FROM - 1000 * 3_600_000, to: FROM + 48 * 3_600_000 });
    const rows: FeatureRow[] = [];
    const ours = path.join(tmp, 'reversed.parquet');
    const table = FeatureTable.open(columns, ours);
    runReplay(data, { ...config, symbols }, {
      emitFrom: FROM,
      onStep: (step) => {
        if (step.ts < FROM) return;
        for (const f of step.features) rows.push(oldToFeatureRow(f));
        table.addHour(step.features);
      },
    });
    expect(rows[0].symbol).toBe(symbols[0]);
    const ref = path.join(tmp, 'reversed-reference.parquet');
    await table.finish();
    await referenceParquet(columns, rows, ref);
    const a = await readParquet(ours);
    expect(a.rows.slice(0, 3).map((r) => r.symbol)).toEqual([...symbols].sort());
    expect(a.rows).toEqual((await readParquet(ref)).rows);
  });

  it('refuses rows out of time order and leaves no file behind', async () => {
    const columns = featureColumns(config.symbols);
    const data = await loadReplayData(store, config.symbols, { from: FROM, to: FROM + 3 * 3_600_000 });
    const hours: FeaturePackage[][] = [];
    runReplay(data, config, {
      emitFrom: FROM,
      onStep: (step) => {
        // correlations are readable during their step only; reading them once keeps the built pair objects
        for (const f of step.features) void f.correlations.pairs;
        hours.push(step.features);
      },
    });
    const file = path.join(tmp, 'never.parquet');
    const table = FeatureTable.open(columns, file);
    table.addHour(hours[1]);
    expect(() => table.addHour(hours[0])).toThrow(/out of time order/);
    expect(() => table.addHour(hours[1])).toThrow(/out of time order/);
    expect(fs.readdirSync(tmp).some((f) => f.startsWith('never.parquet.tmp-'))).toBe(true);
    table.close();
    await expect(table.finish()).rejects.toThrow(/already written or closed/);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('never.parquet'))).toEqual([]);
  });

  it('writeFeatures writes every column once, in column order, by its declared type', async () => {
    const data = await loadReplayData(store, config.symbols, { from: FROM - 200 * 3_600_000, to: FROM + 3_600_000 });
    const columns = featureColumns(config.symbols);
    let checked = 0;
    runReplay(data, config, {
      emitFrom: FROM,
      onStep: (step) => {
        for (const f of step.features) {
          const calls: [string, string][] = [];
          writeFeatures(f, {
            num: (col) => void calls.push([BASE_COLUMNS[col].name, 'number']),
            str: (col) => void calls.push([BASE_COLUMNS[col].name, 'string']),
            bool: (col) => void calls.push([BASE_COLUMNS[col].name, 'boolean']),
            pairs: (c) => {
              for (const p of c.pairs) {
                const [corr, normal, broken, leader] = pairColumnNames(p.key);
                calls.push([corr, 'number'], [normal, 'number'], [broken, 'boolean'], [leader, 'string']);
              }
            },
          });
          expect(calls).toEqual(columns.map((c) => [c.name, c.type]));
          checked++;
        }
      },
    });
    expect(checked).toBeGreaterThan(500);
  });

  /** two tables fed the same replay of [from, to) of the configured symbols (after 2,000 hours of warm-up), both finished */
  async function writeBoth(from: number, to: number, ...tables: [string, Parameters<typeof FeatureTable.open>[2]][]): Promise<FeatureTable[]> {
    const data = await loadReplayData(store, config.symbols, { from: from - 2000 * 3_600_000, to });
    const columns = featureColumns(config.symbols);
    const open = tables.map(([file, opts]) => FeatureTable.open(columns, file, opts));
    runReplay(data, config, {
      emitFrom: from,
      onStep: (step) => {
        if (step.ts >= from) for (const t of open) t.addHour(step.features);
      },
    });
    for (const t of open) await t.finish();
    return open;
  }

  it('stores the noisy columns uncompressed after the first sizeable chunk, every value as the all-brotli writer wrote it (real 2021 range)', async () => {
    const ours = path.join(tmp, 'stored.parquet');
    const brotli = path.join(tmp, 'all-brotli.parquet');
    // 12,000 rows: a double column's chunk is ≈ 94 KiB, past the 64 KiB from which a column's codec is decided
    const [a] = await writeBoth(Date.UTC(2021, 0, 1), Date.UTC(2021, 7, 1), [ours, { rowGroupRows: 12_000 }], [brotli, { rowGroupRows: 12_000, storeIncompressible: false }]);
    expect(a.size).toBeGreaterThan(12_000);
    const { instance, conn } = await openDuckDB();
    try {
      const codecs = async (file: string) =>
        (await queryRows(conn, `SELECT row_group_id::INT AS g, path_in_schema AS col, compression AS codec FROM parquet_metadata(${sqlString(file)})`)) as { g: number; col: string; codec: string }[];
      const stored = (await codecs(ours)).filter((c) => c.codec === 'UNCOMPRESSED');
      // hourly returns and z-scores: brotli cannot shrink them; never the first group, never a column that compresses
      expect(stored.map((c) => c.col)).toEqual(expect.arrayContaining(['return_1h', 'price_z_1h', 'volatility_24h']));
      expect(stored.every((c) => c.g > 0)).toBe(true);
      expect(stored.some((c) => ['ts', 'ts_ms', 'symbol', 'funding_coverage', 'regime_1h'].includes(c.col))).toBe(false);
      expect((await codecs(brotli)).every((c) => c.codec === 'BROTLI')).toBe(true);
      // row for row, value for value (NULL and NaN told apart): the row number is part of each compared row
      const numbered = (file: string) => `(SELECT row_number() OVER () AS rn, * FROM read_parquet(${sqlString(file)}))`;
      for (const [x, y] of [[ours, brotli], [brotli, ours]]) {
        const [{ n }] = await queryRows(conn, `SELECT count(*)::INT AS n FROM (${numbered(x)} EXCEPT ALL ${numbered(y)})`);
        expect(n).toBe(0);
      }
      const [{ n }] = await queryRows(conn, `SELECT count(*)::INT AS n FROM read_parquet(${sqlString(ours)})`);
      expect(n).toBe(a.size);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });

  it('writes the same bytes from a writer thread as on this thread, the thread waiting on its two buffer sets (real 2021 range)', async () => {
    const here = path.join(tmp, 'here.parquet');
    const there = path.join(tmp, 'there.parquet');
    // a thread started ahead, as `regime backtest` starts one while it loads the data, is the one that writes
    const ahead = startAhead(PARQUET_WRITER, 1);
    expect(waitingAhead(PARQUET_WRITER)).toHaveLength(1);
    // 1,000-row groups: ≈ 9 groups through two sets, so the replay has to wait for the thread to free one
    const [, b] = await writeBoth(Date.UTC(2021, 0, 1), Date.UTC(2021, 4, 1), [here, { rowGroupRows: 1000 }], [there, { rowGroupRows: 1000, onThread: true }]);
    expect(waitingAhead(PARQUET_WRITER)).toHaveLength(0);
    await ahead.stop();
    expect(b.size).toBeGreaterThan(8000);
    expect(fs.readFileSync(there).equals(fs.readFileSync(here))).toBe(true);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('a writer thread that fails reports why and leaves no temp file; one closed part-way leaves nothing', async () => {
    const data = await loadReplayData(store, config.symbols, { from: FROM - 200 * 3_600_000, to: FROM + 48 * 3_600_000 });
    const columns = featureColumns(config.symbols);
    // the target is a directory with a file in it: the thread's rename into place fails
    const blocked = path.join(tmp, 'blocked.parquet');
    fs.mkdirSync(blocked);
    fs.writeFileSync(path.join(blocked, 'keep'), 'x');
    const dropped = path.join(tmp, 'dropped.parquet');
    const failing = FeatureTable.open(columns, blocked, { rowGroupRows: 16, onThread: true });
    const closing = FeatureTable.open(columns, dropped, { rowGroupRows: 16, onThread: true });
    runReplay(data, config, {
      emitFrom: FROM,
      onStep: (step) => {
        if (step.ts < FROM) return;
        failing.addHour(step.features);
        closing.addHour(step.features);
      },
    });
    await expect(failing.finish()).rejects.toThrow(/ENOTEMPTY|EISDIR|EEXIST/);
    closing.close();
    expect(fs.existsSync(dropped)).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(fs.readdirSync(blocked)).toEqual(['keep']);
  });

  it('runBacktest writes one row per reported symbol-hour', async () => {
    const file = path.join(tmp, 'bt.parquet');
    const { report } = await runBacktest(store, { config, from: FROM, to: FROM + 24 * 3_600_000 * 10, score: false, pnl: false, featuresFile: file });
    const { rows } = await readParquet(file);
    expect(rows.length).toBe(report.symbol_hours);
    expect(rows.every((r, i) => i === 0 || (r.ts_ms as bigint) >= (rows[i - 1].ts_ms as bigint))).toBe(true);
  });
});
