// `regime serve` without --run opens the newest full-range default-config run, not a newer one-month test.
import { describe, expect, it } from 'vitest';
import type { RunManifest } from '../engine/results/run-store.ts';
import { chooseDefaultRun, runName } from './default-run.ts';

const run = (id: string, from: string, to: string, config_hash = 'DEF', extra: Partial<RunManifest> = {}): RunManifest => ({
  id, kind: 'backtest', label: null, created_at: '', config_hash, dataset_manifest_sha256: null, git_commit: null, seed: null, symbols: ['BTCUSDT'], from, to, has_features: true, ...extra,
});

describe('default run', () => {
  const full1 = run('1-full', '2018-01-01 00:00', '2026-05-22 23:00');
  const full2 = run('2-full', '2018-01-01 00:00', '2026-05-22 23:00');
  const month = run('3-month', '2026-03-01 00:00', '2026-03-31 23:00');
  const other = run('4-other', '2018-01-01 00:00', '2026-05-22 23:00', 'OTHER');

  it('prefers the widest default-config run, the newest of equals, over newer short or other-config runs', () => {
    expect(chooseDefaultRun([full1, full2, month, other], 'DEF')!.manifest.id).toBe('2-full');
    expect(chooseDefaultRun([full1, month], 'DEF')!.why).toMatch(/full-range run of the default config/);
  });

  it('falls back to the newest run with features, then to the newest run, then to none', () => {
    expect(chooseDefaultRun([other, month], 'NONE')!.manifest.id).toBe('3-month');
    expect(chooseDefaultRun([run('x', '2026-01-01 00:00', '2026-02-01 00:00', 'DEF', { has_features: false })], 'DEF')!.manifest.id).toBe('x');
    expect(chooseDefaultRun([], 'DEF')).toBeNull();
  });

  it('names a run by its label where it has one', () => {
    expect(runName({ id: 'abc', label: 'full history' })).toBe('full history · abc');
    expect(runName({ id: 'abc', label: null })).toBe('abc');
  });
});
