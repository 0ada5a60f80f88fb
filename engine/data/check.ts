/**
 * `regime data check`: what the dataset really holds, table by table and series by series. Problems that make
 * data unusable (duplicates, rows out of order, impossible prices) are errors; gaps, placeholder bars and
 * interval changes are facts a researcher must know about, reported as findings.
 */
import { queryRows, sqlPath, sqlString } from './duckdb.ts';
import { formatGap, hourlyGapRuns, isoHour, type GapRun } from './gaps.ts';
import { snapshotFiles } from './snapshot.ts';
import type { Store } from './store.ts';
import { TABLE_NAMES, tableSpec, type TableName } from './tables.ts';
import path from 'node:path';

export interface SeriesCheck {
  symbol: string;
  rows: number;
  first: string | null;
  last: string | null;
  missing_hours?: number;
  gap_runs?: { start: string; end: string; hours: number }[];
  duplicates: number;
  non_monotonic: number;
  non_positive_prices?: number;
  high_below_low?: number;
  zero_volume_placeholders?: string[];
  funding_interval_changes?: { ts: string; from_hours: number; to_hours: number }[];
  funding_irregular_spacing?: { ts: string; spacing_hours: number; interval_hours: number }[];
  liquidation_coverage?: { kind: string; source: string; hours: number; first: string; last: string }[];
}

export interface TableCheck {
  table: TableName;
  venue: string;
  rows: number;
  series: SeriesCheck[];
}

export interface DataCheckReport {
  tables: TableCheck[];
  errors: string[];
  warnings: string[];
}

function gapRow(g: GapRun) {
  return { start: isoHour(g.start_ms), end: isoHour(g.end_ms), hours: g.hours };
}

