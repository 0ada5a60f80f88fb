// The dispatch order of a window of configurations: a permutation, with short hops (synthetic parameters).
import { describe, expect, it } from 'vitest';
import { localityOrder } from './locality.ts';

describe('localityOrder', () => {
  let seed = 3;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const items = Array.from({ length: 200 }, (_, i) => ({ i, params: { a: rnd() * 10, b: rnd(), mode: rnd() < 0.5 ? 'x' : 'y' } }));
  const path = (xs: typeof items) => xs.slice(1).reduce((d, x, k) => d + Math.abs(x.params.a - xs[k].params.a) / 10 + Math.abs(x.params.b - xs[k].params.b), 0);

  it('hands out every item once, starting with the first', () => {
    const out = localityOrder(items, (x) => x.params);
    expect(out[0]).toBe(items[0]);
    expect(out.map((x) => x.i).sort((p, q) => p - q)).toEqual(items.map((x) => x.i));
  });

  it('walks a much shorter path through parameter space than the generated order', () => {
    const out = localityOrder(items, (x) => x.params);
    expect(path(out)).toBeLessThan(path(items) / 4);
  });

  it('orders by the regime thresholds alone when some vary, changing the regime confidence rarely', () => {
    const sweep = Array.from({ length: 300 }, () => ({
      'regime.chop.max_heat': 0.3 + rnd() * 0.3,
      'rules.regime_min_confidence': [0.5, 0.75, 1][Math.floor(rnd() * 3)],
      'volatility.thresholds.extreme': 2.6 + rnd() * 1.4,
    }));
    const out = localityOrder(sweep, (p) => p);
    const hops = (xs: typeof sweep, k: keyof (typeof sweep)[number]) => xs.slice(1).reduce((d, x, i) => d + Math.abs(x[k] - xs[i][k]), 0);
    const confidenceChanges = out.slice(1).filter((x, i) => x['rules.regime_min_confidence'] !== out[i]['rules.regime_min_confidence']).length;
    expect(confidenceChanges).toBeLessThan(10);
    expect(hops(out, 'regime.chop.max_heat')).toBeLessThan(hops(sweep, 'regime.chop.max_heat') / 20);
    // the volatility threshold is no cheaper when near: not ordered by
    expect(hops(out, 'volatility.thresholds.extreme')).toBeGreaterThan(hops(sweep, 'volatility.thresholds.extreme') / 2);
  });

  it('hands out the configurations of one feature set together', () => {
    const grid = [24, 48, 72, 96].flatMap((w) => Array.from({ length: 30 }, () => ({ 'volatility.window_hours': w, 'regime.chop.max_heat': 0.3 + rnd() * 0.3 })));
    const shuffled = grid.map((x) => ({ x, r: rnd() })).sort((p, q) => p.r - q.r).map((e) => e.x);
    const out = localityOrder(shuffled, (p) => p);
    const switches = out.slice(1).filter((x, i) => x['volatility.window_hours'] !== out[i]['volatility.window_hours']).length;
    expect(switches).toBe(3);
  });

  it('leaves tiny windows as they are', () => {
    expect(localityOrder(items.slice(0, 2), (x) => x.params)).toEqual(items.slice(0, 2));
  });
});

describe('localityOrder from the last configuration handed out', () => {
  let seed = 11;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const sweep = Array.from({ length: 300 }, () => ({ 'regime.chop.max_heat': 0.3 + rnd() * 0.3, 'regime.ignition.min_price_z': 0.5 + rnd() }));
  const from = { 'regime.chop.max_heat': 0.6, 'regime.ignition.min_price_z': 1.5 };
  const hop = (a: (typeof sweep)[number], b: (typeof sweep)[number]) =>
    Math.abs(a['regime.chop.max_heat'] - b['regime.chop.max_heat']) / 0.3 + Math.abs(a['regime.ignition.min_price_z'] - b['regime.ignition.min_price_z']);

  it('hands out every item once, starting at the one nearest to it', () => {
    const out = localityOrder(sweep, (p) => p, from);
    expect([...out].sort((a, b) => sweep.indexOf(a) - sweep.indexOf(b))).toEqual(sweep);
    const nearest = Math.min(...sweep.map((p) => hop(p, from)));
    expect(hop(out[0], from)).toBe(nearest);
    expect(hop(localityOrder(sweep, (p) => p)[0], from)).toBeGreaterThan(nearest);
  });

  it('ignores it when its feature values differ from the items', () => {
    const grid = sweep.map((p) => ({ ...p, 'volatility.window_hours': 24 }));
    expect(localityOrder(grid, (p) => p, { ...from, 'volatility.window_hours': 48 })).toEqual(localityOrder(grid, (p) => p));
  });
});
