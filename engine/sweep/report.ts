/**
 * What a sweep found: the best configuration selected on the TRAIN period and reported on the HOLDOUT period
 * (with a full scorecard and random baseline there), the top configurations, the Pareto fronts, and how many
 * configurations were tried — the more, the more optimistic the best train score — with the selected one's
 * Benjamini–Hochberg q-value across all of them. A walk-forward sweep selects per fold instead
 * (walk-forward-report.ts); its top list and fronts then describe the whole range, in-sample.
 */
import { renderTable } from '../cli/format.ts';
import { parseConfig, type PipelineConfig } from '../pipeline/config.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import { scoreOnMarket } from '../score/index.ts';
import { scoreOnMarketWith, type BaselineRunner } from '../score/score.ts';
import type { ScorableAlert, Scorecard } from '../score/types.ts';
import type { IneffectiveKey } from './ineffective-keys.ts';
import { applyParams, type Params } from './expand.ts';
import type { Period } from './jobs.ts';
import { paretoFront, type Better } from './pareto.ts';
import { metricLabel } from './metrics.ts';
import { RunsTable } from './runs-table.ts';
import { comparisonRows, fixed, formatComparison, type ComparisonRow } from './scorecard-table.ts';
import type { SweepSpec } from './spec.ts';
import type { SweepFrame } from './sweep.ts';
import { isoHour } from '../time.ts';
import { FDR_LEVEL } from './fdr.ts';
import { P_VALUE } from './jobs.ts';
import type { Market } from '../score/market.ts';
import { Q_VALUE } from './qvalues.ts';
import { buildWalkForward, formatWalkForward, type WalkForwardReport } from './walk-forward-report.ts';
import { thousands } from '../thousands.ts';
import { writeFileAtomic } from '../data/atomic-file.ts';

/** the runs with their q-values (qvalues.ts) */
const SCORED = 'scored_runs';

export interface ResultRow {
  config_id: string;
  status: 'ok' | 'invalid';
  error: string | null;
  params: Params;
  feature_key: string | null;
  mode: string | null;
  /** the selection period; in a walk-forward sweep the whole range (in-sample: every fold's train and test) */
  train: Record<string, number | null>;
  /** empty in a walk-forward sweep */
  holdout: Record<string, number | null>;
  /** walk-forward only: each fold's train and test metrics, keyed f<k>_train / f<k>_test */
  folds?: Record<string, Record<string, number | null>>;
}

export interface ParetoFront {
  x: string;
  y: string;
  better_x: Better;
  better_y: Better;
  /** train values decide the front; holdout values are shown beside them */
  points: ResultRow[];
}

