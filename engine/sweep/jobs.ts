/**
 * What a sweep worker does, as plain functions over shared memory, so the same code runs in a worker thread
 * and in-process (tests, the best configuration's alerts).
 */
import type { Alert } from '../pipeline/alerts.ts';
import type { PipelineConfig } from '../pipeline/config.ts';
import type { ReplayData } from '../replay/replay-data.ts';
import { runReplay } from '../replay/replay.ts';
import type { Market } from '../score/market.ts';
import { metricCount, permutationValues, placeSlice, type BaselineSpec } from '../score/baseline.ts';
import { toScorable } from '../replay/score-alerts.ts';
import { alertIdsOf, ColumnarEvaluator, materialiseAlerts, type AlertColumns, type EvaluatedAlert } from './evaluate.ts';
import { computeFeatures, type FeatureSet } from './features.ts';
import { withSharedIndex } from './feature-index.ts';
import { metricNames, PeriodScorer, scorableColumns, scorableFromAlerts, type PeriodMetrics, type ScorableColumns } from './metrics.ts';
import { PrecisionTest } from './precision-pvalue.ts';
import type { CompactLayout } from '../score/evaluator.ts';

/** the per-configuration p-value column of every period (precision against random placement, exact) */
export const P_VALUE = 'p_value';

export interface Period {
  /** 'train' and 'holdout', or 'full' and f<k>_train / f<k>_test for a walk-forward split */
  name: string;
  market: Market;
  /** alerts with from <= ts < to are scored on this period's market */
  from: number;
  to: number;
  /** the market's compactLayout, made once for every worker (in shared memory); each worker makes its own without it */
  layout?: CompactLayout;
}

export interface SweepContext {
  data: ReplayData;
  periods: Period[];
  /** kept alerts: hours from..until (inclusive); earlier hours warm the detectors and the cooldown up */
  emitFrom: number;
  emitUntil: number;
  /**
   * what names this data and these periods for good (a resident process's kept inputs: their cache file), or none: a
   * worker given the same name again keeps what it built from them (SweepJobs.renew)
   */
  inputs?: string | null;
}

export type Job =
  | { kind: 'features'; key: string; featureConfig: Record<string, unknown> }
  /** features null: the worker evaluated this feature set last and still holds it (the pool knows) */
  | { kind: 'evaluate'; config: PipelineConfig; key: string; features: FeatureSet | null }
  /** the same as one row of numbers (metricColumns order, NaN for none): a typed array crosses threads as one copy */
  | { kind: 'evaluate-row'; config: PipelineConfig; key: string; features: FeatureSet | null }
  | { kind: 'replay'; config: PipelineConfig }
  /** the configuration's alerts as columns and ids (SelectedAlerts: a few typed arrays and one string to copy) */
  | { kind: 'alerts'; config: PipelineConfig; key: string; features: FeatureSet | null }
  | { kind: 'replay-alerts'; config: PipelineConfig }
  /**
   * a share of a scorecard's random baseline on a period's market (baseline-runner.ts): slices of `chunk`
   * permutations claimed from the shared counter `next` until none is left, their values written into `values`
   * (the whole baseline's, valueOffset layout); answers with the number of slices it computed
   */
  | { kind: 'baseline'; period: string; spec: BaselineSpec; next: SharedArrayBuffer; values: SharedArrayBuffer; chunk: number };

export type PeriodResults = Record<string, PeriodMetrics>;

/** a configuration's alerts as a worker sends them for the report (scorableFromColumns) */
export interface SelectedAlerts {
  cols: AlertColumns;
  /** alertIdsOf: the ids end to end */
  ids: string;
}

/** every period's metrics and p-value: the runs table's metric columns, in its order (runs-table.ts) */
export function metricColumns(periods: readonly string[], horizons: readonly number[]): { period: string; metric: string }[] {
  const metrics = [...metricNames(horizons), P_VALUE];
  return periods.flatMap((period) => metrics.map((metric) => ({ period, metric })));
}

