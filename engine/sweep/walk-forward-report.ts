/**
 * The walk-forward verdict: per fold the configuration chosen on train (its p- and q-value there), how it did
 * on the fold's test period, which parameter values were chosen fold after fold (stability), and the stitched
 * out-of-sample scorecard — every fold's test alerts of its chosen configuration together, with the random
 * baseline. That scorecard measures the selection procedure, not any one configuration.
 */
import { renderTable } from '../cli/format.ts';
import { parseConfig } from '../pipeline/config.ts';
import { scoreOnMarket } from '../score/index.ts';
import type { Market } from '../score/market.ts';
import type { ScorableAlert, Scorecard } from '../score/types.ts';
import { isoHour } from '../time.ts';
import { applyParams, type Params } from './expand.ts';
import { FDR_LEVEL } from './fdr.ts';
import { P_VALUE } from './jobs.ts';
import { Q_VALUE } from './qvalues.ts';
import type { RunsTable } from './runs-table.ts';
import type { SweepSpec } from './spec.ts';
import { foldPeriods, type Fold, type WalkForwardSpec } from './walk-forward.ts';
import { metricLabel } from './metrics.ts';
import { thousands } from '../thousands.ts';

export interface FoldNumbers {
  /** the selection metric */
  metric: number | null;
  alerts: number | null;
  precision: number | null;
  p_value: number | null;
  /** across every configuration tried, on this period */
  q_value: number | null;
}

export interface FoldResult {
  fold: number;
  train: { from: string; to: string };
  test: { from: string; to: string };
  /** configurations that could be chosen: valid, with enough train alerts and a defined metric */
  eligible: number;
  chosen: {
    config_id: string;
    params: Params;
    train: FoldNumbers;
    test: FoldNumbers;
    /** its train q-value is at most the FDR level */
    survives_fdr: boolean;
  } | null;
}

export interface WalkForwardReport {
  spec: WalkForwardSpec;
  metric: string;
  better: 'higher' | 'lower';
  tried: number;
  fdr_level: number;
  folds: FoldResult[];
  /** per swept key, the value chosen in each fold (null: no configuration qualified in that fold) */
  stability: { key: string; values: unknown[]; distinct: number }[];
  /** folds in which the chosen configuration survives FDR on its train period */
  folds_surviving_fdr: number;
  /** mean over folds with a choice of the metric on train (where it was chosen) and on test */
  in_sample: number | null;
  out_of_sample: number | null;
  /** out_of_sample / in_sample: 1 means the train score held up; well below 1, selection fitted noise */
  oos_is_ratio: number | null;
  stitched: { folds: number; alerts: number; test_hours: number; scorecard: Scorecard } | null;
}

