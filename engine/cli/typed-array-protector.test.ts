// The sweep's and the backtest's threads never detach an ArrayBuffer. Why it matters: the first buffer a thread
// detaches invalidates V8's ArrayBufferDetaching protector, and every optimised function of that thread that reads
// typed arrays is thrown away and compiled again. A growing WebAssembly memory (the p-value kernel's) and a result
// buffer transferred back from a baseline worker each did so: ≈ 6 % of a 1,000-configuration sweep's CPU (5.5 → 5.15 s).
// Both runs cover the whole bundled history, where the old code detached (a few months' alerts fit the first page).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-protector-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** the CLI under V8's protector trace: its exit status and the invalidations it printed */
function traced(args: string[]): { status: number | null; invalidated: string[]; stderr: string } {
  const r = spawnSync(process.execPath, ['--trace-protector-invalidation', 'scripts/regime.mjs', ...args], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
  const invalidated = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.startsWith('Invalidating protector cell ArrayBufferDetaching'));
  return { status: r.status, invalidated, stderr: r.stderr };
}

describe('no detached ArrayBuffer', () => {
  it('in a sweep: its workers, the p-value kernel and the shared random baseline', () => {
    const spec = path.join(tmp, 'spec.json');
    fs.writeFileSync(spec, JSON.stringify({ split: { holdout_fraction: 0.3 }, grid: { 'rules.funding_abs_z': [1.5, 2] }, select: { metric: 'nab', min_alerts: 3 }, score: { permutations: 40 } }));
    const r = traced(['sweep', '--spec', spec, '--results', path.join(tmp, 'results'), '--workers', '2']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.invalidated).toEqual([]);
  });

  it('in a backtest: its baseline workers', () => {
    const r = traced(['backtest', '--no-save', '--no-pnl']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.invalidated).toEqual([]);
  });
});
