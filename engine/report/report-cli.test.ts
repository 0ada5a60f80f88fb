// `regime report` as a user runs it: the listing, a broken notebook (page written, errors printed, exit 1) and a
// bad parameter (one line, exit 2, nothing rendered).
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from './test-helpers.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const dir = tempDir('regime-report-cli-');
const run = (args: string[]) =>
  spawnSync(process.execPath, ['scripts/regime.mjs', 'report', ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, REGIME_RESULTS_DIR: dir, LOG_LEVEL: 'warn' } });

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('regime report', () => {
  it('--list shows every notebook with its parameters', () => {
    const r = run(['--list']);
    expect(r.status).toBe(0);
    for (const n of ['alert-scorecard', 'backtest-overview', 'config-comparison', 'event-study', 'threshold-sweep']) expect(r.stdout).toMatch(new RegExp(`^${n} — `, 'm'));
    expect(r.stdout).toMatch(/^ {2}severity +enum \(INFO\|WARNING\|CRITICAL\) +WARNING +lowest alert severity/m);
  });

  it('renders a broken notebook, prints each error with notebook, cell and line, and exits 1', () => {
    const file = path.join(dir, 'broken.md');
    fs.writeFileSync(file, '---\ntitle: Synthetic broken\n---\n```sql name=ok\nSELECT 1 AS one\n```\n```sql name=bad\nSELECT nope FROM candles_1h\n```\n```vega-lite data=ok\n{"mark": "bar", "encoding": {"x": {"field": "one", "type": "quantitative"}}}\n```\n');
    const out = path.join(dir, 'out');
    const r = run([file, '--out', out]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^Rendered Synthetic broken → /);
    const shown = file; // outside the working directory a notebook is named by its absolute path
    expect(r.stderr).toMatch(new RegExp(`^error: 1 cell error \\(shown in place in .*index\\.html\\):\\n${shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:8: cell 'bad': Binder Error: Referenced column "nope" not found`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(path.join(out, 'charts', 'ok-chart.png'))).toBe(true);
    expect(fs.readFileSync(path.join(out, 'data', 'ok.csv'), 'utf8')).toBe('one\r\n1\r\n');
  });

  it('rejects an unknown parameter in one line with exit 2', () => {
    const r = run(['event-study', '--param', 'form=2022-11-06', '--out', path.join(dir, 'never')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("error: notebooks/event-study.md: unknown parameter 'form' (parameters: from, to, symbols, config, run)\n");
    expect(fs.existsSync(path.join(dir, 'never'))).toBe(false);
  });
});
