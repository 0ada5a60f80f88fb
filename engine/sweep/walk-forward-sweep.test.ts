// Walk-forward on a short stretch of the bundled (real) data: run twice, with 1 and 2 workers, and resumed
// after stopping mid-way — byte-identical outputs each time — and the selection checked against the rows.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDB, queryRows } from '../data/duckdb.ts';
import { openStore, type Store } from '../data/store.ts';
import { renderNotebook } from '../report/render.ts';
import { registerSweep } from '../report/sweep-source.ts';
import { vegaLiteSchemaErrors } from '../report/vega-schema.ts';
import { bhQValues } from './fdr.ts';
import type { SweepReport } from './report.ts';
import { parseSweepSpec } from './spec.ts';
import { runSweep } from './sweep.ts';

const SPEC = {
  from: '2022-10-01',
  to: '2023-01-01',
  warmup_hours: 720,
  split: { walk_forward: { train_days: 30, test_days: 15, step_days: 15, window: 'rolling', embargo_hours: 24 } },
  grid: { 'volatility.thresholds.extreme': [2, 3], 'rules.funding_abs_z': [1.5, 2.5] },
  select: { metric: 'precision', min_alerts: 3 },
  score: { permutations: 50 },
};

let store: Store;
let tmp: string;
let one: SweepReport;
let two: SweepReport;
const bytes = (r: SweepReport, f: string) => fs.readFileSync(path.join(r.dir, f));
const stable = (r: SweepReport) => JSON.stringify({ ...r, run: null, dir: null });

