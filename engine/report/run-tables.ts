/**
 * A run's report, scorecard and configuration, flattened into tables a notebook can query. Every table starts
 * with a `run` column (the run's label) so that one run and a comparison of several use the same tables:
 *
 *   runs_info                 one row per run: label, id, source (saved | fresh), range, hashes, totals
 *   runs_config               one row per leaf of the pipeline config: key ('volatility.thresholds.high_vol'), value, num
 *   runs_alert_counts         symbol, event_type, severity, count
 *   runs_suppressed           reason, event_type, count (what the cooldown/dedup policy held back)
 *   runs_gaps                 missing-hour runs the replay met
 *   runs_liquidation_coverage symbol, hours_with_data
 *   runs_scorecard_rows       dimension (overall | source | event_type | severity | event_severity | symbol), key, counts and event metrics
 *   runs_scorecard_forward    dimension, key, horizon_hours, forward-return statistics
 *   runs_scorecard_baseline   dimension, key, metric, actual, mean (random baseline), lift, p_value, p_lower and
 *                             p_two_sided (directional metrics), better, n_perm
 *   runs_scorecard_event_study dimension, key, offset_hours, mean (cumulative log return), n
 *   runs_scorecard_symbols    per-symbol hours, missing hours, large-move hours and episodes
 *   runs_alerts               every alert (view over the runs' Parquet files) with scored_symbol
 *   runs_pnl                  paper P&L per strategy row ('all', each event type): strategy, buy-and-hold, random entries
 *   runs_pnl_equity, runs_pnl_trades  the saved hourly equity curves and trades (empty for a run saved without them)
 *
 * `run_*` views show the same without the run column when the notebook has a single `run` parameter.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from '../data/duckdb.ts';
import type { BreakdownRow, Scorecard } from '../score/index.ts';
import type { RunRecord } from '../results/run-store.ts';
import { createTable, type Columns, type Value } from './sql-tables.ts';
import { sqlIdent } from './sql-template.ts';
import { registerPnlTables } from './pnl-tables.ts';

export interface LoadedRun {
  /** unique within a render: the saved id, or a name for a fresh backtest */
  label: string;
  source: 'saved' | 'fresh';
  record: RunRecord;
  alertsFile: string;
  featuresFile: string | null;
}

type Rec = Record<string, Value>;

const EVENT_COLS: Columns = [
  ['true_alerts', 'BIGINT'],
  ['false_alarms', 'BIGINT'],
  ['precision_unevaluable', 'BIGINT'],
  ['precision', 'DOUBLE'],
  ['episodes', 'BIGINT'],
  ['detected', 'BIGINT'],
  ['recall', 'DOUBLE'],
  ['median_lead_hours', 'DOUBLE'],
  ['alerts_per_day', 'DOUBLE'],
  ['false_alarms_per_week', 'DOUBLE'],
  ['nab', 'DOUBLE'],
];

const FORWARD_COLS: Columns = [
  ['horizon_hours', 'BIGINT'],
  ['n', 'BIGINT'],
  ['excluded_gap', 'BIGINT'],
  ['excluded_end', 'BIGINT'],
  ['mean', 'DOUBLE'],
  ['median', 'DOUBLE'],
  ['mean_abs', 'DOUBLE'],
  ['mean_max_up', 'DOUBLE'],
  ['mean_max_down', 'DOUBLE'],
  ['n_directional', 'BIGINT'],
  ['mean_directional', 'DOUBLE'],
  ['hit_rate', 'DOUBLE'],
  ['mean_mfe', 'DOUBLE'],
  ['mean_mae', 'DOUBLE'],
];

const RUN_KEY: Columns = [['run', 'VARCHAR']];
const DIM_KEY: Columns = [...RUN_KEY, ['dimension', 'VARCHAR'], ['key', 'VARCHAR']];

function breakdownRows(sc: Scorecard): { dimension: string; row: BreakdownRow }[] {
  const out = [{ dimension: 'overall', row: sc.overall }];
  for (const [dimension, rows] of Object.entries(sc.breakdowns)) for (const row of rows) out.push({ dimension, row });
  return out;
}

/** Leaves of a nested object as dotted keys; arrays stay whole (as JSON) because their elements have no names. */
export function flattenConfig(value: unknown, prefix = ''): { key: string; value: string; num: number | null }[] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => flattenConfig(v, prefix ? `${prefix}.${k}` : k));
  }
  return [{ key: prefix, value: typeof value === 'string' ? value : JSON.stringify(value), num: typeof value === 'number' ? value : null }];
}

