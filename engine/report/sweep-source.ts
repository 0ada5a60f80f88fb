/**
 * Threshold-sweep results for notebooks. The sweep command (engine/sweep) writes one Parquet row per
 * configuration to results/sweeps/<id>/results.parquet: config_id, status, error, `params` (the swept config
 * key paths → values, as JSON) and one column per period and metric (`train_precision`, `holdout_recall`…).
 * A sweep reference is `latest`, a sweep id, or a .parquet path.
 *
 * Registered: `sweep_info` (always: available, id, path, rows, the chosen columns, message) and, when a sweep
 * exists, `sweep_results` (the file with every swept key as a column of its own, named by its key path) and
 * `sweep_points` (the valid rows plus _x, _y, _metric, _px, _py: the heatmap axes, the heatmap metric and the
 * Pareto axes, so notebook SQL needs no dynamic column names). Axis parameters are `auto` or a column name;
 * a metric may be named without its period (`precision` → `holdout_precision` when period=holdout).
 *
 * Also `sweep_qvalues` (every valid configuration's p-value and Benjamini–Hochberg q-value on the selection
 * period — train, or the whole range of a walk-forward sweep — and whether it survives FDR 10 %) and, for a
 * walk-forward sweep (walk_forward.json beside the results), `sweep_folds` (one row per fold: dates, the
 * configuration chosen on train, its train and test numbers) and `sweep_walk_forward` (the one-row summary).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows, sqlString } from '../data/duckdb.ts';
import { UserError } from '../errors.ts';
import { createTable } from './sql-tables.ts';
import { sqlIdent } from './sql-template.ts';

export interface SweepAxes {
  x: string;
  y: string;
  metric: string;
  /** Pareto front: lower is better on pareto_x, higher on pareto_y */
  pareto_x: string;
  pareto_y: string;
}

export const SWEEP_AXES = ['x', 'y', 'metric', 'pareto_x', 'pareto_y'] as const;

