// Whole sweeps on a short stretch of the bundled data: worker-count independence, resume, selection.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lazyStore, openStore, type Store } from '../data/store.ts';
import { parseConfig } from '../pipeline/config.ts';
import { loadReplayData } from '../replay/replay-data.ts';
import { prepareMarket } from '../score/index.ts';
import { stableStringify } from '../pipeline/load-config.ts';
import { applyParams, variants } from './expand.ts';
import { bhQValues } from './fdr.ts';
import { SweepJobs } from './jobs.ts';
import { planEvaluation } from './keys.ts';
import { metricNames } from './metrics.ts';
import { paretoFront } from './pareto.ts';
import { formatSweepReport, topByTrain, type SweepReport } from './report.ts';
import { RunsTable } from './runs-table.ts';
import { parseSweepSpec } from './spec.ts';
import { runSweep, sweepWorkerPool } from './sweep.ts';
import { pricesBetween } from './periods.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const SPEC = {
  from: '2023-03-01',
  to: '2023-05-01',
  warmup_hours: 720,
  split: { holdout_from: '2023-04-10' },
  grid: {
    'volatility.window_hours': [12, 24],
    // 1.4 is below the default explosive threshold: invalid, reported and skipped
    'volatility.thresholds.extreme': [1.4, 2, 3],
    'rules.funding_abs_z': [1.5, 2.5],
  },
  random: { n: 4, seed: 5, params: { 'regime.chop.max_heat': { min: 0.3, max: 0.6, step: 0.1 } } },
  select: { metric: 'nab', min_alerts: 3 },
  score: { permutations: 50 },
};

let store: Store;
let tmp: string;
let fresh: SweepReport;
const parquetOf = (r: SweepReport) => fs.readFileSync(path.join(r.dir, 'results.parquet'));