export async function registerRunTables(conn: DuckDBConnection, runs: readonly LoadedRun[], single: boolean): Promise<void> {
  const info: Rec[] = [];
  const config: Rec[] = [];
  const counts: Rec[] = [];
  const suppressed: Rec[] = [];
  const gaps: Rec[] = [];
  const liq: Rec[] = [];
  const rows: Rec[] = [];
  const forward: Rec[] = [];
  const baseline: Rec[] = [];
  const study: Rec[] = [];
  const symbols: Rec[] = [];
  for (const r of runs) {
    const { manifest, report } = r.record;
    const sc = report.scorecard;
    info.push({
      run: r.label,
      id: manifest.id,
      source: r.source,
      label: manifest.label,
      created_at: manifest.created_at,
      from_ts: report.from,
      to_ts: report.to,
      hours: report.hours,
      symbols: report.symbols.join(', '),
      config_hash: report.config_hash,
      dataset_manifest_sha256: report.dataset_manifest_sha256,
      git_commit: manifest.git_commit,
      alerts_total: report.alerts_total,
      suppressed_total: report.suppressed_total,
      gap_runs: report.gaps.length,
      gap_hours: report.gaps.reduce((a, g) => a + g.hours, 0),
      has_features: r.featuresFile !== null,
      has_scorecard: sc !== null,
      permutations: sc?.options.permutations ?? null,
      seed: sc?.options.seed ?? null,
      precision: sc?.overall.events.precision ?? null,
      recall: sc?.overall.events.recall ?? null,
      median_lead_hours: sc?.overall.events.median_lead_hours ?? null,
      alerts_per_day: sc?.overall.events.alerts_per_day ?? null,
    });
    for (const c of flattenConfig(r.record.config)) config.push({ run: r.label, ...c });
    for (const c of report.alert_counts) counts.push({ run: r.label, ...c });
    for (const [reason, byType] of Object.entries(report.suppressed)) {
      for (const [event_type, count] of Object.entries(byType)) suppressed.push({ run: r.label, reason, event_type, count });
    }
    for (const g of report.gaps) gaps.push({ run: r.label, symbol: g.symbol, start_ts: g.start_ms, end_ts: g.end_ms, hours: g.hours });
    for (const c of report.liquidation_coverage) liq.push({ run: r.label, symbol: c.symbol, hours_with_data: c.hours_with_data });
    if (!sc) continue;
    for (const { dimension, row } of breakdownRows(sc)) {
      const base = { run: r.label, dimension, key: row.key };
      rows.push({ ...base, n_alerts: row.n_alerts, unanchored: row.unanchored, ...row.events });
      for (const f of row.forward) forward.push({ ...base, ...f });
      for (const [metric, b] of Object.entries(row.baseline ?? {})) baseline.push({ ...base, metric, ...b });
    }
    const curves = [{ dimension: 'overall', curve: sc.event_study.overall }, ...(['source', 'event_type', 'severity'] as const).flatMap((d) => sc.event_study[d].map((curve) => ({ dimension: d, curve })))];
    for (const { dimension, curve } of curves) {
      sc.event_study.offsets.forEach((offset, i) => {
        study.push({ run: r.label, dimension, key: curve.key, n_alerts: curve.n_alerts, offset_hours: offset, mean: curve.mean[i], n: curve.n[i] });
      });
    }
    for (const s of sc.data.symbols) symbols.push({ run: r.label, ...s, first_ts: s.first_ts, last_ts: s.last_ts });
  }

  await createTable(conn, 'runs_info', [
    ...RUN_KEY,
    ['id', 'VARCHAR'],
    ['source', 'VARCHAR'],
    ['label', 'VARCHAR'],
    ['created_at', 'VARCHAR'],
    ['from_ts', 'TIMESTAMP'],
    ['to_ts', 'TIMESTAMP'],
    ['hours', 'BIGINT'],
    ['symbols', 'VARCHAR'],
    ['config_hash', 'VARCHAR'],
    ['dataset_manifest_sha256', 'VARCHAR'],
    ['git_commit', 'VARCHAR'],
    ['alerts_total', 'BIGINT'],
    ['suppressed_total', 'BIGINT'],
    ['gap_runs', 'BIGINT'],
    ['gap_hours', 'BIGINT'],
    ['has_features', 'BOOLEAN'],
    ['has_scorecard', 'BOOLEAN'],
    ['permutations', 'BIGINT'],
    ['seed', 'BIGINT'],
    ['precision', 'DOUBLE'],
    ['recall', 'DOUBLE'],
    ['median_lead_hours', 'DOUBLE'],
    ['alerts_per_day', 'DOUBLE'],
  ], info);
  await createTable(conn, 'runs_config', [...RUN_KEY, ['key', 'VARCHAR'], ['value', 'VARCHAR'], ['num', 'DOUBLE']], config);
  await createTable(conn, 'runs_alert_counts', [...RUN_KEY, ['symbol', 'VARCHAR'], ['event_type', 'VARCHAR'], ['severity', 'VARCHAR'], ['count', 'BIGINT']], counts);
  await createTable(conn, 'runs_suppressed', [...RUN_KEY, ['reason', 'VARCHAR'], ['event_type', 'VARCHAR'], ['count', 'BIGINT']], suppressed);
  await createTable(conn, 'runs_gaps', [...RUN_KEY, ['symbol', 'VARCHAR'], ['start_ts', 'TIMESTAMP'], ['end_ts', 'TIMESTAMP'], ['hours', 'BIGINT']], gaps);
  await createTable(conn, 'runs_liquidation_coverage', [...RUN_KEY, ['symbol', 'VARCHAR'], ['hours_with_data', 'BIGINT']], liq);
  await createTable(conn, 'runs_scorecard_rows', [...DIM_KEY, ['n_alerts', 'BIGINT'], ['unanchored', 'BIGINT'], ...EVENT_COLS], rows);
  await createTable(conn, 'runs_scorecard_forward', [...DIM_KEY, ...FORWARD_COLS], forward);
  await createTable(conn, 'runs_scorecard_baseline', [
    ...DIM_KEY,
    ['metric', 'VARCHAR'],
    ['actual', 'DOUBLE'],
    ['mean', 'DOUBLE'],
    ['lift', 'DOUBLE'],
    ['p_value', 'DOUBLE'],
    ['p_lower', 'DOUBLE'],
    ['p_two_sided', 'DOUBLE'],
    ['better', 'VARCHAR'],
    ['n_perm', 'BIGINT'],
  ], baseline);
  await createTable(conn, 'runs_scorecard_event_study', [...DIM_KEY, ['n_alerts', 'BIGINT'], ['offset_hours', 'BIGINT'], ['mean', 'DOUBLE'], ['n', 'BIGINT']], study);
  await createTable(conn, 'runs_scorecard_symbols', [
    ...RUN_KEY,
    ['symbol', 'VARCHAR'],
    ['first_ts', 'TIMESTAMP'],
    ['last_ts', 'TIMESTAMP'],
    ['hours', 'BIGINT'],
    ['missing_hours', 'BIGINT'],
    ['labelled_hours', 'BIGINT'],
    ['large_move_hours', 'BIGINT'],
    ['episodes', 'BIGINT'],
  ], symbols);

  // A pair alert (A/B) is scored on the lagging symbol — the one the leader should move — as the scorer does.
  const scored = `CASE WHEN NOT contains(symbol, '/') THEN symbol
      WHEN data->>'leader' = split_part(symbol, '/', 1) THEN split_part(symbol, '/', 2)
      WHEN data->>'leader' = split_part(symbol, '/', 2) THEN split_part(symbol, '/', 1)
      ELSE split_part(symbol, '/', 2) END`;
  const alertSelects = runs.map((r) => `SELECT ${sqlString(r.label)} AS run, *, ${scored} AS scored_symbol FROM read_parquet(${sqlString(r.alertsFile)})`);
  await conn.run(`CREATE OR REPLACE TEMP VIEW runs_alerts AS ${alertSelects.length ? alertSelects.join(' UNION ALL BY NAME ') : `SELECT NULL::VARCHAR AS run WHERE false`}`);

  await registerPnlTables(conn, runs);

  if (!single || runs.length !== 1) return;
  const r = runs[0];
  for (const t of ['info', 'config', 'alert_counts', 'suppressed', 'gaps', 'liquidation_coverage', 'scorecard_rows', 'scorecard_forward', 'scorecard_baseline', 'scorecard_event_study', 'scorecard_symbols', 'alerts', 'pnl', 'pnl_equity', 'pnl_trades']) {
    await conn.run(`CREATE OR REPLACE TEMP VIEW ${sqlIdent(`run_${t}`)} AS SELECT * EXCLUDE (run) FROM ${sqlIdent(`runs_${t}`)}`);
  }
  if (r.featuresFile) await conn.run(`CREATE OR REPLACE TEMP VIEW run_features AS SELECT * FROM read_parquet(${sqlString(r.featuresFile)})`);
}
