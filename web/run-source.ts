/**
 * DashboardSource over a saved backtest run (engine/results/run-store.ts). run.json is read at once because
 * range(), symbols and scorecard() are synchronous; the Parquet files are loaded into memory on first use and
 * every later request is a binary search over typed arrays, so no request waits on DuckDB.
 */
import { openDuckDB, queryRows, sqlString } from '../engine/data/duckdb.ts';
import type { Alert, AlertSeverity, AlertSource, AlertValue, EventType } from '../engine/pipeline/alerts.ts';
import type { FeatureRow } from '../engine/pipeline/feature-row.ts';
import { HOUR_MS } from '../engine/pipeline/input.ts';
import { latestRun, loadRun, runFile, type RunRecord } from '../engine/results/run-store.ts';
import type { Scorecard } from '../engine/score/index.ts';
import { UserError } from '../engine/errors.ts';
import { FeatureColumns, upperBound } from './feature-columns.ts';
import type { DashboardSource, EventQuery, LiquidationCoverage } from './source.ts';
import { parseIsoHour } from '../engine/time.ts';

export interface RunSource extends DashboardSource {
  readonly kind: 'backtest';
  readonly record: RunRecord;
  /** resolves once the Parquet files are in memory (every async method awaits it too) */
  ready(): Promise<void>;
}

interface Loaded {
  features: FeatureColumns;
  /** ascending by ts, then id (the order alerts.parquet is written in) */
  alerts: Alert[];
  alertTs: Float64Array;
  coverage: LiquidationCoverage[];
}

/** run.json's "2026-05-16 18:00" (UTC, minutes) → epoch ms */
export function resolveRunId(resultsDir: string, runId: string): string {
  if (runId !== 'latest') return loadRun(resultsDir, runId).manifest.id;
  const latest = latestRun(resultsDir);
  if (!latest) throw new UserError(`no saved runs in ${resultsDir} (run \`npm start\` or \`regime backtest\` first)`);
  return latest.id;
}

export function createRunSource(resultsDir: string, runId: string): RunSource {
  const record = loadRun(resultsDir, resolveRunId(resultsDir, runId));
  const id = record.manifest.id;
  const symbols = Object.freeze([...record.manifest.symbols]);
  const range = { first: parseIsoHour(record.manifest.from), last: parseIsoHour(record.manifest.to) };
  let loading: Promise<Loaded> | null = null;
  const load = () => (loading ??= loadRunData(resultsDir, record));

  const cursor = (at: number | undefined) => (at === undefined ? range.last : at);

  return {
    kind: 'backtest',
    id,
    symbols,
    record,
    async ready() {
      await load();
    },
    range: () => ({ ...range }),
    async latestFeatures(at) {
      const { features } = await load();
      const end = cursor(at);
      const out: FeatureRow[] = [];
      for (const s of symbols) {
        const sl = features.slice(s);
        if (!sl) continue;
        const i = upperBound(sl.ts, end) - 1;
        if (i >= 0) out.push(features.row(sl.start + i));
      }
      return out;
    },
    async featureHistory(symbol, hours, at) {
      const { features } = await load();
      const sl = features.slice(symbol);
      if (!sl) return [];
      const end = cursor(at);
      const hi = upperBound(sl.ts, end);
      const lo = upperBound(sl.ts, end - hours * HOUR_MS, 0, hi);
      const out: FeatureRow[] = new Array(hi - lo);
      for (let i = lo; i < hi; i++) out[i - lo] = features.row(sl.start + i);
      return out;
    },
    async events(q: EventQuery) {
      const { alerts, alertTs } = await load();
      const out: Alert[] = [];
      const since = q.since ?? -Infinity;
      for (let i = upperBound(alertTs, cursor(q.at)) - 1; i >= 0 && out.length < q.limit; i--) {
        const a = alerts[i];
        if (a.ts < since) break;
        if (q.type !== undefined && a.event_type !== q.type) continue;
        if (q.severity !== undefined && a.severity !== q.severity) continue;
        // a symbol matches its own alerts and the pairs it is part of
        if (q.symbol !== undefined && a.symbol !== q.symbol && !a.symbol.split('/').includes(q.symbol)) continue;
        out.push(a);
      }
      return out;
    },
    scorecard: (): Scorecard | null => record.report.scorecard ?? null,
    async liquidationCoverage() {
      return (await load()).coverage;
    },
    async status() {
      const l = await load();
      return {
        kind: 'backtest',
        manifest: record.manifest,
        hours: record.report.hours,
        symbol_hours: l.features.rows,
        alerts: l.alerts.length,
        gaps: record.report.gaps.length,
      };
    },
  };
}

async function loadRunData(resultsDir: string, record: RunRecord): Promise<Loaded> {
  const id = record.manifest.id;
  const featuresFile = runFile(resultsDir, id, 'features.parquet');
  const alertsFile = runFile(resultsDir, id, 'alerts.parquet');
  const { instance, conn } = await openDuckDB();
  try {
    const features = featuresFile ? await FeatureColumns.fromParquet(conn, featuresFile) : FeatureColumns.empty();
    const alerts: Alert[] = alertsFile
      ? (await queryRows(conn, `SELECT * EXCLUDE (ts, ts_ms, data), ts_ms::DOUBLE AS ts, data::VARCHAR AS data FROM read_parquet(${sqlString(alertsFile)}) ORDER BY ts_ms, id`)).map(toAlert)
      : [];
    return { features, alerts, alertTs: Float64Array.from(alerts, (a) => a.ts), coverage: coverageOf(record, features) };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

function toAlert(r: Record<string, unknown>): Alert {
  return {
    id: String(r.id),
    ts: Number(r.ts),
    symbol: String(r.symbol),
    event_type: String(r.event_type) as EventType,
    severity: String(r.severity) as AlertSeverity,
    // runs saved before alerts had a direction have no such column
    direction: r.direction === null || r.direction === undefined ? null : (Number(r.direction) as 1 | -1),
    title: String(r.title),
    description: String(r.description),
    source: String(r.source) as AlertSource,
    data: r.data == null ? {} : (JSON.parse(String(r.data)) as Record<string, AlertValue>),
  };
}

/**
 * Coverage from the feature rows: an hour has liquidation data unless the cascade detector said 'no_data';
 * the report's exact count of hours with rows wins when present.
 */
function coverageOf(record: RunRecord, f: FeatureColumns): LiquidationCoverage[] {
  const statusCol = f.columnIndex('liq_status');
  const kindCol = f.columnIndex('liq_kind');
  return record.manifest.symbols.map((symbol) => {
    const sl = f.slice(symbol);
    const kinds = new Set<string>();
    let first: number | null = null;
    let last: number | null = null;
    let hours = 0;
    if (sl && statusCol >= 0) {
      for (let i = sl.start; i < sl.end; i++) {
        const status = f.value(statusCol, i);
        if (status === null || status === 'no_data') continue;
        hours++;
        const t = sl.ts[i - sl.start];
        first ??= t;
        last = t;
        const k = kindCol >= 0 ? f.value(kindCol, i) : null;
        if (typeof k === 'string') kinds.add(k);
      }
    }
    const reported = record.report.liquidation_coverage?.find((c) => c.symbol === symbol)?.hours_with_data;
    return { symbol, kinds: [...kinds].sort(), first, last, hours_with_data: reported ?? hours };
  });
}