export interface WalkForwardInput {
  table: RunsTable;
  /** the runs joined with their q-values */
  source: string;
  spec: SweepSpec;
  wf: WalkForwardSpec;
  folds: Fold[];
  tried: number;
  alertsOf: (config: ReturnType<typeof parseConfig>) => Promise<ScorableAlert[]>;
  stitchedTestMarket: () => Market;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function numbers(r: Record<string, unknown>, period: string, metric: string): FoldNumbers {
  return {
    metric: num(r[`${period}_${metric}`]),
    alerts: num(r[`${period}_alerts`]),
    precision: num(r[`${period}_precision`]),
    p_value: num(r[`${period}_${P_VALUE}`]),
    q_value: num(r[`${period}_${Q_VALUE}`]),
  };
}

function mean(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;
}

export async function buildWalkForward(input: WalkForwardInput): Promise<WalkForwardReport> {
  const { table, source, spec, folds } = input;
  const { metric, better, min_alerts } = spec.select;
  const results: FoldResult[] = [];
  for (const f of folds) {
    const { train, test } = foldPeriods(f.fold);
    const where = `status = 'ok' AND "${train}_alerts" >= ${min_alerts} AND "${train}_${metric}" IS NOT NULL`;
    const eligible = Number((await table.rows(`SELECT count(*)::DOUBLE AS n FROM ${source} WHERE ${where}`))[0].n);
    // ties go to the smaller config id, whatever order the workers finished in
    const [r] = await table.rows(`SELECT * FROM ${source} WHERE ${where} ORDER BY "${train}_${metric}" ${better === 'higher' ? 'DESC' : 'ASC'}, config_id LIMIT 1`);
    const chosen: FoldResult['chosen'] = r
      ? (() => {
          const tr = numbers(r, train, metric);
          return { config_id: String(r.config_id), params: JSON.parse(String(r.params)) as Params, train: tr, test: numbers(r, test, metric), survives_fdr: tr.q_value !== null && tr.q_value <= FDR_LEVEL };
        })()
      : null;
    results.push({ fold: f.fold, train: { from: isoHour(f.train.from), to: isoHour(f.train.to - 3_600_000) }, test: { from: isoHour(f.test.from), to: isoHour(f.test.to - 3_600_000) }, eligible, chosen });
  }

  const keys = [...new Set(results.flatMap((f) => (f.chosen ? Object.keys(f.chosen.params) : [])))].sort();
  const stability = keys.map((key) => {
    const values = results.map((f) => (f.chosen ? (f.chosen.params[key] ?? null) : null));
    return { key, values, distinct: new Set(values.filter((v) => v !== null).map((v) => JSON.stringify(v))).size };
  });

  // the stitched record: each fold's chosen configuration, on that fold's test hours only
  const cache = new Map<string, ScorableAlert[]>();
  const stitchedAlerts: ScorableAlert[] = [];
  let used = 0;
  let testHours = 0;
  for (const f of folds) {
    const c = results[f.fold - 1].chosen;
    if (!c) continue;
    let alerts = cache.get(c.config_id);
    if (!alerts) {
      alerts = await input.alertsOf(parseConfig(applyParams(spec.base, c.params)));
      cache.set(c.config_id, alerts);
    }
    for (const a of alerts) if (a.ts >= f.test.from && a.ts < f.test.to) stitchedAlerts.push(a);
    used++;
    testHours += (f.test.to - f.test.from) / 3_600_000;
  }
  const stitched = used === 0 ? null : { folds: used, alerts: stitchedAlerts.length, test_hours: testHours, scorecard: scoreOnMarket(input.stitchedTestMarket(), stitchedAlerts) };

  const inSample = mean(results.map((f) => f.chosen?.train.metric ?? null));
  const outOfSample = mean(results.map((f) => (f.chosen && f.chosen.test.metric !== null ? f.chosen.test.metric : null)));
  return {
    spec: input.wf,
    metric,
    better,
    tried: input.tried,
    fdr_level: FDR_LEVEL,
    folds: results,
    stability,
    folds_surviving_fdr: results.filter((f) => f.chosen?.survives_fdr).length,
    in_sample: inSample,
    out_of_sample: outOfSample,
    oos_is_ratio: inSample !== null && outOfSample !== null && inSample !== 0 ? outOfSample / inSample : null,
    stitched,
  };
}

const dash = '—';
const fmt = (x: number | null | undefined, digits: number) => (x === null || x === undefined ? dash : x.toFixed(digits));
const fmtP = (x: number | null | undefined) => (x === null || x === undefined ? dash : x < 1e-4 ? x.toExponential(1) : x.toFixed(4));

export function formatWalkForward(w: WalkForwardReport): string {
  const s = w.spec;
  const lines = [
    `Walk-forward: ${s.window}, train ${s.train_days} d, test ${s.test_days} d, step ${s.step_days} d, embargo ${s.embargo_hours} h; ${w.folds.length} fold${w.folds.length === 1 ? '' : 's'}; ` +
      `selected per fold by train ${metricLabel(w.metric)} (${w.better} is better) among ${thousands(w.tried)} configurations`,
    renderTable(
      ['fold', 'train', 'test', 'eligible', 'chosen', `train ${metricLabel(w.metric)}`, 'p', `q (of ${w.tried})`, `FDR ${w.fdr_level * 100}%`, `test ${metricLabel(w.metric)}`, 'test alerts', 'test p'],
      w.folds.map((f) => [
        String(f.fold),
        `${f.train.from.slice(0, 10)} → ${f.train.to.slice(0, 10)}`,
        `${f.test.from.slice(0, 10)} → ${f.test.to.slice(0, 10)}`,
        String(f.eligible),
        f.chosen ? f.chosen.config_id.slice(0, 8) : 'none',
        fmt(f.chosen?.train.metric, 3),
        fmtP(f.chosen?.train.p_value),
        fmtP(f.chosen?.train.q_value),
        f.chosen ? (f.chosen.survives_fdr ? 'survives' : 'fails') : dash,
        fmt(f.chosen?.test.metric, 3),
        fmt(f.chosen?.test.alerts, 0),
        fmtP(f.chosen?.test.p_value),
      ]),
    ),
  ];
  if (w.stability.length > 0) {
    lines.push('Chosen values per fold (stability):');
    lines.push(
      renderTable(
        ['key', ...w.folds.map((f) => `f${f.fold}`), 'distinct'],
        w.stability.map((k) => [k.key, ...k.values.map((v) => (v === null ? dash : typeof v === 'object' ? JSON.stringify(v) : String(v))), String(k.distinct)]),
      ),
    );
  }
  lines.push(
    `In-sample (mean train ${metricLabel(w.metric)} of the chosen) ${fmt(w.in_sample, 3)}, out-of-sample (mean test) ${fmt(w.out_of_sample, 3)}, OOS/IS ratio ${fmt(w.oos_is_ratio, 2)}; ` +
      `${w.folds_surviving_fdr} of ${w.folds.filter((f) => f.chosen).length} chosen configurations survive FDR ${w.fdr_level * 100} % on train`,
  );
  if (w.stitched) {
    const o = w.stitched.scorecard.overall;
    const b = o.baseline;
    const metricLine = (name: string) => {
      const actual = (o.events as unknown as Record<string, number | null>)[name];
      const base = b?.[name];
      return `${name} ${fmt(actual, 3)}${base ? ` (random ${fmt(base.mean, 3)}, lift ${fmt(base.lift, 2)}, p ${fmtP(base.p_value)})` : ''}`;
    };
    lines.push(
      `Stitched out-of-sample (${w.stitched.folds} test periods, ${thousands(w.stitched.test_hours)} h, ${w.stitched.alerts} alerts; random baseline ${w.stitched.scorecard.options.permutations} permutations): ` +
        ['precision', 'recall', 'nab', 'false_alarms_per_week'].map(metricLine).join('; '),
    );
  } else lines.push('No fold had a configuration to choose: no out-of-sample record.');
  return lines.join('\n');
}