beforeAll(async () => {
  store = await openStore();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-wf-'));
  // 1 worker, stopped after 2 configurations and resumed; then a fresh run with 2 workers
  const part = await runSweep(store, parseSweepSpec(SPEC), { resultsDir: path.join(tmp, 'one'), workers: 1, limit: 2 });
  expect(part.complete).toBe(false);
  expect(fs.existsSync(path.join(part.dir, 'walk_forward.json'))).toBe(false);
  one = await runSweep(store, parseSweepSpec(SPEC), { resultsDir: path.join(tmp, 'one'), workers: 1, includeRows: true });
  two = await runSweep(store, parseSweepSpec(SPEC), { resultsDir: path.join(tmp, 'two'), workers: 2, includeRows: true });
}, 600_000);
afterAll(() => {
  store.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('walk-forward sweep on real data', () => {
  it('cuts the folds by hand: 92 days, 30 d train + 1 d embargo + 15 d test, step 15 → 4 folds', () => {
    const wf = one.walk_forward!;
    expect(wf.folds.map((f) => [f.train.from, f.train.to, f.test.from, f.test.to])).toEqual([
      ['2022-10-01 00:00', '2022-10-30 23:00', '2022-11-01 00:00', '2022-11-15 23:00'],
      ['2022-10-16 00:00', '2022-11-14 23:00', '2022-11-16 00:00', '2022-11-30 23:00'],
      ['2022-10-31 00:00', '2022-11-29 23:00', '2022-12-01 00:00', '2022-12-15 23:00'],
      ['2022-11-15 00:00', '2022-12-14 23:00', '2022-12-16 00:00', '2022-12-30 23:00'],
    ]);
    expect(one.split.walk_forward).toBe(true);
    expect(one.best).toBeNull();
  });

  it('gives byte-identical outputs with 1 and 2 workers, resumed or not', () => {
    expect(one.run.resumed).toBe(2);
    expect(two.sweep_id).toBe(one.sweep_id);
    expect(bytes(two, 'results.parquet').equals(bytes(one, 'results.parquet'))).toBe(true);
    expect(bytes(two, 'walk_forward.json').equals(bytes(one, 'walk_forward.json'))).toBe(true);
    expect(stable(two)).toBe(stable(one));
  });

  it('gives the same bytes when run again (every configuration skipped as finished)', async () => {
    const again = await runSweep(store, parseSweepSpec(SPEC), { resultsDir: path.join(tmp, 'two'), workers: 2, includeRows: true });
    expect(again.run.computed).toBe(0);
    expect(again.run.resumed).toBe(4);
    expect(bytes(again, 'walk_forward.json').equals(bytes(one, 'walk_forward.json'))).toBe(true);
    expect(bytes(again, 'results.parquet').equals(bytes(one, 'results.parquet'))).toBe(true);
    expect(stable(again)).toBe(stable(one));
  }, 300_000);

  it('chooses per fold the best train precision, reports its test numbers, and stitches the tests', () => {
    const wf = one.walk_forward!;
    const rows = one.rows!.filter((r) => r.status === 'ok');
    expect(wf.tried).toBe(4);
    for (const f of wf.folds) {
      const tr = `f${f.fold}_train`;
      const te = `f${f.fold}_test`;
      const eligible = rows.filter((r) => r.folds![tr].alerts! >= 3 && r.folds![tr].precision !== null);
      expect(f.eligible).toBe(eligible.length);
      const best = [...eligible].sort((a, b) => b.folds![tr].precision! - a.folds![tr].precision! || (a.config_id < b.config_id ? -1 : 1))[0];
      expect(f.chosen!.config_id).toBe(best.config_id);
      expect(f.chosen!.test.precision).toBe(best.folds![te].precision);
      expect(f.chosen!.survives_fdr).toBe(f.chosen!.train.q_value! <= 0.1);
    }
    // the stitched record holds exactly each fold's chosen configuration's test alerts
    expect(wf.stitched!.alerts).toBe(wf.folds.reduce((n, f) => n + f.chosen!.test.alerts!, 0));
    expect(wf.stitched!.scorecard.overall.baseline?.precision.p_value).toEqual(expect.any(Number));
    expect(wf.stitched!.test_hours).toBe(4 * 15 * 24);
    expect(wf.stability.map((s) => s.key)).toEqual(['rules.funding_abs_z', 'volatility.thresholds.extreme']);
    expect(wf.stability[0].values).toEqual(wf.folds.map((f) => f.chosen!.params['rules.funding_abs_z']));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(wf.oos_is_ratio).toBeCloseTo(mean(wf.folds.map((f) => f.chosen!.test.metric!)) / mean(wf.folds.map((f) => f.chosen!.train.metric!)), 12);
    expect(one.fdr.selected.map((s) => s.label)).toEqual(['fold 1', 'fold 2', 'fold 3', 'fold 4']);
  });

  it('stores a p-value per configuration and period, and BH q-values across all configurations in results.parquet', async () => {
    const db = await openDuckDB();
    try {
      const file = path.join(one.dir, 'results.parquet').replaceAll("'", "''");
      const rows = await queryRows(db.conn, `SELECT config_id, f2_train_p_value AS p, f2_train_q_value AS q FROM read_parquet('${file}') ORDER BY config_id`);
      expect(rows).toHaveLength(4);
      const p = rows.map((r) => Number(r.p));
      p.forEach((x) => expect(x).toBeGreaterThanOrEqual(0));
      const q = bhQValues(p);
      rows.forEach((r, i) => expect(Number(r.q)).toBeCloseTo(q[i]!, 12));
    } finally {
      db.conn.closeSync();
      db.instance.closeSync();
    }
  });

  it('gives the threshold-sweep notebook its folds, q-values and summary', async () => {
    const db = await openDuckDB();
    try {
      await registerSweep(db.conn, path.join(one.dir, 'results.parquet'), { resultsDir: tmp, notebookDir: tmp, axes: {} });
      const [info] = await queryRows(db.conn, 'SELECT walk_forward, period, fdr_tried FROM sweep_info');
      expect(info).toEqual({ walk_forward: true, period: 'full', fdr_tried: 4n });
      const folds = await queryRows(db.conn, 'SELECT fold, config_id, test_value FROM sweep_folds ORDER BY fold');
      expect(folds.map((f) => f.config_id)).toEqual(one.walk_forward!.folds.map((f) => f.chosen!.config_id));
      expect(folds.map((f) => f.test_value)).toEqual(one.walk_forward!.folds.map((f) => f.chosen!.test.metric));
      const [wf] = await queryRows(db.conn, 'SELECT folds, oos_is_ratio, stitched_alerts FROM sweep_walk_forward');
      expect(wf).toEqual({ folds: 4n, oos_is_ratio: one.walk_forward!.oos_is_ratio, stitched_alerts: BigInt(one.walk_forward!.stitched!.alerts) });
      const q = await queryRows(db.conn, "SELECT count(*)::INT AS n FROM sweep_qvalues WHERE period = 'full' AND q_value >= p_value");
      expect(q[0].n).toBe(4);
    } finally {
      db.conn.closeSync();
      db.instance.closeSync();
    }
  }, 300_000);

  it('rejects a fold layout that does not fit the data, naming the key, and leaves no sweep folder', async () => {
    const results = path.join(tmp, 'misfit');
    const spec = parseSweepSpec({ ...SPEC, split: { walk_forward: { train_days: 80, test_days: 15 } } });
    await expect(runSweep(store, spec, { resultsDir: results, workers: 1 })).rejects.toThrow(/^split\.walk_forward\.train_days: .*do not fit the range 2022-10-01 00:00 \.\. 2022-12-31 23:00/);
    expect(fs.readdirSync(path.join(results, 'sweeps'))).toEqual([]);
  }, 300_000);

  it('renders the threshold-sweep notebook with the folds and the q-values', async () => {
    const r = await renderNotebook('threshold-sweep', { resultsDir: path.join(tmp, 'one'), reportsDir: path.join(tmp, 'reports') });
    expect(r.ok).toBe(true);
    const html = fs.readFileSync(r.html, 'utf8');
    expect(html).toContain('Walk-forward folds');
    expect(html).toContain('Benjamini–Hochberg q-values across all <strong>4</strong> configurations tried');
    expect(r.charts.map((c) => c.name)).toEqual(expect.arrayContaining(['bh-plot', 'folds-chart']));
    for (const name of ['bh-plot', 'folds-chart']) {
      const spec = JSON.parse(html.split(`<script type="application/json" id="spec-${name}">`)[1].split('</script>')[0]) as unknown;
      expect(vegaLiteSchemaErrors(spec), name).toEqual([]);
    }
    const folds = r.data.find((d) => d.name === 'folds')!;
    expect(folds.rows).toBe(4);
  }, 300_000);
});