export interface SweepReport {
  sweep_id: string;
  dir: string;
  spec_hash: string;
  dataset_manifest_sha256: string | null;
  symbols: string[];
  range: { from: string; to: string; warmup_hours: number };
  split: { train: { from: string; to: string }; holdout: { from: string; to: string } | null; walk_forward: boolean };
  select: SweepSpec['select'];
  complete: boolean;
  /** tried: distinct configurations stored (this run and earlier ones), invalid ones included */
  configurations: { planned: number; tried: number; valid: number; invalid: number; duplicates: number; feature_sets: number };
  /** how this run went (timings differ run to run; everything else in the report does not) */
  run: {
    computed: number;
    resumed: number;
    workers: number;
    compute_ms: number;
    elapsed_ms: number;
    per_second: number | null;
    stages_ms: { load: number; markets: number; evaluate: number; report: number };
    /**
     * CPU time of the run (ms): the whole process (every thread, from the start of runSweep; in-process callers'
     * other work included), this (main) thread and each worker thread since it started; null without /proc
     */
    cpu_ms?: { process: number; main: number | null; workers: (number | null)[] };
    /**
     * the process's CPU time (every thread, ms) in each of stages_ms's stages: beside the wall time, how many cores the
     * stage kept busy (on 2 cores, a stage near 2 × its wall has no idle core left to fill)
     */
    stages_cpu_ms?: { load: number; markets: number; evaluate: number; report: number };
    /**
     * the wall time in order, finer than stages_ms (ms): `before` runSweep (in the CLI: Node's start, module loading
     * and the spec; in another caller, whatever ran in its process first), load, markets, `runs_table` (opened, its
     * finished configurations read), `warm_up` (the first `warm_up_configurations` evaluated on cold code while the
     * first full window of configurations is generated), `steady` (the rest of the evaluation), report
     */
    timeline_ms?: { before: number; load: number; markets: number; runs_table: number; warm_up: number; warm_up_configurations: number; steady: number; report: number };
  };
  warning: string;
  /** swept keys whose every value gave the same alerts (ineffective-keys.ts): the sweep over them decides nothing */
  ineffective_keys: IneffectiveKey[];
  /**
   * Multiple testing: each valid configuration's precision p-value (exact, against random placement) on the
   * selection period, Benjamini–Hochberg q-values across all of them; for the selected configuration (or each
   * fold's), whether its q-value is within the FDR level
   */
  fdr: {
    level: number;
    tried: number;
    test: string;
    /** configurations with q <= level on the selection period (holdout split: train; walk-forward: the whole range) */
    surviving: number;
    selected: { label: string; config_id: string; p_value: number | null; q_value: number | null; survives: boolean }[];
  };
  best: {
    row: ResultRow;
    config: PipelineConfig;
    /** the full scorecard on the holdout, random baseline included: the honest number */
    holdout_scorecard: Scorecard;
    /** the train scorecard without a baseline: p-values after selecting on this period would mean nothing */
    train_scorecard: Scorecard;
    comparison: ComparisonRow[];
  } | null;
  top: ResultRow[];
  pareto: { precision_vs_alerts_per_day: ParetoFront; recall_vs_false_alarms_per_week: ParetoFront };
  invalid: { count: number; examples: ResultRow[] };
  walk_forward?: WalkForwardReport;
  rows?: ResultRow[];
}

export interface ReportInput {
  table: RunsTable;
  spec: SweepSpec;
  frame: SweepFrame;
  dir: string;
  sweepId: string;
  datasetHash: string | null;
  periods: Period[];
  complete: boolean;
  planned: number;
  duplicates: number;
  run: Omit<SweepReport['run'], 'elapsed_ms' | 'per_second'>;
  includeRows: boolean;
  /** the table's rows and invalid rows, counted by the caller (for the manifest) after its last write */
  stored: { results: number; invalid: number };
  ineffectiveKeys: IneffectiveKey[];
  bestAlerts: (config: PipelineConfig) => Promise<ScorableAlert[]>;
  /** train/holdout split: the selected configuration with its alerts under way (startSelected), null when none qualifies */
  selected: SelectedAlerts | null;
  /** walk-forward: every fold's test hours, for the stitched out-of-sample scorecard */
  stitchedTestMarket: () => Market;
  /** computes a period market's random baseline elsewhere (the sweep's idle workers); absent: on this thread */
  baselineRunner?: BaselineRunner;
}

const iso = isoHour;

const TEXT = new Set(['config_id', 'status', 'error', 'params', 'feature_key', 'mode', 'r']);

/** a result column's period and metric, null for a column of no period (parsed once per name: ≈ 60 columns × every row) */
const periodColumns = new Map<string, readonly [string, string] | null>();

function periodColumn(c: string): readonly [string, string] | null {
  let known = periodColumns.get(c);
  if (known === undefined) {
    const m = TEXT.has(c) ? null : /^(train|holdout|full|f\d+_train|f\d+_test)_(.+)$/.exec(c);
    known = m ? [m[1], m[2]] : null;
    periodColumns.set(c, known);
  }
  return known;
}

