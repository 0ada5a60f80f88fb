// Every built-in notebook rendered on the bundled data (short windows), the output folder it writes, the offline
// page, and broken cells reported in place while the rest renders.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { renderNotebook, type RenderResult } from './render.ts';
import { listNotebooks, listRenderedReports } from './catalog.ts';
import { vegaLiteSchemaErrors } from './vega-schema.ts';
import { expectOffline, savedRun, syntheticSweep, tempDir } from './test-helpers.ts';

let resultsDir: string;
let runId: string;
let out: string;
const cleanup: string[] = [];

beforeAll(async () => {
  // one saved run around the FTX collapse: `run=auto` picks it for every window inside it
  const fx = await savedRun('2022-10-20', '2022-11-20');
  resultsDir = fx.resultsDir;
  runId = fx.run.manifest.id;
  out = tempDir('regime-reports-');
  cleanup.push(resultsDir, out);
});

afterAll(() => {
  for (const d of cleanup) fs.rmSync(d, { recursive: true, force: true });
});

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Every chart is in the page (container + spec + SVG fallback) and on disk as a PNG; every SQL cell as a CSV. */
function expectComplete(r: RenderResult): string {
  const html = fs.readFileSync(r.html, 'utf8');
  expectOffline(html);
  expect(r.charts.length).toBeGreaterThan(0);
  const containers = [...html.matchAll(/<div class="vega-chart" data-vega-spec="spec-([^"]+)"/g)].map((m) => m[1]);
  expect(containers.sort()).toEqual(r.charts.map((c) => c.name).sort());
  for (const c of r.charts) {
    expect(html).toContain(`<script type="application/json" id="spec-${c.name}">`);
    const spec = JSON.parse(html.split(`<script type="application/json" id="spec-${c.name}">`)[1].split('</script>')[0]) as unknown;
    expect(vegaLiteSchemaErrors(spec), `${r.notebook}: chart ${c.name}`).toEqual([]);
    expect(fs.readFileSync(c.png).subarray(0, 8).equals(PNG), c.png).toBe(true);
    expect(fs.statSync(c.png).size).toBeGreaterThan(5_000);
  }
  expect(html).toMatch(/<noscript><svg /);
  for (const d of r.data) {
    const csv = fs.readFileSync(d.csv, 'utf8');
    expect(csv.split('\r\n').length - 2, d.csv).toBe(d.rows);
  }
  const meta = JSON.parse(fs.readFileSync(path.join(r.outDir, 'report.json'), 'utf8')) as { ok: boolean; charts: unknown[] };
  expect(meta.ok).toBe(r.ok);
  expect(meta.charts).toHaveLength(r.charts.length);
  return html;
}

