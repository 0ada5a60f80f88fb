// `regime backtest` and the paper P&L: the per-type CLI settings, their errors (exit 2, the flag named, no stack
// trace), and the `pnl` key of --json on a short real range.
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { pnlOptionsFromCli } from './backtest.ts';
import { parsePnlOptions } from '../../score/pnl-options.ts';

const REPO = path.resolve(import.meta.dirname, '../../..');
const run = (args: string[]) => spawnSync(process.execPath, ['scripts/regime.mjs', ...args], { cwd: REPO, encoding: 'utf8' });

describe('backtest P&L options', () => {
  it('reads a default and per-type overrides from --hold and --follow', () => {
    const o = parsePnlOptions(pnlOptionsFromCli({ hold: '12,VOLATILITY_REGIME_CHANGE=72', follow: 'continuation,funding_anomaly=reversal', fee: '0.04', permutations: '10', seed: '5' }));
    expect(o).toMatchObject({ hold_hours: 12, follow: 'continuation', fee_pct: 0.04, random_entries: 10, seed: 5 });
    expect(o.event_types).toEqual({ VOLATILITY_REGIME_CHANGE: { hold_hours: 72 }, FUNDING_ANOMALY: { follow: 'reversal' } });
    expect(pnlOptionsFromCli({ pnl: false })).toBe(false);
  });

  it('names the flag of a bad value', () => {
    expect(() => pnlOptionsFromCli({ hold: 'NOPE=3' })).toThrow(/--hold: unknown event type 'NOPE'/);
    expect(() => pnlOptionsFromCli({ hold: '1.5' })).toThrow(/--hold: '1.5' is not a whole number of hours/);
    expect(() => pnlOptionsFromCli({ fee: 'abc' })).toThrow(/--fee: 'abc' is not a percentage/);
    expect(() => parsePnlOptions(pnlOptionsFromCli({ follow: 'sideways' }))).toThrow(/pnl options\.follow: expected continuation or reversal/);
  });

  it('exits 2 with one line on a bad --follow, before loading any data', () => {
    const r = run(['backtest', '--follow', 'X=reversal', '--no-save']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--follow: unknown event type 'X'/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('puts the P&L in --json, and prints it as one table', () => {
    const args = ['backtest', '--from', '2022-11-01', '--to', '2022-12-01', '--no-save', '--permutations', '20', '--follow', 'reversal', '--hold', '4'];
    const j = run([...args, '--json']);
    expect(j.status, j.stderr).toBe(0);
    const report = JSON.parse(j.stdout);
    expect(report.pnl.options).toMatchObject({ follow: 'reversal', hold_hours: 4, fee_pct: 0.1, random_entries: 20 });
    expect(report.pnl.rows[0].key).toBe('all');
    expect(report.pnl.rows[0].strategy).toHaveProperty('sharpe');
    const text = run(args);
    expect(text.stdout).toMatch(/^Paper P&L: .*hold 4 h, taker fee 0\.1 % per side/m);
    expect(text.stdout).toMatch(/^all\s+reversal\s+4h\s/m);
    const none = run([...args, '--no-pnl', '--no-score', '--json']);
    expect(JSON.parse(none.stdout).pnl).toBeNull();
  });
});