function toResult(r: Record<string, unknown>): ResultRow {
  const byPeriod: Record<string, Record<string, number | null>> = {};
  for (const c in r) {
    const pm = periodColumn(c);
    if (pm === null) continue;
    const v = r[c];
    (byPeriod[pm[0]] ??= {})[pm[1]] = v === null || v === undefined ? null : Number(v);
  }
  const folds = Object.fromEntries(Object.entries(byPeriod).filter(([p]) => /^f\d+_/.test(p)));
  const walkForward = 'full' in byPeriod;
  return {
    config_id: String(r.config_id),
    status: r.status as ResultRow['status'],
    error: (r.error as string | null) ?? null,
    params: JSON.parse(String(r.params)) as Params,
    feature_key: (r.feature_key as string | null) ?? null,
    mode: (r.mode as string | null) ?? null,
    train: (walkForward ? byPeriod.full : byPeriod.train) ?? {},
    holdout: byPeriod.holdout ?? {},
    ...(walkForward ? { folds } : {}),
  };
}

export function multipleTestingWarning(tried: number): string {
  return `best of ${thousands(tried)} configuration${tried === 1 ? '' : 's'}: expect the train score to be optimistic; holdout is the honest number`;
}

interface FrontSpec {
  x: string;
  y: string;
  betterX: Better;
  betterY: Better;
}

/**
 * the Pareto fronts over the eligible configurations: their numbers read once for every front, then the rows on any
 * front read once (two queries instead of two a front: each ranks the whole table again)
 */
async function fronts(input: ReportInput, eligible: string, period: string, specs: readonly FrontSpec[]): Promise<ParetoFront[]> {
  const { table } = input;
  const ranked = `SELECT row_number() OVER (ORDER BY config_id) AS r, * FROM ${SCORED} WHERE ${eligible}`;
  const axes = specs.map((f, i) => `"${period}_${f.x}"::DOUBLE AS x${i}, "${period}_${f.y}"::DOUBLE AS y${i}`).join(', ');
  const cols = await table.numbers(`SELECT r::DOUBLE AS r, ${axes} FROM (${ranked}) ORDER BY r`);
  const wanted = specs.map((f, i) => paretoFront(cols[`x${i}`], cols[`y${i}`], f.betterX, f.betterY).map((k) => cols.r[k]));
  const all = [...new Set(wanted.flat())];
  const rows = all.length === 0 ? [] : await table.rows(`SELECT * FROM (${ranked}) WHERE r IN (${all.join(',')})`);
  const byR = new Map(rows.map((r) => [Number(r.r), r]));
  // each front's points their own objects, as when each front read its own rows
  return specs.map((f, i) => ({ x: f.x, y: f.y, better_x: f.betterX, better_y: f.betterY, points: wanted[i].map((r) => toResult(byR.get(r)!)) }));
}

/** configurations that may be selected: valid, with enough train alerts */
function eligibleWhere(select: SweepSpec['select'], period = 'train'): string {
  return `status = 'ok' AND "${period}_alerts" >= ${select.min_alerts}`;
}

/**
 * The best configurations by the selection metric on the TRAIN period only (ties: the smaller config id),
 * whatever their holdout numbers: selecting on the holdout would leave no honest number.
 */
export async function topByTrain(table: RunsTable, select: SweepSpec['select'], limit = 10, period = 'train', source = 'runs'): Promise<ResultRow[]> {
  const order = `"${period}_${select.metric}" ${select.better === 'higher' ? 'DESC' : 'ASC'}, config_id`;
  const rows = await table.rows(`SELECT * FROM ${source} WHERE ${eligibleWhere(select, period)} AND "${period}_${select.metric}" IS NOT NULL ORDER BY ${order} LIMIT ${limit}`);
  return rows.map((r) => toResult(r));
}

/** the configuration a train/holdout split selects, its alerts being computed, and its holdout scorecard once they are in */
export interface SelectedAlerts {
  configId: string;
  alerts: Promise<ScorableAlert[]>;
  /** with a baseline runner: started as soon as the alerts arrive, its permutations on the runner's threads */
  holdoutCard: Promise<Scorecard> | null;
  /** with a baseline runner: built right after the holdout card's rows, while the permutations and the database run */
  trainCard: Promise<Scorecard> | null;
}

/** the alerts a period scores */
function inPeriod(alerts: readonly ScorableAlert[], p: Period): ScorableAlert[] {
  return alerts.filter((a) => a.ts >= p.from && a.ts < p.to);
}

