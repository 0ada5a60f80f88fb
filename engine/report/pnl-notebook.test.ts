// notebooks/paper-pnl.md rendered on a real short backtest of the bundled data saved with its P&L files, and on
// a run saved without them (a note, no error).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../data/store.ts';
import { defaultConfig } from '../pipeline/config.ts';
import { runBacktest } from '../replay/backtest.ts';
import { saveRun, type RunRecord } from '../results/run-store.ts';
import { renderNotebook } from './render.ts';
import { tempDir } from './test-helpers.ts';
import { vegaLiteSchemaErrors } from './vega-schema.ts';

let resultsDir: string;
let out: string;
let withPnl: RunRecord;
let without: RunRecord;

beforeAll(async () => {
  resultsDir = tempDir('regime-pnl-results-');
  out = tempDir('regime-pnl-reports-');
  const store = await openStore();
  try {
    const config = defaultConfig();
    const result = await runBacktest(store, { config, from: Date.parse('2022-10-01T00:00:00Z'), to: Date.parse('2022-12-01T00:00:00Z'), score: { permutations: 20, seed: 1 }, pnl: { random_entries: 50 } });
    withPnl = await saveRun(resultsDir, { config, report: result.report, alerts: result.alerts, pnl: result.pnl });
    without = await saveRun(resultsDir, { config, report: { ...result.report, pnl: null }, alerts: result.alerts });
  } finally {
    store.close();
  }
}, 240_000);

afterAll(() => {
  for (const d of [resultsDir, out]) fs.rmSync(d, { recursive: true, force: true });
});

describe('paper-pnl notebook', () => {
  it('draws the equity curve, the drawdown and the trades of a run saved with its P&L', async () => {
    const r = await renderNotebook('paper-pnl', { params: { run: withPnl.manifest.id }, resultsDir, reportsDir: out });
    expect(r.errors).toEqual([]);
    expect(r.charts.map((c) => c.name)).toEqual(['equity-curve', 'drawdown', 'trade-returns']);
    const html = fs.readFileSync(r.html, 'utf8');
    for (const c of r.charts) {
      const spec = JSON.parse(html.split(`<script type="application/json" id="spec-${c.name}">`)[1].split('</script>')[0]) as unknown;
      expect(vegaLiteSchemaErrors(spec), c.name).toEqual([]);
    }
    const pnl = withPnl.report.pnl!;
    const csv = fs.readFileSync(path.join(r.outDir, 'data', 'strategies.csv'), 'utf8').split('\r\n').filter(Boolean);
    expect(csv).toHaveLength(1 + pnl.rows.length);
    expect(csv[1].startsWith(`all,${pnl.rows[0].follow},${pnl.rows[0].hold_hours},${pnl.rows[0].strategy.trades},`)).toBe(true);
    const equity = fs.readFileSync(path.join(r.outDir, 'data', 'equity.csv'), 'utf8').split('\r\n').filter(Boolean);
    // one point per day per strategy row, plus buy-and-hold
    expect(equity.length - 1).toBe(61 * (pnl.rows.length + 1));
    expect(html).toContain(`${pnl.rows[0].strategy.trades} trades`);
  });

  it('says so, without an error, for a run saved without a P&L', async () => {
    const r = await renderNotebook('paper-pnl', { params: { run: without.manifest.id }, resultsDir, reportsDir: out });
    expect(r.errors).toEqual([]);
    expect(fs.readFileSync(r.html, 'utf8')).toContain('This run has no paper P&amp;L');
  });
});
