import { describe, expect, it } from 'vitest';
import { parseConfig } from '../pipeline/config.ts';
import { EvaluationPlanner, planEvaluation } from './keys.ts';

/** a seeded stream of configurations: threshold keys move every time, feature keys (scalars and lists) now and then */
function* configs(seed: number, n: number) {
  let s = seed;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let i = 0; i < n; i++) {
    const r = rand();
    yield parseConfig({
      ...(r < 0.15 ? { symbols: r < 0.07 ? ['BTCUSDT', 'ETHUSDT'] : ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'] } : {}),
      volatility: { thresholds: { extreme: 3 + rand() }, ...(r > 0.85 ? { window_hours: r > 0.93 ? 24 : 48 } : {}) },
      rules: { funding_abs_z: 1 + rand() },
      correlation: { break_drop: 0.1 + rand() / 4, ...(r > 0.4 && r < 0.5 ? { anchors: r < 0.45 ? ['BTCUSDT'] : ['ETHUSDT'] } : {}) },
    });
  }
}

describe('EvaluationPlanner', () => {
  it('gives what planEvaluation gives, configuration after configuration, feature keys changing or not', () => {
    const planner = new EvaluationPlanner();
    let reused = 0;
    let last = null;
    for (const config of configs(7, 400)) {
      const plan = planner.plan(config);
      expect(plan).toEqual(planEvaluation(config));
      if (plan === last) reused++;
      last = plan;
    }
    // most neighbours differ only in thresholds: the plan is reused for them, hashed again for the rest
    expect(reused).toBeGreaterThan(200);
    expect(reused).toBeLessThan(399);
  });

  it('plans again when an unclassified or feature leaf changes, or the leaves themselves do', () => {
    // a table that knows no correlation key: correlation.* is unclassified (the replay mode's trigger)
    const table = { symbols: 'feature', 'rules.funding_abs_z': 'threshold' } as const;
    const planner = new EvaluationPlanner(table);
    const a = parseConfig({ correlation: { break_drop: 0.2 } });
    const b = parseConfig({ correlation: { break_drop: 0.3 } });
    const c = parseConfig({ correlation: { break_drop: 0.3 }, rules: { funding_abs_z: 2.5 } });
    const pa = planner.plan(a);
    const pb = planner.plan(b);
    expect(pa.mode).toBe('replay');
    expect(pb).not.toBe(pa);
    expect(pb.featureKey).not.toBe(pa.featureKey);
    expect(pb).toEqual(planEvaluation(b, table));
    expect(planner.plan(c)).toBe(pb);
    // a leaf added (another path list): planned again
    const extra = { ...c, extra: { x: 1 } } as unknown as typeof c;
    expect(planner.plan(extra)).toEqual(planEvaluation(extra, table));
    expect(planner.plan(extra)).not.toBe(pb);
    // a threshold leaf (which alone never decides the plan) now an object: its path is another, and unclassified
    const pe = planner.plan(extra);
    const deeper = { ...extra, rules: { ...extra.rules, funding_abs_z: { v: 2.5 } } } as unknown as typeof c;
    const pd = planner.plan(deeper);
    expect(pd).not.toBe(pe);
    expect(pd).toEqual(planEvaluation(deeper, table));
    expect(pd.unclassified).toContain('rules.funding_abs_z.v');
  });
});