/**
 * Selects the best configuration on the runs as soon as they are all in and asks for its alerts: a worker computes
 * them while this thread stores the q-values and writes the results, rather than after (the report waits on them
 * first). With the holdout period and a baseline runner, its scorecard starts when the alerts arrive: the workers run
 * its permutations while this thread's database work finishes, where one of them was idle and the other waited for
 * the report's queries. The selection is the report's own (topByTrain; the q-values do not enter it).
 */
export async function startSelected(
  table: RunsTable,
  spec: SweepSpec,
  bestAlerts: ReportInput['bestAlerts'],
  holdout?: { period: Period; runner: BaselineRunner; train: Period },
): Promise<SelectedAlerts | null> {
  const [row] = await topByTrain(table, spec.select, 1);
  if (row === undefined) return null;
  const alerts = bestAlerts(parseConfig(applyParams(spec.base, row.params)));
  const holdoutCard = holdout ? alerts.then((a) => scoreOnMarketWith(holdout.period.market, inPeriod(a, holdout.period), holdout.runner)) : null;
  // after the holdout card's rows, in a turn of its own: the database's replies in between are answered first, so its
  // next query runs beside this card rather than after it
  const trainCard = holdout ? alerts.then((a) => new Promise<void>((resolve) => setImmediate(resolve)).then(() => trainCardOf(a, holdout.train))) : null;
  // awaited by the report; until then a failure must not count as unhandled
  alerts.catch(() => {});
  holdoutCard?.catch(() => {});
  trainCard?.catch(() => {});
  return { configId: row.config_id, alerts, holdoutCard, trainCard };
}

/** the train scorecard: no random baseline after selecting on this period (its p-values would mean nothing) */
function trainCardOf(alerts: readonly ScorableAlert[], train: Period): Scorecard {
  return scoreOnMarket({ ...train.market, options: { ...train.market.options, permutations: 0 } }, inPeriod(alerts, train));
}

/** the selected configuration's full holdout scorecard (random baseline included) beside its train scorecard */
async function bestOnHoldout(input: ReportInput, row: ResultRow, selected: SelectedAlerts | null): Promise<NonNullable<SweepReport['best']>> {
  const config = parseConfig(applyParams(input.spec.base, row.params));
  // the same selection by construction; were it ever another configuration, its alerts are asked for now
  const early = selected?.configId === row.config_id ? selected : null;
  const alerts = await (early?.alerts ?? input.bestAlerts(config));
  const [train, holdout] = input.periods;
  // started first: with a baseline runner its permutations run elsewhere while the train card is scored here
  const holdoutPending = early?.holdoutCard ?? (input.baselineRunner ? scoreOnMarketWith(holdout.market, inPeriod(alerts, holdout), input.baselineRunner) : null);
  const holdoutInline = holdoutPending === null ? scoreOnMarket(holdout.market, inPeriod(alerts, holdout)) : null;
  const trainCard = (await early?.trainCard) ?? trainCardOf(alerts, train);
  const holdoutCard = holdoutInline ?? (await holdoutPending!);
  return {
    row,
    config,
    holdout_scorecard: holdoutCard,
    train_scorecard: trainCard,
    comparison: comparisonRows([
      { label: 'train', card: trainCard },
      { label: 'holdout', card: holdoutCard },
    ]),
  };
}