describe('built-in notebooks on the bundled data', () => {
  it('lists the five notebooks with their parameters', () => {
    const nbs = listNotebooks();
    expect(nbs.map((n) => n.name)).toEqual(expect.arrayContaining(['alert-scorecard', 'backtest-overview', 'config-comparison', 'event-study', 'threshold-sweep']));
    for (const n of nbs) expect(n.error, n.name).toBeUndefined();
    const overview = nbs.find((n) => n.name === 'backtest-overview')!;
    expect(overview.params.map((p) => p.name)).toEqual(['symbol', 'from', 'to', 'severity', 'config', 'run']);
    expect(overview.params.find((p) => p.name === 'run')).toMatchObject({ type: 'run', default: 'auto' });
  });

  it('backtest-overview: price with alert markers, alert counts, volatility bands, funding, correlation', async () => {
    const r = await renderNotebook('backtest-overview', { params: { symbol: 'SOLUSDT', from: '2022-11-01', to: '2022-11-15' }, resultsDir, reportsDir: out });
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.runs).toEqual([expect.objectContaining({ id: runId, source: 'saved' })]);
    // a folder name a person can read: the values that differ from the defaults
    expect(path.basename(r.outDir)).toBe('backtest-overview-SOLUSDT_2022-11-01_2022-11-15');
    expect(r.label).toBe('Backtest overview · symbol SOLUSDT, from 2022-11-01, to 2022-11-15');
    expect(r.charts.map((c) => c.name)).toEqual(['price-alerts', 'alerts-per-period', 'vol-ratio', 'funding-z', 'funding-rate', 'correlation']);
    const html = expectComplete(r);
    expect(html).toContain('SOLUSDT close with alerts');
    const marks = fs.readFileSync(path.join(r.outDir, 'data', 'alert_marks.csv'), 'utf8');
    expect(marks.split('\r\n')[0]).toBe('ts,event_type,severity,alert_symbol,title,close,time_utc');
    expect(marks).toContain('SOLUSDT');
  });

  it('alert-scorecard: forward returns, event study, precision/recall/lead and lift from the run', async () => {
    const r = await renderNotebook('alert-scorecard', { params: { from: '2022-11-01', to: '2022-11-20' }, resultsDir, reportsDir: out });
    expect(r.errors).toEqual([]);
    expect(r.charts.map((c) => c.name)).toEqual(['forward-returns', 'event-study', 'precision-recall', 'lead-time', 'lift-vs-baseline']);
    const html = expectComplete(r);
    expect(html).toMatch(/random-baseline|randomly timed/);
    const lift = fs.readFileSync(path.join(r.outDir, 'data', 'lift.csv'), 'utf8');
    expect(lift.split('\r\n')[0]).toBe('event_type,metric,actual,baseline,lift,p_value,better');
    expect(lift).toContain('precision');
  });

  it('event-study of the FTX week: says plainly that liquidations are absent and never shows them as zero', async () => {
    const r = await renderNotebook('event-study', { params: { from: '2022-11-06', to: '2022-11-12' }, resultsDir, reportsDir: out });
    expect(r.errors).toEqual([]);
    expect(r.charts.map((c) => c.name)).toEqual(['price-indexed', 'price-usd', 'volume', 'funding', 'alert-timeline']);
    const html = expectComplete(r);
    expect(html).toContain('No liquidation data for this window.');
    expect(html).toContain('BTCUSDT from 2025-11-23 to 2026-05-22 (kind aggregated');
    const coverage = fs.readFileSync(path.join(r.outDir, 'data', 'coverage.csv'), 'utf8').split('\r\n');
    const liq = coverage.filter((l) => l.startsWith('liquidations'));
    expect(liq).toHaveLength(3);
    // no data: an empty field and the words, not a 0
    for (const l of liq) expect(l).toMatch(/^liquidations \(liquidations_1h\),[A-Z]+USDT,,144,,no data,$/);
  });

  it('event-study of a window with liquidation data: a fresh backtest, the chart, its coverage and kind', async () => {
    const r = await renderNotebook('event-study', { params: { from: '2026-02-01', to: '2026-02-04', symbols: 'BTCUSDT,ETHUSDT' }, resultsDir, reportsDir: out });
    expect(r.errors).toEqual([]);
    expect(r.runs).toEqual([expect.objectContaining({ source: 'fresh' })]);
    expect(r.charts.map((c) => c.name)).toContain('liquidations');
    const html = expectComplete(r);
    expect(html).toContain('Liquidation data covers <strong>72 of 72 hours</strong>');
    expect(html).toContain('for BTCUSDT only (kind <strong>aggregated</strong>');
    const coverage = fs.readFileSync(path.join(r.outDir, 'data', 'coverage.csv'), 'utf8');
    expect(coverage).toContain('liquidations (liquidations_1h),ETHUSDT,,72,,no data,');
    expect(coverage).toContain('liquidations (liquidations_1h),BTCUSDT,72,72,1,complete,aggregated');
  });

  it('config-comparison: two configs side by side from fresh backtests', async () => {
    const r = await renderNotebook('config-comparison', { params: { runs: 'default,configs/sensitive.json', from: '2022-11-01', to: '2022-11-15', permutations: '10' }, resultsDir, reportsDir: out });
    expect(r.errors).toEqual([]);
    expect(r.runs.map((x) => x.label)).toEqual(['default', 'sensitive']);
    expect(r.charts.map((c) => c.name)).toEqual(['alert-counts', 'alerts-per-month', 'headline-metrics', 'precision-recall-by-type']);
    expectComplete(r);
    const diff = fs.readFileSync(path.join(r.outDir, 'data', 'config_diff.csv'), 'utf8');
    expect(diff).toContain('rules.funding_abs_z,default = 2  ·  sensitive = 1.5');
  });

  it('threshold-sweep without a sweep: a clear message, not a failure', async () => {
    const empty = tempDir('regime-report-nosweep-');
    cleanup.push(empty);
    const r = await renderNotebook('threshold-sweep', { resultsDir: empty, reportsDir: out });
    expect(r.ok).toBe(true);
    expect(r.charts).toEqual([]);
    const html = fs.readFileSync(r.html, 'utf8');
    expectOffline(html);
    expect(html).toContain('No sweep results yet.');
    expect(html).toContain('run regime sweep --spec &lt;spec.json&gt; first');
  });

  it('threshold-sweep on a (synthetic) sweep: heatmap over the two swept keys and the Pareto front', async () => {
    await syntheticSweep(resultsDir);
    const r = await renderNotebook('threshold-sweep', { resultsDir, reportsDir: out });
    const page = fs.readFileSync(r.html, 'utf8');
    // headings, table titles and column labels show values, never templates or placeholders
    expect(page).not.toMatch(/\{\{|rwinline|lower_is_better|higher_is_better/i);
    expect(page).toMatch(/<th class="num">[a-z_]+ \(lower is better\)<\/th>/);
    expect(page).toMatch(/<td class="kv"><code>[^<]+<\/code> = [^<]+<br>/);
    expect(r.errors).toEqual([]);
    expect(r.charts.map((c) => c.name)).toEqual(['heatmap', 'pareto-front']);
    const html = expectComplete(r);
    expect(html).toContain('holdout_f1 by rules.funding_abs_z and volatility.thresholds.high_vol');
    const grid = fs.readFileSync(path.join(r.outDir, 'data', 'grid.csv'), 'utf8').trim().split('\r\n');
    expect(grid).toHaveLength(1 + 24); // the invalid configuration is left out
    const front = fs.readFileSync(path.join(r.outDir, 'data', 'pareto.csv'), 'utf8').trim().split('\r\n').slice(1);
    expect(front.filter((l) => l.endsWith(',true')).length).toBeGreaterThan(1);
  });

  it('lists the rendered reports for the web server', () => {
    const reports = listRenderedReports(out);
    expect(reports.map((r) => r.notebook).sort()).toEqual(['alert-scorecard', 'backtest-overview', 'config-comparison', 'event-study', 'event-study', 'threshold-sweep']);
    for (const r of reports) expect(fs.existsSync(r.html)).toBe(true);
    // two event studies with different windows are told apart by folder and label, in the index too
    const studies = reports.filter((r) => r.notebook === 'event-study');
    expect(new Set(studies.map((r) => r.id)).size).toBe(2);
    expect(new Set(studies.map((r) => r.label)).size).toBe(2);
    expect(studies.map((r) => r.id).sort()).toEqual(['event-study', 'event-study-2026-02-01_2026-02-04_BTCUSDT-ETHUSDT']);
    const index = JSON.parse(fs.readFileSync(path.join(out, 'index.json'), 'utf8')) as { reports: { id: string; label: string; html: string }[] };
    expect(index.reports.map((r) => r.id).sort()).toEqual(reports.map((r) => r.id).sort());
    expect(index.reports.find((r) => r.id === 'event-study-2026-02-01_2026-02-04_BTCUSDT-ETHUSDT')?.label).toBe('Event study · from 2026-02-01, to 2026-02-04, symbols BTCUSDT,ETHUSDT');
    expect(index.reports.find((r) => r.id === 'event-study')?.label).toBe('Event study');
  });
});

describe('broken cells', () => {
  const NOTEBOOK = `---
title: Synthetic broken notebook
params:
  symbol: { type: symbol, default: BTCUSDT }
---
Good value: {{ good.n }}. Bad value: {{ good.nope }}.

\`\`\`sql name=good
SELECT count(*) AS n, 'BTCUSDT' AS symbol FROM candles_1h WHERE symbol = \${symbol} AND ts < TIMESTAMP '2018-01-02'
\`\`\`

\`\`\`sql name=bad_sql
SELECT 1
FROM candles_1h
WHERE nosuchcolumn = 1
\`\`\`

\`\`\`sql name=bad_param
SELECT \${nosuch} AS x
\`\`\`

\`\`\`vega-lite data=missing name=orphan
{"mark": "bar"}
\`\`\`

\`\`\`vega-lite data=good name=bad-spec
{"mark": "bar",
 "encoding": {"x": {"field": "n" "type": "quantitative"}}}
\`\`\`

\`\`\`vega-lite data=good name=fine
{"mark": "bar", "encoding": {"x": {"field": "symbol", "type": "nominal"}, "y": {"field": "n", "type": "quantitative"}}}
\`\`\`
`;

  // lines: the WHERE line of bad_sql (DuckDB's LINE 3), the ${nosuch} line, the orphan's fence, the bad JSON line
  it('shows each error in place naming notebook, cell and line, and renders the rest', async () => {
    const dir = tempDir('regime-report-broken-');
    cleanup.push(dir);
    const file = path.join(dir, 'broken.md');
    fs.writeFileSync(file, NOTEBOOK);
    const r = await renderNotebook(file, { resultsDir, outDir: path.join(dir, 'out') });
    expect(r.ok).toBe(false);
    const shown = file; // outside the working directory a notebook is named by its absolute path
    expect(r.errors).toEqual([
      `${shown}:6: inline value {{ good.nope }}: SQL cell 'good' has no column 'nope' (columns: n, symbol)`,
      expect.stringMatching(new RegExp(`^${shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:15: cell 'bad_sql': Binder Error: Referenced column "nosuchcolumn" not found`)),
      `${shown}:19: cell 'bad_param': unknown parameter 'nosuch' in \${nosuch} (parameters: symbol)`,
      `${shown}:22: cell 'orphan': data cell 'missing' does not exist or did not run (SQL cells: good)`,
      expect.stringMatching(new RegExp(`:28: cell 'bad-spec': the Vega-Lite spec is not valid JSON`)),
    ]);
    const html = fs.readFileSync(r.html, 'utf8');
    expectOffline(html);
    // in place: each error box sits where its cell is, in document order, between the rendered neighbours
    const order = ['Good value: 24', "Cell 'bad_sql', line 15", "Cell 'bad_param', line 19", "Cell 'orphan', line 22", "Cell 'bad-spec', line 28", 'data-vega-spec="spec-fine"'];
    const at = order.map((s) => html.indexOf(s));
    for (const [i, pos] of at.entries()) expect(pos, order[i]).toBeGreaterThan(-1);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(r.charts.map((c) => c.name)).toEqual(['fine']);
    expect(fs.readFileSync(path.join(r.outDir, 'data', 'good.csv'), 'utf8')).toBe('n,symbol\r\n24,BTCUSDT\r\n');
    expect(html).toContain('5 errors in this report');
  });

  it('refuses to overwrite a folder that is not a report', async () => {
    const dir = tempDir('regime-report-notreport-');
    cleanup.push(dir);
    fs.writeFileSync(path.join(dir, 'precious.txt'), 'keep');
    await expect(renderNotebook('threshold-sweep', { resultsDir, outDir: dir })).rejects.toThrow(/exists and is not a report folder/);
    expect(fs.readFileSync(path.join(dir, 'precious.txt'), 'utf8')).toBe('keep');
  });
});