beforeAll(async () => {
  store = await openStore();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-sweep-'));
  fresh = await runSweep(store, parseSweepSpec(SPEC), { resultsDir: path.join(tmp, 'one'), workers: 1, includeRows: true });
});
afterAll(() => {
  store.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('runSweep', () => {
  it('tries every configuration once, skips the invalid ones, and selects on train', () => {
    expect(fresh.complete).toBe(true);
    // 12 grid points (4 invalid) + 4 random draws over 4 steps (duplicates collapse onto one id)
    expect(fresh.configurations.planned).toBe(16);
    expect(fresh.configurations.invalid).toBe(4);
    expect(fresh.configurations.tried + fresh.configurations.duplicates).toBe(16);
    expect(fresh.configurations.feature_sets).toBe(2);
    expect(fresh.rows!.filter((r) => r.status === 'invalid').every((r) => /extreme: expected a number above explosive/.test(r.error!))).toBe(true);
    const eligible = fresh.rows!.filter((r) => r.status === 'ok' && r.train.alerts! >= 3 && r.train.nab !== null);
    const best = [...eligible].sort((a, b) => b.train.nab! - a.train.nab! || (a.config_id < b.config_id ? -1 : 1))[0];
    expect(fresh.best!.row.config_id).toBe(best.config_id);
    expect(fresh.warning).toBe(`best of ${fresh.configurations.valid} configurations: expect the train score to be optimistic; holdout is the honest number`);
    // every swept key here changes the alerts (ineffective-keys.test.ts has the ones that do not)
    expect(fresh.ineffective_keys).toEqual([]);
    // every valid configuration: an exact train p-value, and a BH q-value across all of them; the selected one's verdict
    const ok = fresh.rows!.filter((r) => r.status === 'ok');
    const q = bhQValues(ok.map((r) => r.train.p_value!));
    ok.forEach((r, i) => expect(r.train.q_value).toBeCloseTo(q[i]!, 12));
    expect(fresh.fdr.tried).toBe(fresh.configurations.valid);
    expect(fresh.fdr.selected).toEqual([{ label: 'train', config_id: best.config_id, p_value: best.train.p_value, q_value: best.train.q_value, survives: best.train.q_value! <= 0.1 }]);
    // the honest number comes with a random baseline; the train scorecard, after selection, without
    expect(fresh.best!.holdout_scorecard.overall.baseline?.nab.p_value).toEqual(expect.any(Number));
    expect(fresh.best!.train_scorecard.overall.baseline).toBeNull();
    expect(fresh.best!.holdout_scorecard.overall.events.nab).toBe(fresh.best!.row.holdout.nab);
    expect(JSON.parse(fs.readFileSync(path.join(fresh.dir, 'manifest.json'), 'utf8')).ineffective_keys).toEqual([]);
    expect(fresh.pareto.recall_vs_false_alarms_per_week.points.length).toBeGreaterThan(0);
  });

  it('reports each Pareto front as the front of the eligible rows on its own two axes', () => {
    const eligible = fresh.rows!.filter((r) => r.status === 'ok' && r.train.alerts! >= 3);
    const axes = [fresh.pareto.precision_vs_alerts_per_day, fresh.pareto.recall_vs_false_alarms_per_week];
    expect(axes.map((f) => [f.x, f.y, f.better_x, f.better_y])).toEqual([
      ['alerts_per_day', 'precision', 'higher', 'higher'],
      ['false_alarms_per_week', 'recall', 'lower', 'higher'],
    ]);
    for (const f of axes) {
      // the rows in config id order, as the report ranks them
      const xs = eligible.map((r) => r.train[f.x] ?? NaN);
      const ys = eligible.map((r) => r.train[f.y] ?? NaN);
      const expected = paretoFront(xs, ys, f.better_x, f.better_y).map((i) => eligible[i]);
      expect(expected.length).toBeGreaterThan(0);
      expect(f.points).toEqual(expected);
    }
  });

  it('prints one spelling per metric, full key paths, each front axis with its own direction, no negative zero', () => {
    const text = formatSweepReport(fresh);
    expect(text).toContain('volatility.thresholds.extreme=');
    expect(text).not.toMatch(/(^|\s)thresholds\.extreme=/m);
    expect(text).toContain('selected by train NAB');
    expect(text).not.toMatch(/\bnab\b/);
    expect(text).toContain('recall higher is better; false_alarms_per_week lower is better');
    expect(text).not.toContain('both higher is better');
    expect(text).not.toMatch(/(^|[\s|])-0(\.0+)?(?=[\s|]|$)/m);
    expect(text).not.toContain('changed no alert');
    const flagged = formatSweepReport({ ...fresh, ineffective_keys: [{ path: 'cascade.cascade_threshold_usd', checked: 2 }] });
    expect(flagged).toContain('WARNING: cascade.cascade_threshold_usd changed no alert: each of its values tried gave the same alerts in the 2 configurations checked');
  });

  it('gives byte-identical results with 2 workers', async () => {
    const two = await runSweep(store, parseSweepSpec(SPEC), { resultsDir: path.join(tmp, 'two'), workers: 2, includeRows: true });
    expect(two.sweep_id).toBe(fresh.sweep_id);
    expect(two.rows).toEqual(fresh.rows);
    expect(parquetOf(two).equals(parquetOf(fresh))).toBe(true);
    // the whole report but how this run went and where it was written
    const stable = (r: SweepReport) => ({ ...r, run: null, dir: null });
    expect(JSON.stringify(stable(two))).toBe(JSON.stringify(stable(fresh)));
    // the wall time in order: the parts add up to the whole, the warm-up is the first one alone and two a worker
    for (const [r, workers] of [[fresh, 1], [two, 2]] as const) {
      const t = r.run.timeline_ms!;
      expect(t.warm_up_configurations).toBe(1 + 2 * workers);
      expect(r.run.computed).toBeGreaterThan(t.warm_up_configurations);
      expect(Object.values(t).every((ms) => Number.isInteger(ms) && ms >= 0)).toBe(true);
      expect(Math.abs(t.load + t.markets + t.runs_table + t.warm_up + t.steady + t.report - r.run.elapsed_ms)).toBeLessThanOrEqual(3);
      expect(t.warm_up + t.steady).toBeGreaterThanOrEqual(r.run.stages_ms.evaluate - 1);
    }
  });

  it('runs sweep after sweep on a worker pool the caller keeps, each with byte-identical results, and leaves it open', async () => {
    // one feature set: the second sweep's first jobs name the set each worker evaluated last in the first sweep
    const oneSet = parseSweepSpec({ ...SPEC, grid: { 'volatility.thresholds.extreme': [2, 3], 'rules.funding_abs_z': [1.5, 2.5] } });
    const own = await runSweep(store, oneSet, { resultsDir: path.join(tmp, 'kept-0'), workers: 2, featureCache: false, includeRows: true });
    const pool = sweepWorkerPool(2);
    try {
      // no feature cache: each sweep replays its feature set, which a worker started afresh must be sent again
      const runs: SweepReport[] = [];
      for (const name of ['kept-1', 'kept-2']) runs.push(await runSweep(store, oneSet, { resultsDir: path.join(tmp, name), pool, featureCache: false, includeRows: true }));
      for (const r of runs) {
        expect(r.run.workers).toBe(2);
        expect(r.configurations.feature_sets).toBe(1);
        expect(r.rows).toEqual(own.rows);
        expect(parquetOf(r).equals(parquetOf(own))).toBe(true);
      }
      // still the caller's: it answers a job after both sweeps
      expect((await pool.threadCpuMs()).length).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('reads the feature sets, the data and the markets from the cache on a second sweep, with byte-identical results', async () => {
    const featureCache = path.join(tmp, 'feature-cache');
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    // each through a store opened on first use, on a database file of its own: the warm sweep never opens it
    const coldStore = lazyStore({ dbPath: path.join(tmp, 'cold.duckdb') });
    const warmStore = lazyStore({ dbPath: path.join(tmp, 'warm.duckdb') });
    const cold = await runSweep(coldStore, parseSweepSpec(SPEC), { resultsDir: path.join(tmp, 'cold'), workers: 2, featureCache, logger });
    coldStore.close();
    expect(fs.existsSync(path.join(tmp, 'cold.duckdb'))).toBe(true);
    expect(fs.readdirSync(featureCache).filter((f) => f.endsWith('.features'))).toHaveLength(2);
    expect(fs.readdirSync(featureCache).filter((f) => f.endsWith('.inputs'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('feature replay'))).toHaveLength(2);
    expect(lines.filter((l) => l.includes('data and markets from the cache'))).toHaveLength(0);
    // the first configuration's feature replay goes to a worker before this thread prepares the markets
    const at = (text: string) => lines.findIndex((l) => l.includes(text));
    expect(at('feature replay')).toBeGreaterThanOrEqual(0);
    expect(at('feature replay')).toBeLessThan(at('data and markets ready'));
    lines.length = 0;
    const warm = await runSweep(warmStore, parseSweepSpec(SPEC), { resultsDir: path.join(tmp, 'warm'), workers: 2, featureCache, logger, includeRows: true });
    warmStore.close();
    expect(fs.existsSync(path.join(tmp, 'warm.duckdb'))).toBe(false);
    expect(lines.filter((l) => l.includes('feature replay'))).toHaveLength(0);
    expect(lines.filter((l) => l.includes('feature set from the cache'))).toHaveLength(2);
    expect(lines.filter((l) => l.includes('data and markets from the cache'))).toHaveLength(1);
    expect(parquetOf(cold).equals(parquetOf(fresh))).toBe(true);
    expect(parquetOf(warm).equals(parquetOf(fresh))).toBe(true);
    // the selected configuration's scorecards (random baseline included) come from the cached markets too
    const stable = (r: SweepReport) => ({ ...r, run: null, dir: null });
    expect(JSON.stringify(stable(warm))).toBe(JSON.stringify(stable(fresh)));
  });

  it('fails with the runs database named when a new sweep cannot create it, the worker pool still usable', async () => {
    // a dangling link where the database would go: no stored ids to read first, so the sweep starts its
    // configurations while DuckDB fails to create the file; the failure must still end the sweep, with nothing written
    const dir = path.join(tmp, 'unopenable', 'sweeps', path.basename(fresh.dir));
    fs.mkdirSync(dir, { recursive: true });
    fs.symlinkSync(path.join(tmp, 'no-such-folder', 'runs.duckdb'), path.join(dir, 'runs.duckdb'));
    const pool = sweepWorkerPool(2);
    try {
      await expect(runSweep(store, parseSweepSpec(SPEC), { resultsDir: path.join(tmp, 'unopenable'), pool })).rejects.toThrow(/cannot open .*runs\.duckdb/);
      expect(fs.existsSync(path.join(dir, 'results.parquet'))).toBe(false);
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).complete).toBe(false);
      // nothing of the failed sweep is left running on the workers: a whole sweep on the same pool matches
      const after = await runSweep(store, parseSweepSpec(SPEC), { resultsDir: path.join(tmp, 'after-unopenable'), pool });
      expect(parquetOf(after).equals(parquetOf(fresh))).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('resumes after stopping mid-way, skipping the finished ids', async () => {
    const dir = path.join(tmp, 'resume');
    const part = await runSweep(store, parseSweepSpec(SPEC), { resultsDir: dir, workers: 2, limit: 3 });
    expect(part.complete).toBe(false);
    expect(part.run.computed).toBe(3);
    expect(fs.existsSync(path.join(part.dir, 'results.parquet'))).toBe(false);
    const done = await runSweep(store, parseSweepSpec(SPEC), { resultsDir: dir, workers: 2 });
    expect(done.complete).toBe(true);
    const valid = fresh.configurations.valid;
    expect(done.run.computed).toBe(valid - 3);
    expect(done.run.resumed).toBeGreaterThanOrEqual(3);
    expect(parquetOf(done).equals(parquetOf(fresh))).toBe(true);
    // once more with nothing left to do and no feature cache: only the selected configuration's feature set is
    // replayed (for its alerts), none ahead for configurations that are already done
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const again = await runSweep(store, parseSweepSpec(SPEC), { resultsDir: dir, workers: 2, featureCache: false, logger });
    expect(again.run.computed).toBe(0);
    expect(lines.filter((l) => l.includes('feature replay'))).toHaveLength(1);
  });

  it('with a limit past the warm-up, computes the first new configurations in the spec\'s order', async () => {
    // past the warm-up (the first configuration, then two a worker): the limit is reached while a full window fills
    const limit = 9;
    const part = await runSweep(store, parseSweepSpec(SPEC), { resultsDir: path.join(tmp, 'limited'), workers: 1, limit, includeRows: true });
    expect(part.complete).toBe(false);
    expect(part.run.computed).toBe(limit);
    const spec = parseSweepSpec(SPEC);
    const expected: string[] = [];
    const ids = new Set<string>();
    for (const params of variants(spec)) {
      let config;
      try {
        config = parseConfig(applyParams(spec.base, params));
      } catch {
        continue;
      }
      const id = stableStringify(config);
      if (ids.has(id)) continue;
      ids.add(id);
      expected.push(stableStringify(params));
      if (expected.length === limit) break;
    }
    const computed = part.rows!.filter((r) => r.status === 'ok').map((r) => stableStringify(r.params));
    expect(computed.sort()).toEqual(expected.sort());
  });

  it('resumes after the process is killed (kill -9) wherever it was', async () => {
    const dir = path.join(tmp, 'killed');
    const specFile = path.join(tmp, 'sweep.json');
    fs.writeFileSync(specFile, JSON.stringify(SPEC));
    const child = spawn(process.execPath, ['scripts/regime.mjs', 'sweep', '--spec', specFile, '--results', dir, '--workers', '1', '--verbose'], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
    // kill it the moment it reports a committed batch of results (or wherever it is if it never does)
    await new Promise<void>((resolve) => {
      let err = '';
      child.stderr.on('data', (d) => {
        err += d;
        if (err.includes('results committed')) resolve();
      });
      child.once('exit', () => resolve());
    });
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    const done = await runSweep(store, parseSweepSpec(SPEC), { resultsDir: dir, workers: 2 });
    expect(done.complete).toBe(true);
    expect(done.run.resumed).toBeGreaterThan(0);
    expect(done.configurations.tried).toBe(fresh.configurations.tried);
    expect(parquetOf(done).equals(parquetOf(fresh))).toBe(true);
  });
});

describe('the Pipeline fallback', () => {
  it('scores a configuration exactly as the columnar path does', async () => {
    const data = await loadReplayData(store, ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], { from: Date.UTC(2023, 0, 1), to: Date.UTC(2023, 4, 1) });
    const split = Date.UTC(2023, 2, 15);
    const market = (from: number, to: number) => prepareMarket(pricesBetween(data, from, to), { permutations: 0 });
    const emitFrom = Date.UTC(2023, 1, 1);
    const jobs = new SweepJobs({
      data,
      periods: [
        { name: 'train', market: market(emitFrom, split), from: emitFrom, to: split },
        { name: 'holdout', market: market(split, Infinity), from: split, to: Infinity },
      ],
      emitFrom,
      emitUntil: data.lastHour,
    });
    const config = parseConfig({ rules: { funding_abs_z: 1.5, regime_min_confidence: 0.5 }, correlation: { break_drop: 0.1 } });
    const plan = planEvaluation(config);
    const columns = jobs.evaluate(config, plan.featureKey, jobs.features(plan.featureKey, plan.featureConfig));
    expect(columns.train.alerts).toBeGreaterThan(20);
    expect(columns.train.n_correlation_break).toBeGreaterThan(0);
    expect(jobs.replay(config)).toEqual(columns);
  });
});

describe('selection on train', () => {
  it('picks the best train score among eligible configurations, whatever the holdout says', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-select-'));
    const table = await RunsTable.open(path.join(dir, 'runs.duckdb'), metricNames([24]));
    const row = (id: string, train: Record<string, number>, holdout: Record<string, number>, status: 'ok' | 'invalid' = 'ok') =>
      table.append({
        config_id: id,
        status,
        error: status === 'ok' ? null : 'bad',
        params: JSON.stringify({ id }),
        feature_key: 'f',
        mode: 'columns',
        metrics: Object.fromEntries([...Object.entries(train).map(([k, v]) => [`train_${k}`, v]), ...Object.entries(holdout).map(([k, v]) => [`holdout_${k}`, v])]),
      });
    await row('a', { alerts: 100, nab: 50, false_alarms_per_week: 9 }, { alerts: 40, nab: 10 });
    await row('b', { alerts: 100, nab: 40, false_alarms_per_week: 4 }, { alerts: 40, nab: 60 });
    await row('c', { alerts: 3, nab: 70, false_alarms_per_week: 1 }, { alerts: 2, nab: 70 });
    await row('d', { alerts: 80, nab: 50, false_alarms_per_week: 4 }, { alerts: 30, nab: 20 });
    await row('e', {}, {}, 'invalid');
    table.flush();
    const byNab = await topByTrain(table, { metric: 'nab', better: 'higher', by: 'train', min_alerts: 10 });
    // c has the best train NAB but too few alerts; a and d tie on train NAB: the smaller id wins; b's holdout is irrelevant
    expect(byNab.map((r) => r.config_id)).toEqual(['a', 'd', 'b']);
    expect(byNab[0].holdout.nab).toBe(10);
    const byFalseAlarms = await topByTrain(table, { metric: 'false_alarms_per_week', better: 'lower', by: 'train', min_alerts: 10 }, 1);
    expect(byFalseAlarms.map((r) => r.config_id)).toEqual(['b']);
    await table.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