export async function buildSweepReport(input: ReportInput): Promise<SweepReport> {
  const { table, spec, frame } = input;
  const folds = frame.folds;
  const selPeriod = folds === null ? 'train' : 'full';
  const eligible = eligibleWhere(spec.select, selPeriod);
  const top = await topByTrain(table, spec.select, 10, selPeriod, SCORED);
  // the selected configuration's holdout baseline runs on the workers while this thread queries the table and
  // scores the train period
  const bestPending = folds === null && top.length > 0 ? bestOnHoldout(input, top[0], input.selected) : null;
  // awaited below; until then a failure must not count as unhandled
  bestPending?.catch(() => {});
  const { results: tried, invalid: invalidCount } = input.stored;
  const featureSets = Number((await table.rows(`SELECT count(DISTINCT feature_key)::DOUBLE AS n FROM runs WHERE status = 'ok'`))[0].n);
  const invalidRows = await table.rows(`SELECT * FROM runs WHERE status = 'invalid' ORDER BY config_id LIMIT 20`);
  const okCount = tried - invalidCount;
  const surviving = await table.count(`config_id IN (SELECT config_id FROM qvalues WHERE "${selPeriod}_${Q_VALUE}" <= ${FDR_LEVEL})`);
  const [precisionFront, recallFront] = await fronts(input, eligible, selPeriod, [
    // more alerts at the same precision is more coverage, so both are maximised: the precision–coverage trade-off
    { x: 'alerts_per_day', y: 'precision', betterX: 'higher', betterY: 'higher' },
    { x: 'false_alarms_per_week', y: 'recall', betterX: 'lower', betterY: 'higher' },
  ]);
  const pareto = { precision_vs_alerts_per_day: precisionFront, recall_vs_false_alarms_per_week: recallFront };

  const warning = folds === null ? multipleTestingWarning(okCount) : `best of ${thousands(okCount)} configurations in every fold: expect each fold's train score to be optimistic; the stitched out-of-sample record is the honest number`;
  // before the selected configuration's scorecards are awaited: this thread is idle while the workers finish the baseline
  const rows = input.includeRows ? (await table.rows(`SELECT * FROM ${SCORED} ORDER BY config_id`)).map((r) => toResult(r)) : undefined;

  let best: SweepReport['best'] = null;
  let walkForward: WalkForwardReport | undefined;
  const selected: SweepReport['fdr']['selected'] = [];
  if (folds !== null && 'walk_forward' in spec.split) {
    walkForward = await buildWalkForward({
      table,
      source: SCORED,
      spec,
      wf: spec.split.walk_forward,
      folds,
      tried: okCount,
      alertsOf: input.bestAlerts,
      stitchedTestMarket: input.stitchedTestMarket,
    });
    for (const f of walkForward.folds) {
      if (f.chosen) selected.push({ label: `fold ${f.fold}`, config_id: f.chosen.config_id, p_value: f.chosen.train.p_value, q_value: f.chosen.train.q_value, survives: f.chosen.survives_fdr });
    }
  } else if (bestPending !== null) {
    best = await bestPending;
    const row = best.row;
    const p = row.train[P_VALUE] ?? null;
    const q = row.train[Q_VALUE] ?? null;
    selected.push({ label: 'train', config_id: row.config_id, p_value: p, q_value: q, survives: q !== null && q <= FDR_LEVEL });
  }
  const report: SweepReport = {
    sweep_id: input.sweepId,
    dir: input.dir,
    spec_hash: spec.hash,
    dataset_manifest_sha256: input.datasetHash,
    symbols: frame.symbols,
    range: { from: iso(frame.emitFrom), to: iso(frame.emitUntil), warmup_hours: frame.warmupHours },
    split:
      frame.holdoutFrom === null
        ? { train: { from: iso(frame.emitFrom), to: iso(frame.emitUntil) }, holdout: null, walk_forward: true }
        : {
            train: { from: iso(frame.emitFrom), to: iso(frame.holdoutFrom - HOUR_MS) },
            holdout: { from: iso(frame.holdoutFrom), to: iso(frame.emitUntil) },
            walk_forward: false,
          },
    select: spec.select,
    complete: input.complete,
    configurations: { planned: input.planned, tried, valid: okCount, invalid: invalidCount, duplicates: input.duplicates, feature_sets: featureSets },
    run: { ...input.run, elapsed_ms: 0, per_second: input.run.computed > 0 && input.run.compute_ms > 0 ? Math.round((input.run.computed / input.run.compute_ms) * 1000 * 10) / 10 : null },
    warning,
    ineffective_keys: input.ineffectiveKeys,
    fdr: {
      level: FDR_LEVEL,
      tried: okCount,
      test: 'precision against random placement of the same alerts per symbol (exact binomial tail)',
      surviving,
      selected,
    },
    best,
    top,
    pareto,
    invalid: { count: invalidCount, examples: invalidRows.map((r) => toResult(r)) },
    ...(walkForward ? { walk_forward: walkForward } : {}),
  };
  if (rows) report.rows = rows;
  return report;
}