async function checkTable(store: Store, table: TableName, report: DataCheckReport): Promise<TableCheck> {
  const spec = tableSpec(table);
  const conn = store.conn;
  const keyCols = ['symbol', 'ts', ...spec.extraKey];
  const venue = table === 'liquidations_1h' ? '*' : store.venues[table];
  const base = await queryRows(
    conn,
    `SELECT symbol, count(*)::DOUBLE AS n, epoch_ms(min(ts))::DOUBLE AS first_ms, epoch_ms(max(ts))::DOUBLE AS last_ms
     FROM ${table} GROUP BY symbol ORDER BY symbol`,
  );
  const dupRows = await queryRows(
    conn,
    `SELECT symbol, sum(c - 1)::DOUBLE AS d FROM (SELECT ${keyCols.join(', ')}, count(*) AS c FROM ${table}
       GROUP BY ALL HAVING count(*) > 1) GROUP BY symbol`,
  );
  const dups = new Map(dupRows.map((r) => [String(r.symbol), Number(r.d)]));
  // Order inside each file: the writer always sorts, so a backwards step means a file was written by something else.
  const files = snapshotFiles(store.datasetsDir, store.snapshot, table, table === 'liquidations_1h' ? undefined : venue);
  const nonMonotonic = new Map<string, number>();
  if (files.length > 0) {
    const list = files.map(sqlPath).join(', ');
    const rows = await queryRows(
      conn,
      `SELECT symbol, count(*)::DOUBLE AS n FROM (
         SELECT symbol, ts, lag(ts) OVER (PARTITION BY filename ORDER BY file_row_number) AS prev
         FROM read_parquet([${list}], hive_partitioning = true, filename = true, file_row_number = true))
       WHERE ts < prev GROUP BY symbol`,
    );
    for (const r of rows) nonMonotonic.set(String(r.symbol), Number(r.n));
  }
  const gaps = spec.hourly ? await hourlyGapRuns(conn, table, spec.extraKey) : [];
  const series: SeriesCheck[] = [];
  for (const b of base) {
    const symbol = String(b.symbol);
    const s: SeriesCheck = {
      symbol,
      rows: Number(b.n),
      first: Number.isFinite(Number(b.first_ms)) ? isoHour(Number(b.first_ms)) : null,
      last: Number.isFinite(Number(b.last_ms)) ? isoHour(Number(b.last_ms)) : null,
      duplicates: dups.get(symbol) ?? 0,
      non_monotonic: nonMonotonic.get(symbol) ?? 0,
    };
    const where = `WHERE symbol = ${sqlString(symbol)}`;
    if (spec.hourly) {
      const mine = gaps.filter((g) => g.symbol === symbol);
      s.missing_hours = mine.reduce((a, g) => a + g.hours, 0);
      s.gap_runs = mine.map(gapRow);
      if (mine.length > 0) report.warnings.push(`${table} ${symbol}: ${s.missing_hours} missing hours in ${mine.length} runs (largest ${formatGap(mine.reduce((a, g) => (g.hours > a.hours ? g : a)))})`);
    }
    if (spec.hasOhlc) {
      const [q] = await queryRows(
        conn,
        `SELECT count(*) FILTER (WHERE least(open, high, low, close) <= 0)::DOUBLE AS np,
                count(*) FILTER (WHERE high < low)::DOUBLE AS hl
         FROM ${table} ${where}`,
      );
      s.non_positive_prices = Number(q.np);
      s.high_below_low = Number(q.hl);
      if (s.non_positive_prices > 0) report.errors.push(`${table} ${symbol}: ${s.non_positive_prices} rows with a non-positive price`);
      if (s.high_below_low > 0) report.errors.push(`${table} ${symbol}: ${s.high_below_low} rows with high < low`);
    }
    if (table === 'candles_1h' || table === 'perp_1h') {
      const zero = await queryRows(
        conn,
        `SELECT epoch_ms(ts)::DOUBLE AS t FROM ${table} ${where} AND volume = 0 AND open = high AND high = low AND low = close ORDER BY ts`,
      );
      s.zero_volume_placeholders = zero.map((z) => isoHour(Number(z.t)));
      if (zero.length > 0) report.warnings.push(`${table} ${symbol}: ${zero.length} zero-volume placeholder bars (flat O=H=L=C), e.g. ${s.zero_volume_placeholders[0]}`);
    }
    if (table === 'funding') {
      const rows = await queryRows(
        conn,
        `SELECT epoch_ms(ts)::DOUBLE AS t, funding_interval_hours::DOUBLE AS iv, prev_iv::DOUBLE AS prev_iv,
                ((epoch_ms(ts) - epoch_ms(prev_ts)) / 3600000)::DOUBLE AS spacing
         FROM (SELECT ts, funding_interval_hours, lag(funding_interval_hours) OVER w AS prev_iv, lag(ts) OVER w AS prev_ts
               FROM funding ${where} WINDOW w AS (ORDER BY ts))
         WHERE prev_ts IS NOT NULL AND (funding_interval_hours <> prev_iv OR epoch_ms(ts) - epoch_ms(prev_ts) <> funding_interval_hours * 3600000)
         ORDER BY ts`,
      );
      s.funding_interval_changes = rows.filter((r) => r.iv !== r.prev_iv).map((r) => ({ ts: isoHour(Number(r.t)), from_hours: Number(r.prev_iv), to_hours: Number(r.iv) }));
      // A spacing that matches neither the new nor the old interval is a missing settlement, not a switch.
      s.funding_irregular_spacing = rows
        .filter((r) => r.spacing !== r.iv)
        .map((r) => ({ ts: isoHour(Number(r.t)), spacing_hours: Number(r.spacing), interval_hours: Number(r.iv) }));
      for (const c of s.funding_interval_changes) report.warnings.push(`funding ${symbol}: interval ${c.from_hours}h → ${c.to_hours}h at ${c.ts}`);
      for (const r of s.funding_irregular_spacing.filter((x) => x.spacing_hours > Math.max(x.interval_hours, 8))) {
        report.warnings.push(`funding ${symbol}: ${r.spacing_hours}h since the previous settlement at ${r.ts} (interval ${r.interval_hours}h): missing settlements?`);
      }
    }
    if (table === 'liquidations_1h') {
      const cov = await queryRows(
        conn,
        `SELECT kind, source, count(*)::DOUBLE AS n, epoch_ms(min(ts))::DOUBLE AS f, epoch_ms(max(ts))::DOUBLE AS l
         FROM liquidations_1h ${where} GROUP BY kind, source ORDER BY kind, source`,
      );
      s.liquidation_coverage = cov.map((c) => ({ kind: String(c.kind), source: String(c.source), hours: Number(c.n), first: isoHour(Number(c.f)), last: isoHour(Number(c.l)) }));
    }
    if (s.duplicates > 0) report.errors.push(`${table} ${symbol}: ${s.duplicates} duplicate rows`);
    if (s.non_monotonic > 0) report.errors.push(`${table} ${symbol}: ${s.non_monotonic} rows out of time order inside their file`);
    series.push(s);
  }
  return { table, venue, rows: series.reduce((a, s) => a + s.rows, 0), series };
}

export async function checkData(store: Store): Promise<DataCheckReport> {
  const report: DataCheckReport = { tables: [], errors: [], warnings: [] };
  for (const table of TABLE_NAMES) report.tables.push(await checkTable(store, table, report));
  const liq = report.tables.find((t) => t.table === 'liquidations_1h');
  const candles = report.tables.find((t) => t.table === 'candles_1h');
  for (const c of candles?.series ?? []) {
    const covered = liq?.series.find((s) => s.symbol === c.symbol);
    if (!covered) report.warnings.push(`liquidations: no coverage at all for ${c.symbol} (detectors report "no data", never zero)`);
    else {
      const hours = covered.liquidation_coverage?.reduce((a, k) => a + k.hours, 0) ?? 0;
      report.warnings.push(`liquidations: ${c.symbol} covered for ${hours} of ${c.rows} candle hours (${((100 * hours) / c.rows).toFixed(1)} %), kinds: ${covered.liquidation_coverage?.map((k) => `${k.kind} ${k.first}..${k.last}`).join('; ')}`);
    }
  }
  return report;
}