export class SweepJobs {
  private ctx: SweepContext;
  private scorers: { name: string; scorer: PeriodScorer; test: PrecisionTest }[];
  private readonly evaluators = new Map<string, ColumnarEvaluator>();
  /** per symbol: judged and true alerts of the period being scored (PeriodScorer.score fills them for the p-value) */
  private readonly counts: { judged: Int32Array; hits: Int32Array };
  private columns: { period: string; metric: string }[] | null = null;
  /** the last configuration's alerts as the scorer takes them: their arrays are reused by the next */
  private scorable: ScorableColumns | undefined = undefined;

  /** ctx.periods may come later (setPeriods): a features job needs only the data */
  constructor(ctx: SweepContext) {
    this.ctx = { ...ctx };
    this.counts = { judged: new Int32Array(ctx.data.symbols.length), hits: new Int32Array(ctx.data.symbols.length) };
    this.scorers = this.scorersOf(ctx.periods);
  }

  /**
   * the next sweep on the same inputs (ctx.inputs named, and the same as this one's): what was built from the feature
   * sets (indexes, the regime bands' orders, the incremental state) is kept, the caches of values a configuration
   * took are dropped, so a sweep costs what it would in a new worker, less the building. Returns false (nothing kept)
   * when the inputs differ.
   */
  renew(ctx: SweepContext): boolean {
    if (!ctx.inputs || ctx.inputs !== this.ctx.inputs) return false;
    this.ctx = { ...ctx, periods: this.ctx.periods };
    for (const e of this.evaluators.values()) e.forgetValues();
    this.samePeriods = true;
    return true;
  }

  /** set when renewed: the periods that come next are this context's own (the same inputs), already scored for */
  private samePeriods = false;

  setPeriods(periods: Period[]): void {
    if (this.samePeriods) {
      this.samePeriods = false;
      return;
    }
    this.ctx.periods = periods;
    this.scorers = this.scorersOf(periods);
    this.columns = null;
  }

  private scorersOf(periods: readonly Period[]) {
    const { symbols } = this.ctx.data;
    return periods.map((p) => ({
      name: p.name,
      scorer: new PeriodScorer(p.market, symbols, p.from, p.to, p.layout),
      test: new PrecisionTest(p.market, symbols, p.from, p.to),
    }));
  }

  /** one evaluator per feature set, the two most recent kept: their rule caches are what makes repeats cheap */
  private evaluator(key: string, fs: FeatureSet | null): ColumnarEvaluator {
    let e = this.evaluators.get(key);
    if (e) {
      this.evaluators.delete(key);
      this.evaluators.set(key, e);
      return e;
    }
    if (fs === null) throw new Error(`sweep worker: feature set ${key} is not held here`);
    e = new ColumnarEvaluator(fs);
    this.evaluators.set(key, e);
    if (this.evaluators.size > 2) this.evaluators.delete(this.evaluators.keys().next().value!);
    return e;
  }

  private score(alerts: ScorableColumns): PeriodResults {
    const out = {} as PeriodResults;
    const counts = this.counts;
    for (const { name, scorer, test } of this.scorers) out[name] = { ...scorer.score(alerts, counts), [P_VALUE]: test.fromCounts(counts.judged, counts.hits) };
    return out;
  }

  features(key: string, featureConfig: Record<string, unknown>): FeatureSet {
    // the other workers receive the index with the set, in shared memory, instead of each rebuilding it
    const fs = withSharedIndex(computeFeatures(this.ctx.data, featureConfig, key));
    // the worker that computed a set evaluates it next (the pool prefers it), without receiving it back
    this.evaluator(key, fs);
    return fs;
  }

  evaluate(config: PipelineConfig, key: string, fs: FeatureSet | null): PeriodResults {
    return this.score(this.alertsOf(config, key, fs));
  }