export function ineffectiveText(k: IneffectiveKey): string {
  return `${k.path} changed no alert: each of its values tried gave the same alerts in the ${k.checked} configuration${k.checked === 1 ? '' : 's'} checked (a threshold of a mode not in use, or a key that changes only alert text), so the sweep over it selects nothing`;
}

/** the full key paths: `thresholds.explosive` alone could be volatility's or another detector's */
export function paramsText(p: Params): string {
  return Object.entries(p)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
}

function frontTitle(f: ParetoFront): string {
  const dir = (m: string, b: Better) => `${metricLabel(m)} ${b === 'higher' ? 'higher' : 'lower'} is better`;
  return `${metricLabel(f.y)} vs ${metricLabel(f.x)} (${dir(f.y, f.better_y)}; ${dir(f.x, f.better_x)}${f.x === 'alerts_per_day' ? ': more coverage at the same precision' : ''})`;
}

const dash = '—';
// fixed(): no "-0.0" cells
function fmt(x: number | null | undefined, digits: number, scale = 1): string {
  return x === null || x === undefined ? dash : fixed(x * scale, digits);
}

function resultTable(rows: readonly ResultRow[], metric: string, walkForward = false): string {
  if (walkForward) {
    return renderTable(
      ['config', 'params', 'whole range /day', 'prec%', 'recall%', 'NAB', metricLabel(metric)],
      rows.map((r) => [r.config_id.slice(0, 8), paramsText(r.params), fmt(r.train.alerts_per_day, 2), fmt(r.train.precision, 1, 100), fmt(r.train.recall, 1, 100), fmt(r.train.nab, 1), fmt(r.train[metric], 3)]),
    );
  }
  return renderTable(
    ['config', 'params', 'train /day', 'prec%', 'recall%', 'NAB', metricLabel(metric), '| holdout /day', 'prec%', 'recall%', 'NAB', metricLabel(metric)],
    rows.map((r) => [
      r.config_id.slice(0, 8),
      paramsText(r.params),
      fmt(r.train.alerts_per_day, 2),
      fmt(r.train.precision, 1, 100),
      fmt(r.train.recall, 1, 100),
      fmt(r.train.nab, 1),
      fmt(r.train[metric], 3),
      `| ${fmt(r.holdout.alerts_per_day, 2)}`,
      fmt(r.holdout.precision, 1, 100),
      fmt(r.holdout.recall, 1, 100),
      fmt(r.holdout.nab, 1),
      fmt(r.holdout[metric], 3),
    ]),
  );
}

function frontTable(f: ParetoFront, max = 15, walkForward = false): string {
  const pts = f.points.length > max ? f.points.filter((_, i) => i % Math.ceil(f.points.length / max) === 0) : f.points;
  const body = walkForward
    ? renderTable(['config', 'params', metricLabel(f.x), metricLabel(f.y)], pts.map((r) => [r.config_id.slice(0, 8), paramsText(r.params), fmt(r.train[f.x], 3), fmt(r.train[f.y], 3)]))
    : renderTable(
        ['config', 'params', `train ${metricLabel(f.x)}`, `train ${metricLabel(f.y)}`, `holdout ${metricLabel(f.x)}`, `holdout ${metricLabel(f.y)}`],
        pts.map((r) => [r.config_id.slice(0, 8), paramsText(r.params), fmt(r.train[f.x], 3), fmt(r.train[f.y], 3), fmt(r.holdout[f.x], 3), fmt(r.holdout[f.y], 3)]),
      );
  return pts.length < f.points.length ? `${body}\n(${pts.length} of ${f.points.length} front points shown; --json has all)` : body;
}

/**
 * what `regime sweep` prints, wherever the sweep ran (this process or the sweep server): the report as text, or with
 * `json` true the whole report as JSON instead; a `json` file is written (atomically) beside the text
 */