/** metric names the scorer and the sweep produce (engine/score/types.ts, engine/sweep/metrics.ts) */
const METRIC_HINT = /(precision|recall|lift|lead|alerts|alarm|nab|hit_rate|p_value|f1|score|episodes|detected|objective|mean|median|elapsed|_ms$|^n_)/i;
const ID_LIKE = /^(id|run|run_id|config_id|point|point_id|index|idx|seed|config_hash|feature_key)$/i;
const NUMERIC = /^(DOUBLE|FLOAT|REAL|DECIMAL.*|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/i;

export function sweepsDir(resultsDir: string): string {
  return path.join(resultsDir, 'sweeps');
}

/** The results file a reference points at, or null when there is none (yet). */
export function findSweep(ref: string, resultsDir: string, notebookDir: string): { id: string; file: string } | null {
  if (ref.endsWith('.parquet')) {
    const file = path.isAbsolute(ref) || fs.existsSync(ref) ? path.resolve(ref) : path.resolve(notebookDir, ref);
    return fs.existsSync(file) ? { id: path.basename(path.dirname(file)), file } : null;
  }
  const dir = sweepsDir(resultsDir);
  if (!fs.existsSync(dir)) return null;
  const ids = fs
    .readdirSync(dir)
    .filter((d) => !d.endsWith('.tmp') && fs.existsSync(path.join(dir, d, 'results.parquet')))
    // sweep ids are content hashes, so "latest" means the most recently written results, not the last name
    .sort((a, b) => fs.statSync(path.join(dir, a, 'results.parquet')).mtimeMs - fs.statSync(path.join(dir, b, 'results.parquet')).mtimeMs || a.localeCompare(b));
  const id = ref === 'latest' ? ids[ids.length - 1] : ids.find((d) => d === ref) ?? (ids.filter((d) => d.startsWith(ref)).length === 1 ? ids.find((d) => d.startsWith(ref)) : undefined);
  return id ? { id, file: path.join(dir, id, 'results.parquet') } : null;
}

export interface SweepColumn {
  name: string;
  type: string;
  distinct: number;
  /** a swept config key (from the params JSON) */
  swept?: boolean;
}

/** Picks grid-parameter and metric columns; `requested` values other than 'auto' win. */
export function chooseAxes(columns: readonly SweepColumn[], requested: Partial<Record<keyof SweepAxes, string>>, period = 'holdout'): SweepAxes & { message: string | null } {
  const names = columns.map((c) => c.name);
  const resolve = (key: string, v: string) => {
    if (names.includes(v)) return v;
    if (names.includes(`${period}_${v}`)) return `${period}_${v}`;
    throw new UserError(`param ${key}: the sweep results have no column '${v}' (columns: ${names.join(', ')})`);
  };
  const want: Partial<Record<keyof SweepAxes, string>> = {};
  for (const [k, v] of Object.entries(requested) as [keyof SweepAxes, string | undefined][]) if (v && v !== 'auto') want[k] = resolve(k, v);
  const numeric = columns.filter((c) => NUMERIC.test(c.type));
  const isMetric = (c: string) => METRIC_HINT.test(c);
  const swept = columns.filter((c) => c.swept && c.distinct >= 2).map((c) => c.name);
  const params = swept.length
    ? swept
    : numeric.filter((c) => (/^(param[._]|p_)/i.test(c.name) || !isMetric(c.name)) && !ID_LIKE.test(c.name) && c.distinct >= 2 && c.distinct <= 60).map((c) => c.name);
  const metrics = numeric.map((c) => c.name).filter((c) => !params.includes(c) && !ID_LIKE.test(c) && !columns.find((x) => x.name === c)?.swept);
  const pick = (key: keyof SweepAxes, preferred: readonly string[]) => {
    if (want[key]) return want[key]!;
    const p = preferred.flatMap((m) => [`${period}_${m}`, m]).find((m) => metrics.includes(m)) ?? metrics[0];
    if (!p) throw new UserError(`param ${key}: cannot choose a metric column automatically (numeric columns: ${numeric.map((c) => c.name).join(', ') || 'none'}); name one with --param ${key}=<column>`);
    return p;
  };
  const x = want.x ?? params[0];
  if (!x) throw new UserError(`the sweep results vary no parameter the report can find (columns: ${names.join(', ')}); name them with --param x=<column> --param y=<column>`);
  const y = want.y ?? params.find((p) => p !== x) ?? null;
  return {
    x,
    y: y ?? '',
    metric: pick('metric', ['f1', 'precision', 'nab', 'recall']),
    pareto_x: pick('pareto_x', ['false_alarms_per_week', 'alerts_per_day', 'alerts']),
    pareto_y: pick('pareto_y', ['recall', 'precision', 'nab']),
    message: y === null ? `the sweep varies one parameter (${x}); the heatmap has a single row` : null,
  };
}

export async function registerSweep(
  conn: DuckDBConnection,
  ref: string,
  opts: { resultsDir: string; notebookDir: string; axes: Partial<Record<keyof SweepAxes, string>>; period?: string },
): Promise<void> {
  const found = findSweep(ref, opts.resultsDir, opts.notebookDir);
  const infoCols = [
    ['available', 'BOOLEAN'],
    ['id', 'VARCHAR'],
    ['path', 'VARCHAR'],
    ['rows', 'BIGINT'],
    ['valid_rows', 'BIGINT'],
    ['period', 'VARCHAR'],
    ['walk_forward', 'BOOLEAN'],
    ['fdr_tried', 'BIGINT'],
    ['fdr_surviving', 'BIGINT'],
    ['x', 'VARCHAR'],
    ['y', 'VARCHAR'],
    ['metric', 'VARCHAR'],
    ['pareto_x', 'VARCHAR'],
    ['pareto_y', 'VARCHAR'],
    ['columns', 'VARCHAR'],
    ['message', 'VARCHAR'],
  ] as const;
  if (!found) {
    const where = ref === 'latest' ? `no sweep under ${sweepsDir(opts.resultsDir)}` : `no sweep '${ref}'`;
    await createTable(conn, 'sweep_info', infoCols, [{ available: false, message: `${where}: run regime sweep --spec <spec.json> first, or pass --param sweep=<id or results.parquet>` }]);
    return;
  }
  await conn.run(`CREATE OR REPLACE TEMP VIEW sweep_file AS SELECT * FROM read_parquet(${sqlString(found.file)})`);
  const fileCols = await queryRows(conn, `SELECT column_name, column_type FROM (DESCRIBE sweep_file)`);
  const fileNames = new Set(fileCols.map((c) => String(c.column_name)));
  // the swept values live in one JSON column; each key becomes a column so it can be an axis
  const expanded: string[] = [];
  const sweptNames = new Set<string>();
  if (fileCols.some((c) => c.column_name === 'params' && c.column_type === 'VARCHAR')) {
    const keys = await queryRows(
      conn,
      `SELECT k, bool_and(json_type(json_extract(params, '$."' || k || '"')) IN ('DOUBLE', 'BIGINT', 'UBIGINT')) AS numeric
       FROM (SELECT params, unnest(json_keys(params)) AS k FROM sweep_file WHERE json_valid(params)) GROUP BY k ORDER BY k`,
    );
    for (const { k, numeric } of keys) {
      const key = String(k);
      if (fileNames.has(key)) continue;
      const path = sqlString(`$."${key.replaceAll('"', '\\"')}"`);
      expanded.push(numeric ? `json_extract(params, ${path})::DOUBLE AS ${sqlIdent(key)}` : `json_extract_string(params, ${path}) AS ${sqlIdent(key)}`);
      sweptNames.add(key);
    }
  }
  await conn.run(`CREATE OR REPLACE TEMP VIEW sweep_results AS SELECT *${expanded.length ? `, ${expanded.join(', ')}` : ''} FROM sweep_file`);
  const valid = fileNames.has('status') ? `status = 'ok'` : 'true';
  const described = await queryRows(conn, `SELECT column_name, column_type FROM (DESCRIBE sweep_results)`);
  const counts = await queryRows(
    conn,
    `SELECT ${described.map((d) => `count(DISTINCT ${sqlIdent(String(d.column_name))})::DOUBLE AS ${sqlIdent(String(d.column_name))}`).join(', ')},
       count(*)::DOUBLE AS "__rows", count(*) FILTER (WHERE ${valid})::DOUBLE AS "__valid" FROM sweep_results`,
  );
  const columns: SweepColumn[] = described.map((d) => ({ name: String(d.column_name), type: String(d.column_type), distinct: Number(counts[0][String(d.column_name)]), swept: sweptNames.has(String(d.column_name)) }));
  // a walk-forward sweep has no train/holdout columns: its per-configuration numbers are the whole range's
  const hasPeriod = (p: string) => columns.some((c) => c.name.startsWith(`${p}_`));
  const requested = opts.period ?? 'holdout';
  const period = !hasPeriod(requested) && hasPeriod('full') ? 'full' : requested;
  const axes = chooseAxes(columns, opts.axes, period);
  const fdr = await registerQValues(conn, columns, valid);
  const walkForward = await registerWalkForward(conn, path.join(path.dirname(found.file), 'walk_forward.json'));
  const q = (c: string) => sqlIdent(c);
  await conn.run(
    `CREATE OR REPLACE TEMP VIEW sweep_points AS SELECT *, ${q(axes.x)} AS _x, ${axes.y ? q(axes.y) : `'—'`} AS _y, ${q(axes.metric)}::DOUBLE AS _metric,
       ${q(axes.pareto_x)}::DOUBLE AS _px, ${q(axes.pareto_y)}::DOUBLE AS _py FROM sweep_results WHERE ${valid}`,
  );
  await createTable(conn, 'sweep_info', infoCols, [
    {
      available: true,
      id: found.id,
      path: found.file,
      rows: Number(counts[0].__rows),
      valid_rows: Number(counts[0].__valid),
      period,
      walk_forward: walkForward,
      fdr_tried: fdr.tried,
      fdr_surviving: fdr.surviving,
      x: axes.x,
      y: axes.y || null,
      metric: axes.metric,
      pareto_x: axes.pareto_x,
      pareto_y: axes.pareto_y,
      columns: columns.map((c) => c.name).join(', '),
      message: axes.message,
    },
  ]);
}

const FDR_LEVEL = 0.1;

/** p- and q-values on the period configurations were selected on; empty for sweeps written before q-values */
async function registerQValues(conn: DuckDBConnection, columns: readonly SweepColumn[], valid: string): Promise<{ tried: number | null; surviving: number | null }> {
  const sel = ['train', 'full'].find((p) => columns.some((c) => c.name === `${p}_q_value`));
  if (!sel) {
    await createTable(conn, 'sweep_qvalues', [['config_id', 'VARCHAR'], ['params', 'VARCHAR'], ['period', 'VARCHAR'], ['p_value', 'DOUBLE'], ['q_value', 'DOUBLE'], ['survives_fdr', 'BOOLEAN']], []);
    return { tried: null, surviving: null };
  }
  await conn.run(
    `CREATE OR REPLACE TEMP VIEW sweep_qvalues AS SELECT config_id, params, ${sqlString(sel)} AS period, ${sqlIdent(`${sel}_p_value`)} AS p_value,
       ${sqlIdent(`${sel}_q_value`)} AS q_value, ${sqlIdent(`${sel}_q_value`)} <= ${FDR_LEVEL} AS survives_fdr FROM sweep_results WHERE ${valid}`,
  );
  const [r] = await queryRows(conn, `SELECT count(*)::DOUBLE AS n, count(*) FILTER (WHERE survives_fdr)::DOUBLE AS s FROM sweep_qvalues`);
  return { tried: Number(r.n), surviving: Number(r.s) };
}

interface FoldJson {
  fold: number;
  train: { from: string; to: string };
  test: { from: string; to: string };
  eligible: number;
  chosen: {
    config_id: string;
    params: Record<string, unknown>;
    train: { metric: number | null; alerts: number | null; p_value: number | null; q_value: number | null };
    test: { metric: number | null; alerts: number | null; p_value: number | null };
    survives_fdr: boolean;
  } | null;
}

interface WalkForwardJson {
  metric: string;
  tried: number;
  folds: FoldJson[];
  folds_surviving_fdr: number;
  in_sample: number | null;
  out_of_sample: number | null;
  oos_is_ratio: number | null;
  stitched: { alerts: number; test_hours: number; scorecard: { overall: { events: Record<string, number | null>; baseline: Record<string, { mean: number | null; p_value: number | null }> | null } } } | null;
}

/** the fold tables from walk_forward.json; false (and empty tables) for a train/holdout sweep */
async function registerWalkForward(conn: DuckDBConnection, file: string): Promise<boolean> {
  let wf: WalkForwardJson | null = null;
  if (fs.existsSync(file)) {
    try {
      wf = JSON.parse(fs.readFileSync(file, 'utf8')) as WalkForwardJson;
    } catch (err) {
      throw new UserError(`${file}: not valid JSON (${(err as Error).message})`);
    }
  }
  await createTable(
    conn,
    'sweep_folds',
    [
      ['fold', 'BIGINT'], ['train_from', 'VARCHAR'], ['train_to', 'VARCHAR'], ['test_from', 'VARCHAR'], ['test_to', 'VARCHAR'], ['eligible', 'BIGINT'],
      ['config_id', 'VARCHAR'], ['params', 'VARCHAR'], ['metric', 'VARCHAR'], ['train_value', 'DOUBLE'], ['train_p', 'DOUBLE'], ['train_q', 'DOUBLE'],
      ['survives_fdr', 'BOOLEAN'], ['test_value', 'DOUBLE'], ['test_alerts', 'BIGINT'], ['test_p', 'DOUBLE'],
    ],
    (wf?.folds ?? []).map((f) => ({
      fold: f.fold,
      train_from: f.train.from,
      train_to: f.train.to,
      test_from: f.test.from,
      test_to: f.test.to,
      eligible: f.eligible,
      config_id: f.chosen?.config_id ?? null,
      params: f.chosen ? JSON.stringify(f.chosen.params) : null,
      metric: wf!.metric,
      train_value: f.chosen?.train.metric ?? null,
      train_p: f.chosen?.train.p_value ?? null,
      train_q: f.chosen?.train.q_value ?? null,
      survives_fdr: f.chosen ? f.chosen.survives_fdr : null,
      test_value: f.chosen?.test.metric ?? null,
      test_alerts: f.chosen?.test.alerts ?? null,
      test_p: f.chosen?.test.p_value ?? null,
    })),
  );
  const o = wf?.stitched?.scorecard.overall;
  const stat = (m: string) => ({ value: o?.events[m] ?? null, random: o?.baseline?.[m]?.mean ?? null, p: o?.baseline?.[m]?.p_value ?? null });
  await createTable(
    conn,
    'sweep_walk_forward',
    [
      ['folds', 'BIGINT'], ['tried', 'BIGINT'], ['metric', 'VARCHAR'], ['folds_surviving_fdr', 'BIGINT'], ['in_sample', 'DOUBLE'], ['out_of_sample', 'DOUBLE'],
      ['oos_is_ratio', 'DOUBLE'], ['stitched_alerts', 'BIGINT'], ['stitched_test_hours', 'BIGINT'], ['stitched_precision', 'DOUBLE'], ['random_precision', 'DOUBLE'],
      ['precision_p', 'DOUBLE'], ['stitched_nab', 'DOUBLE'], ['random_nab', 'DOUBLE'], ['nab_p', 'DOUBLE'],
    ],
    wf
      ? [
          {
            folds: wf.folds.length,
            tried: wf.tried,
            metric: wf.metric,
            folds_surviving_fdr: wf.folds_surviving_fdr,
            in_sample: wf.in_sample,
            out_of_sample: wf.out_of_sample,
            oos_is_ratio: wf.oos_is_ratio,
            stitched_alerts: wf.stitched?.alerts ?? null,
            stitched_test_hours: wf.stitched?.test_hours ?? null,
            stitched_precision: stat('precision').value,
            random_precision: stat('precision').random,
            precision_p: stat('precision').p,
            stitched_nab: stat('nab').value,
            random_nab: stat('nab').random,
            nab_p: stat('nab').p,
          },
        ]
      : [],
  );
  return wf !== null;
}