  /** the configuration's alerts as the scorer takes them: this worker's arrays, reused by the next configuration */
  private alertsOf(config: PipelineConfig, key: string, fs: FeatureSet | null): ScorableColumns {
    const e = this.evaluator(key, fs);
    const cols = e.evaluate(config, { from: this.ctx.emitFrom, until: this.ctx.emitUntil }, true);
    return (this.scorable = scorableColumns(e.features, cols, this.scorable));
  }

  /** evaluate() as one row of metricColumns (NaN where a metric is null) */
  evaluateRow(config: PipelineConfig, key: string, fs: FeatureSet | null): Float64Array {
    const alerts = this.alertsOf(config, key, fs);
    // metricColumns' order: per period its metrics (PeriodScorer.scoreInto), then its p-value
    const columns = (this.columns ??= metricColumns(
      this.ctx.periods.map((p) => p.name),
      this.ctx.periods[0]?.market.options.horizons_hours ?? [],
    ));
    const row = new Float64Array(columns.length);
    const counts = this.counts;
    const width = columns.length / Math.max(1, this.scorers.length);
    this.scorers.forEach(({ scorer, test }, p) => {
      scorer.scoreInto(alerts, counts, row, p * width);
      row[(p + 1) * width - 1] = test.fromCounts(counts.judged, counts.hits);
    });
    return row;
  }

  /** the whole Pipeline, for a configuration with a key the columnar evaluator does not know */
  replay(config: PipelineConfig): PeriodResults {
    const alerts = this.replayAlerts(config);
    return this.score(scorableFromAlerts(this.ctx.data.symbols, alerts));
  }

  replayAlerts(config: PipelineConfig): Alert[] {
    return runReplay(this.ctx.data, config, { emitFrom: this.ctx.emitFrom, until: this.ctx.emitUntil }).alerts;
  }

  alerts(config: PipelineConfig, key: string, fs: FeatureSet | null): EvaluatedAlert[] {
    const e = this.evaluator(key, fs);
    return materialiseAlerts(e.features, e.evaluate(config, { from: this.ctx.emitFrom, until: this.ctx.emitUntil }));
  }

  /** the alerts as columns of their own (not the evaluator's reused arrays) and their ids: scorableFromColumns on the other side */
  alertColumns(config: PipelineConfig, key: string, fs: FeatureSet | null): SelectedAlerts {
    const e = this.evaluator(key, fs);
    const cols = e.evaluate(config, { from: this.ctx.emitFrom, until: this.ctx.emitUntil });
    return { cols, ids: alertIdsOf(e.features, cols) };
  }

  /** this worker's share of a random baseline, on its view of the period's market (the same shared values) */
  baseline(job: Extract<Job, { kind: 'baseline' }>): number {
    const period = this.ctx.periods.find((p) => p.name === job.period);
    if (!period) throw new Error(`sweep worker: no period ${job.period}`);
    const { spec, chunk } = job;
    const next = new Int32Array(job.next);
    const values = new Float64Array(job.values);
    const m = metricCount(period.market);
    let slices = 0;
    for (;;) {
      const from = Atomics.add(next, 0, chunk);
      if (from >= spec.permutations) return slices;
      const to = Math.min(spec.permutations, from + chunk);
      placeSlice(values, permutationValues(period.market, spec, from, to), spec.rows.length, spec.permutations, from, to, m);
      slices++;
    }
  }

  run(job: Job): unknown {
    switch (job.kind) {
      case 'features':
        return this.features(job.key, job.featureConfig);
      case 'evaluate':
        return this.evaluate(job.config, job.key, job.features);
      case 'evaluate-row':
        return this.evaluateRow(job.config, job.key, job.features);
      case 'replay':
        return this.replay(job.config);
      case 'alerts':
        return this.alertColumns(job.config, job.key, job.features);
      case 'replay-alerts':
        return this.replayAlerts(job.config).map(toScorable);
      case 'baseline':
        return this.baseline(job);
    }
  }
}