export function sweepReportOutput(report: SweepReport, json: string | boolean | undefined): string {
  if (!json) return `${formatSweepReport(report)}\n`;
  const text = JSON.stringify(report, null, 1) + '\n';
  if (json === true) return text;
  writeFileAtomic(json, text);
  return `${formatSweepReport(report)}\n`;
}

export function formatSweepReport(r: SweepReport): string {
  const c = r.configurations;
  const lines = [
    `Sweep ${r.sweep_id}  ${r.symbols.join(', ')}  ${r.range.from} → ${r.range.to} UTC (warm-up ${r.range.warmup_hours} h)`,
    r.split.holdout
      ? `train ${r.split.train.from} → ${r.split.train.to}, holdout ${r.split.holdout.from} → ${r.split.holdout.to}`
      : `walk-forward over ${r.split.train.from} → ${r.split.train.to}; the top list and Pareto fronts below describe the whole range, in-sample`,
    `${thousands(c.tried)} configurations (${c.invalid} invalid, skipped; ${c.duplicates} duplicates), ${c.feature_sets} feature set${c.feature_sets === 1 ? '' : 's'}; ` +
      `${thousands(r.run.computed)} computed now with ${r.run.workers} worker${r.run.workers === 1 ? '' : 's'}` +
      (r.run.per_second === null ? '' : ` (${r.run.per_second}/s)`) +
      `, ${thousands(r.run.resumed)} already done${r.complete ? '' : '; INCOMPLETE: run again to resume'}`,
    `selected by train ${metricLabel(r.select.metric)} (${r.select.better} is better), at least ${r.select.min_alerts} train alerts`,
    '',
  ];
  if (r.walk_forward) lines.push(formatWalkForward(r.walk_forward), '');
  if (r.top.length === 0) lines.push('No configuration qualifies for selection.');
  else if (r.walk_forward) {
    lines.push(`Top ${r.top.length} by ${metricLabel(r.select.metric)} over the whole range (in-sample, for orientation only):`, resultTable(r.top, r.select.metric, true), '');
  } else {
    lines.push(`Top ${r.top.length} by train ${metricLabel(r.select.metric)}:`, resultTable(r.top, r.select.metric), '');
  }
  if (r.best) {
    lines.push(`Best (selected on train): ${r.best.row.config_id}  ${paramsText(r.best.row.params)}`);
    lines.push(`Its scorecards (holdout: random baseline ${r.best.holdout_scorecard.options.permutations} permutations, seed ${r.best.holdout_scorecard.options.seed}; train: no baseline after selection):`);
    lines.push(formatComparison(r.best.comparison), '');
  }
  const on = r.walk_forward ? 'whole range' : 'train';
  for (const f of [r.pareto.precision_vs_alerts_per_day, r.pareto.recall_vs_false_alarms_per_week]) {
    lines.push(`Pareto front (${on}) — ${frontTitle(f)}:`, frontTable(f, 15, Boolean(r.walk_forward)), '');
  }
  if (r.invalid.count > 0) {
    lines.push(`Invalid configurations (${r.invalid.count}, skipped):`);
    for (const x of r.invalid.examples.slice(0, 5)) lines.push(`  ${paramsText(x.params)}: ${x.error}`);
    lines.push('');
  }
  const f = r.fdr;
  lines.push(
    `Multiple testing: ${thousands(f.tried)} configurations tried; p = ${f.test}, BH q-values across all of them; ` +
      `${f.surviving} survive FDR ${f.level * 100} % on ${on}.` +
      (f.selected.length === 0 ? '' : ` Selected: ${f.selected.map((x) => `${x.label} ${x.config_id.slice(0, 8)} q ${x.q_value === null ? '—' : x.q_value.toPrecision(3)} ${x.survives ? 'survives' : 'does NOT survive'}`).join('; ')}.`),
  );
  lines.push(`WARNING: ${r.warning}.`);
  for (const k of r.ineffective_keys) lines.push(`WARNING: ${ineffectiveText(k)}.`);
  lines.push(`Results: ${r.dir} (runs.duckdb${r.complete ? ', results.parquet' : ''}${r.walk_forward && r.complete ? ', walk_forward.json' : ''}, manifest.json)`);
  return lines.join('\n');
}
