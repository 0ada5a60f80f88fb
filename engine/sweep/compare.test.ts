// Comparing saved runs and config files: scorecards side by side and the chart.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../data/store.ts';
import { UserError } from '../errors.ts';
import { parseConfig } from '../pipeline/config.ts';
import { runBacktest } from '../replay/backtest.ts';
import { saveRun, type RunRecord } from '../results/run-store.ts';
import { comparisonChartSpec, renderSvg, svgToPng } from './chart.ts';
import { compareConfigurations, defaultChartFile } from './compare.ts';
import { formatComparison } from './scorecard-table.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const cli = (args: string[]) => spawnSync(process.execPath, ['scripts/regime.mjs', ...args], { cwd: REPO, encoding: 'utf8' });
const FROM = Date.UTC(2024, 0, 1);
const TO = Date.UTC(2024, 2, 1);
const STRICT = { volatility: { thresholds: { extreme: 3.5, explosive: 2.5 } }, rules: { regime_min_confidence: 1 } };

let store: Store;
let results: string;
let runs: RunRecord[];

beforeAll(async () => {
  store = await openStore();
  results = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-compare-'));
  runs = [];
  for (const [label, json] of [['default', {}], ['strict', STRICT]] as const) {
    const config = parseConfig(json);
    const { report, alerts } = await runBacktest(store, { config, from: FROM, to: TO, warmupHours: 720, score: { permutations: 50, seed: 3 } });
    runs.push(await saveRun(results, { config, report, alerts, label }));
  }
});
afterAll(() => {
  store.close();
  fs.rmSync(results, { recursive: true, force: true });
});

const noStore = () => Promise.reject(new Error('saved runs need no data'));

describe('compare', () => {
  it('puts two saved runs side by side, by id prefix, overall and per event type', async () => {
    const [a, b] = runs.map((r) => r.manifest.id);
    const r = await compareConfigurations([a.slice(0, 22), b], noStore, { resultsDir: results });
    expect(r.entries.map((e) => [e.label, e.kind, e.source])).toEqual([
      ['default', 'run', a],
      ['strict', 'run', b],
    ]);
    expect(r.warnings).toEqual([]);
    const overall = r.rows.filter((x) => x.group === 'all');
    expect(overall.map((x) => x.alerts)).toEqual([runs[0].report.alerts_total, runs[1].report.alerts_total]);
    expect(overall[0].alerts).toBeGreaterThan(overall[1].alerts);
    expect(overall[0].nab_p).toBe(runs[0].report.scorecard!.overall.baseline!.nab.p_value);
    const types = [...new Set(r.rows.map((x) => x.group))];
    expect(types[0]).toBe('all');
    expect(types).toContain('REGIME_CONFIRMED');
    // every group has one line per configuration
    for (const t of types) expect(r.rows.filter((x) => x.group === t).map((x) => x.label)).toEqual(['default', 'strict']);
    const text = formatComparison(r.rows);
    expect(text.split('\n')[0]).toMatch(/^group\s+configuration\s+alerts\s+prec%\s+lift\s+p\s+recall%/);
    expect(defaultChartFile(results, r.entries)).toMatch(/compare[\\/]compare-[0-9a-f]{16}\.svg$/);
  });

  it('backtests a config file on the first run\'s range and scorer options', async () => {
    const file = path.join(results, 'strict.json');
    fs.writeFileSync(file, JSON.stringify(STRICT));
    const r = await compareConfigurations([runs[1].manifest.id, file], () => openStore(), { resultsDir: results });
    const [run, config] = r.entries;
    expect(config).toMatchObject({ kind: 'config', label: 'strict (2)', from: run.from, to: run.to, config_hash: run.config_hash });
    // the same configuration on the same range with the same seed: the same scorecard
    expect(config.scorecard.overall).toEqual(run.scorecard.overall);
  });

  it('names what it cannot find', async () => {
    await expect(compareConfigurations(['nosuchrun'], noStore, { resultsDir: results })).rejects.toThrow(UserError);
    await expect(compareConfigurations(['missing/config.json'], noStore, { resultsDir: results })).rejects.toThrow('missing/config.json: no such config file');
  });

  it('renders the Vega-Lite chart to SVG and PNG', async () => {
    const r = await compareConfigurations(runs.map((x) => x.manifest.id), noStore, { resultsDir: results });
    const spec = comparisonChartSpec(r.rows);
    const svg = await renderSvg(spec);
    expect(svg.startsWith('<svg')).toBe(true);
    for (const text of ['precision %', 'recall %', 'NAB', 'default', 'strict']) expect(svg).toContain(text);
    const png = svgToPng(svg);
    expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
  });

  it('works from the command line: JSON out, chart written; a bad sweep spec names its key', () => {
    const out = path.join(results, 'chart.png');
    const r = cli(['compare', ...runs.map((x) => x.manifest.id), '--results', results, '--out', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as { entries: { label: string }[]; rows: unknown[]; chart: string };
    expect(json.entries.map((e) => e.label)).toEqual(['default', 'strict']);
    expect(json.chart).toBe(out);
    expect(fs.readFileSync(out).subarray(1, 4).toString()).toBe('PNG');
    const spec = path.join(results, 'sweep.json');
    fs.writeFileSync(spec, JSON.stringify({ grid: { 'volatility.thresholds.extreme': 3 } }));
    const sweep = cli(['sweep', '--spec', spec, '--results', results]);
    expect(sweep.status).toBe(2);
    expect(sweep.stderr).toBe(`error: ${spec}: grid.volatility.thresholds.extreme: expected a non-empty list of numbers\n`);
  });
});
