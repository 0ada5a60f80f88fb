import { describe, expect, it } from 'vitest';
import { parseSweepSpec } from './spec.ts';
import { parseWalkForward, walkForwardFolds, type WalkForwardSpec } from './walk-forward.ts';

const H = 3_600_000;
const D = 24 * H;
const T0 = Date.UTC(2023, 0, 1);
const day = (d: number) => T0 + d * D;
const wf = (over: Partial<WalkForwardSpec>): WalkForwardSpec => ({ train_days: 10, test_days: 5, step_days: 5, window: 'rolling', embargo_hours: 0, ...over });
const spans = (from: number, to: number, spec: WalkForwardSpec) =>
  walkForwardFolds(from, to, spec).map((f) => [(f.train.from - T0) / H, (f.train.to - T0) / H, (f.test.from - T0) / H, (f.test.to - T0) / H]);

describe('walkForwardFolds', () => {
  it('rolling: the train window slides by step, whole test periods only', () => {
    // 27 days: tests [10,15) [15,20) [20,25); a 4th would end at day 30 > 27
    expect(spans(day(0), day(27), wf({}))).toEqual([
      [0, 240, 240, 360],
      [120, 360, 360, 480],
      [240, 480, 480, 600],
    ]);
  });

  it('anchored: every train period starts at the beginning and grows by step', () => {
    expect(spans(day(0), day(25), wf({ window: 'anchored' }))).toEqual([
      [0, 240, 240, 360],
      [0, 360, 360, 480],
      [0, 480, 480, 600],
    ]);
  });

  it('the embargo sits between train and test; a step longer than test leaves gaps', () => {
    expect(spans(day(0), day(30), wf({ embargo_hours: 24, step_days: 7 }))).toEqual([
      [0, 240, 264, 384],
      [168, 408, 432, 552],
      [336, 576, 600, 720],
    ]);
  });

  it('an exact fit is one fold; one hour short is none, and the error names the key', () => {
    expect(walkForwardFolds(day(0), day(15), wf({}))).toHaveLength(1);
    expect(() => walkForwardFolds(day(0), day(15) - H, wf({}))).toThrow(/^split\.walk_forward\.train_days: .*15 days.*do not fit/);
    expect(() => walkForwardFolds(day(0), day(400), wf({ train_days: 1, test_days: 1, step_days: 1 }))).toThrow(/^split\.walk_forward\.step_days: more than 50 folds/);
  });
});

describe('split.walk_forward in a spec', () => {
  const parse = (v: unknown) => {
    const issues: string[] = [];
    return { wf: parseWalkForward(v, issues), issues };
  };

  it('fills the defaults: step = test, rolling, no embargo', () => {
    expect(parse({ train_days: 90, test_days: 30 })).toEqual({ wf: { train_days: 90, test_days: 30, step_days: 30, window: 'rolling', embargo_hours: 0 }, issues: [] });
  });

  it('rejects bad specs naming the key', () => {
    expect(parse({ test_days: 30 }).issues).toEqual(['split.walk_forward.train_days: required, a positive whole number of days']);
    expect(parse({ train_days: 0, test_days: 1.5 }).issues).toEqual([
      'split.walk_forward.train_days: expected a positive whole number of days',
      'split.walk_forward.test_days: expected a positive whole number of days',
    ]);
    expect(parse({ train_days: 90, test_days: 30, step_days: 10 }).issues[0]).toMatch(/^split\.walk_forward\.step_days: expected at least test_days \(30\)/);
    expect(parse({ train_days: 90, test_days: 30, window: 'expanding' }).issues).toEqual(["split.walk_forward.window: expected 'rolling' or 'anchored'"]);
    expect(parse({ train_days: 90, test_days: 30, embargo_hours: -1 }).issues).toEqual(['split.walk_forward.embargo_hours: expected a non-negative whole number of hours']);
    expect(parse({ train_days: 90, test_days: 30, folds: 3 }).issues[0]).toMatch(/^split\.walk_forward\.folds: unknown key/);
    expect(parse(5).issues[0]).toMatch(/^split\.walk_forward: expected \{ train_days/);
  });

  it('goes through parseSweepSpec, alone in split', () => {
    const grid = { 'rules.funding_abs_z': [2, 3] };
    const s = parseSweepSpec({ split: { walk_forward: { train_days: 60, test_days: 30 } }, grid });
    expect(s.split).toEqual({ walk_forward: { train_days: 60, test_days: 30, step_days: 30, window: 'rolling', embargo_hours: 0 } });
    expect(() => parseSweepSpec({ split: { walk_forward: { train_days: 60, test_days: 30 }, holdout_fraction: 0.3 }, grid })).toThrow(/^split\.holdout_fraction: a walk-forward split has no holdout/);
    expect(() => parseSweepSpec({ split: { walk_forward: { train_days: 60 } }, grid })).toThrow(/split\.walk_forward\.test_days: required/);
    // a different fold layout is a different sweep
    const other = parseSweepSpec({ split: { walk_forward: { train_days: 60, test_days: 30, window: 'anchored' } }, grid });
    expect(other.hash).not.toBe(s.hash);
  });
});
