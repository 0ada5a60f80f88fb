// Run management: prefixes resolve to one run or fail naming the candidates, labels are rewritten atomically,
// rm removes nothing when any prefix is bad; and the `regime runs` CLI over a folder of synthetic runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { listRuns } from './run-store.ts';
import { removeRuns, resolveRunId, runRangeMs, setRunLabel } from './run-manage.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** a results folder with synthetic run.json files (no parquet: management never reads them) */
function synthetic(ids: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-runs-'));
  dirs.push(dir);
  ids.forEach((id, i) => {
    const runDir = path.join(dir, 'runs', id);
    fs.mkdirSync(runDir, { recursive: true });
    const manifest = { id, kind: 'backtest', label: null, created_at: `2026-01-0${i + 1}T10:00:00.000Z`, config_hash: `c0ffee${i}`.padEnd(16, '0'), dataset_manifest_sha256: null, git_commit: null, seed: 1, symbols: ['BTCUSDT', 'ETHUSDT'], from: '2022-11-01 00:00', to: '2022-11-14 23:00', has_features: false };
    fs.writeFileSync(path.join(runDir, 'run.json'), JSON.stringify({ manifest, config: {}, report: { alerts_total: 10 + i, scorecard: null } }));
  });
  return dir;
}

const IDS = ['20260101-100000-c0ffee00-aaaa', '20260102-100000-c0ffee10-bbbb', '20260102-110000-c0ffee20-cccc'];

describe('run management', () => {
  it('resolves a unique prefix and refuses an ambiguous or unknown one, naming the runs', () => {
    const dir = synthetic(IDS);
    expect(resolveRunId(dir, '20260101')).toBe(IDS[0]);
    expect(resolveRunId(dir, IDS[2])).toBe(IDS[2]);
    expect(() => resolveRunId(dir, '20260102')).toThrow(/ambiguous.*20260102-100000-c0ffee10-bbbb, 20260102-110000-c0ffee20-cccc/);
    expect(() => resolveRunId(dir, '2025')).toThrow(/no run '2025'/);
  });

  it('labels a run in run.json and clears the label with an empty text', () => {
    const dir = synthetic(IDS);
    expect(setRunLabel(dir, '20260101', '  full range, default config ').label).toBe('full range, default config');
    expect(listRuns(dir)[0].label).toBe('full range, default config');
    expect(fs.readdirSync(path.join(dir, 'runs', IDS[0]))).toEqual(['run.json']);
    expect(() => setRunLabel(dir, '20260101', 'two\nlines')).toThrow(/control characters/);
    expect(setRunLabel(dir, '20260101', '').label).toBeNull();
  });

  it('removes runs, and removes nothing when one prefix is ambiguous', () => {
    const dir = synthetic(IDS);
    expect(() => removeRuns(dir, ['20260101', '20260102'])).toThrow(/ambiguous/);
    expect(listRuns(dir)).toHaveLength(3);
    expect(removeRuns(dir, ['20260101', '20260102-11']).map((m) => m.id)).toEqual([IDS[0], IDS[2]]);
    expect(listRuns(dir).map((m) => m.id)).toEqual([IDS[1]]);
    expect(fs.readdirSync(path.join(dir, 'runs'))).toEqual([IDS[1]]);
  });

  it('reads a run range as epoch ms', () => {
    expect(runRangeMs({ from: '2022-11-01 00:00', to: '2022-11-14 23:00' })).toEqual({ first: Date.UTC(2022, 10, 1), last: Date.UTC(2022, 10, 14, 23) });
  });
});

describe('regime runs', () => {
  const cli = (dir: string, ...args: string[]) => spawnSync(process.execPath, ['scripts/regime.mjs', 'runs', ...args, '--results', dir], { cwd: REPO, encoding: 'utf8' });

  it('lists, labels, shows and removes runs by prefix', () => {
    const dir = synthetic(IDS);
    const label = cli(dir, 'label', '20260102-10', 'FTX', 'week');
    expect(label.status, label.stderr).toBe(0);
    expect(label.stdout).toContain(`Run ${IDS[1]} labelled 'FTX week'`);
    const list = cli(dir);
    expect(list.status, list.stderr).toBe(0);
    const lines = list.stdout.split('\n');
    expect(lines[0]).toMatch(/^id\s+label\s+range \(UTC\)\s+symbols\s+config\s+alerts\s+created \(UTC\)$/);
    // newest first, with label, range, symbols, config hash, alert count and creation time
    expect(lines[2]).toMatch(new RegExp(`^${IDS[2]}\\s+2022-11-01 00:00 → 2022-11-14 23:00\\s+BTCUSDT,ETHUSDT\\s+c0ffee2000000000\\s+12\\s+2026-01-03 10:00$`));
    expect(lines[3]).toMatch(new RegExp(`^${IDS[1]}\\s+FTX week\\s+2022-11-01`));
    const json = JSON.parse(cli(dir, '--json').stdout) as { id: string; label: string | null; alerts: number }[];
    expect(json.map((r) => [r.id, r.label, r.alerts])).toEqual([[IDS[0], null, 10], [IDS[1], 'FTX week', 11], [IDS[2], null, 12]]);
    const show = cli(dir, 'show', '20260101');
    expect(show.stdout).toMatch(/^id\s+20260101-100000-c0ffee00-aaaa$/m);
    const ambiguous = cli(dir, 'rm', '2026');
    expect(ambiguous.status).toBe(2);
    expect(ambiguous.stderr).toMatch(/^error: run '2026' is ambiguous/);
    expect(ambiguous.stderr).not.toMatch(/\n\s+at /);
    const rm = cli(dir, 'rm', '20260101', '20260102-10');
    expect(rm.stdout).toContain(`Removed run ${IDS[1]} 'FTX week'`);
    expect(listRuns(dir).map((m) => m.id)).toEqual([IDS[2]]);
  }, 60_000);
});
