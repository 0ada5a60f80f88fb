// The evaluator's shortcuts against straightforward references, compared exactly: its cooldown against
// cooldownVerdict, the index's radix sort against the engine's sort, and whole evaluations against every rule's full
// candidates filtered by cooldownVerdict and put in emission order by a comparator sort, on the bundled history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../data/store.ts';
import { EVENT_TYPES } from '../pipeline/alerts.ts';
import { cooldownSlots, cooldownVerdict, type CooldownRule } from '../pipeline/cooldown.ts';
import { defaultConfig, parseConfig, type PipelineConfig } from '../pipeline/config.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import { correlationBreakDirection, laggingSide } from '../pipeline/rule-definitions.ts';
import { loadReplayData } from '../replay/replay-data.ts';
import { Mulberry32 } from '../score/prng.ts';
import { lowerBound } from '../sorted-search.ts';
import { applyCooldown, ColumnarEvaluator, type AlertColumns } from './evaluate.ts';
import { buildIndex, buildSharedIndex, type FeatureIndex } from './feature-index.ts';
import { computeFeatures, type FeatureSet } from './features.ts';
import { planEvaluation } from './keys.ts';
import { RULES, SYMBOL_RULES } from './rules.ts';
import { sortedOrder } from './threshold-index.ts';

const rng = new Mulberry32(20261202);
const pick = <T>(xs: readonly T[]): T => xs[rng.below(xs.length)];
const between = (lo: number, hi: number) => lo + rng.next() * (hi - lo);

/** the index's sort before the radix sort: the engine's sort of the values, then each position's place by binary search */
function referenceOrder(values: Float64Array): Int32Array {
  const sorted = values.filter((v) => v === v).sort();
  const at = new Int32Array(sorted.length);
  const taken = new Int32Array(sorted.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) continue;
    const r = lowerBound(sorted, v);
    at[r + taken[r]++] = i;
  }
  return at;
}

/** positions where two columns differ, by Object.is */
function differences(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

describe('sortedOrder', () => {
  /** columns with what a sort can trip on: NaN, −0 beside +0, infinities, ties, subnormals, one sign only */
  function column(n: number): Float64Array {
    const kind = rng.below(5);
    const pool = [0, -0, NaN, Infinity, -Infinity, 5e-324, -5e-324, 1, -1, 0.1 + 0.2, 0.3];
    return Float64Array.from({ length: n }, () => {
      if (kind === 0) return pick(pool);
      if (kind === 1) return rng.next() < 0.2 ? pick(pool) : between(-3, 3);
      if (kind === 2) return Math.round(between(-4, 4)) / 2;
      if (kind === 3) return between(0.5, 0.5000001);
      return (rng.next() < 0.5 ? -1 : 1) * Math.exp(between(-700, 700));
    });
  }

  it('orders like the engine’s sort with equal values in position order, on random columns', () => {
    let compared = 0;
    for (let i = 0; i < 400; i++) {
      const values = column(pick([0, 1, 2, 3, 17, 300, rng.below(5000)]));
      const got = sortedOrder(values);
      expect(differences(got, referenceOrder(values))).toBe(0);
      compared += got.length;
    }
    expect(compared).toBeGreaterThan(100_000);
  });
});

describe('applyCooldown', () => {
  /** ascending hours without repeats, in runs (a condition standing for hours) and gaps */
  function candidateHours(): Int32Array {
    const out: number[] = [];
    let h = rng.below(50);
    const n = rng.below(400);
    while (out.length < n) {
      const run = 1 + rng.below(pick([1, 4, 30]));
      for (let i = 0; i < run; i++) out.push(h++);
      h += 1 + rng.below(pick([1, 3, 30, 200]));
    }
    return Int32Array.from(out);
  }

  function referenceCooldown(firstHour: number, hours: Int32Array, rule: CooldownRule, from: number, until: number): number[] {
    const slot = cooldownSlots(1);
    const out: number[] = [];
    for (let k = 0; k < hours.length; k++) {
      const emitted = cooldownVerdict(slot, 0, firstHour + hours[k] * HOUR_MS, rule) === null;
      if (emitted && hours[k] >= from && hours[k] <= until) out.push(k, hours[k]);
    }
    return out;
  }

  it('emits what cooldownVerdict emits, candidate by candidate', () => {
    let emitted = 0;
    for (let i = 0; i < 2000; i++) {
      const hours = candidateHours();
      // aligned to the hour or not, days starting anywhere in the list
      const firstHour = Date.UTC(2020, 0, 1) + rng.below(1000) * HOUR_MS + (rng.next() < 0.2 ? rng.below(HOUR_MS) : 0);
      // whole and fractional cooldowns (a random sweep draws them from a range)
      const rule = { transition_only: rng.next() < 0.7, cooldown_hours: pick([0, 1, 4, 24, rng.below(60), between(0, 13), rng.below(12) + 1e-9]), max_per_day: pick([1, 2, 6, 24, 30]) };
      const from = rng.next() < 0.5 ? 0 : rng.below(300);
      const until = rng.next() < 0.5 ? 1e9 : from + rng.below(2000);
      const at = rng.below(3);
      const out = { index: new Int32Array(at + hours.length), hour: new Int32Array(at + hours.length) };
      const end = applyCooldown(firstHour, hours, rule, from, until, out, at);
      const got: number[] = [];
      for (let j = at; j < end; j++) got.push(out.index[j], out.hour[j]);
      expect(got).toEqual(referenceCooldown(firstHour, hours, rule, from, until));
      emitted += end - at;
    }
    expect(emitted).toBeGreaterThan(10_000);
  });
});

describe('whole evaluations ≡ full candidates, cooldownVerdict and a comparator sort', () => {
  let store: Store;
  let features: FeatureSet;

  beforeAll(async () => {
    store = await openStore();
    const base = defaultConfig();
    const data = await loadReplayData(store, base.symbols);
    const plan = planEvaluation(base);
    features = computeFeatures(data, plan.featureConfig, plan.featureKey);
  });
  afterAll(() => store.close());

  it('builds the index the previous callback-based code built, column for column', () => {
    const fs = features;
    const index = buildSharedIndex(fs);
    const hoursWhere = (keep: (i: number) => boolean) => Int32Array.from({ length: fs.hours }, (_, i) => i).filter(keep);
    const same = (got: ArrayLike<number>, want: ArrayLike<number>) => expect(differences(got, want)).toBe(0);
    fs.bySymbol.forEach((f, s) => {
      const x = index.symbols[s];
      const liqHours = hoursWhere((i) => f.present[i] === 1 && f.liqTotal[i] === f.liqTotal[i]);
      const volHours = hoursWhere((i) => f.present[i] === 1 && f.volRatio[i] === f.volRatio[i]);
      same(x.liqHours, liqHours);
      same(x.volHours, volHours);
      same(x.presentHours, hoursWhere((i) => f.present[i] === 1));
      same(x.liqTotal, Float64Array.from(liqHours, (i) => f.liqTotal[i]));
      same(x.liqZ, Float64Array.from(liqHours, (i) => f.liqZ[i]));
      same(x.liqDir, Int8Array.from(liqHours, (i) => f.liqDir[i]));
      same(x.volRatio, Float64Array.from(volHours, (i) => f.volRatio[i]));
      same(x.volRet24, Float64Array.from(volHours, (i) => f.ret24[i]));
      x.bars.forEach((b, t) => {
        for (const col of ['priceZ', 'volumeZ', 'heat'] as const) same(b[col], Float64Array.from(b.start, (i) => f[col][t][i]));
        same(b.order.heat, referenceOrder(b.heat));
        same(b.order.priceZ, referenceOrder(b.priceZ));
        same(b.order.absPriceZ, referenceOrder(b.priceZ.map(Math.abs)));
        same(b.order.volumeZ, referenceOrder(b.volumeZ));
      });
    });
    fs.pairs.forEach((p, j) => {
      const x = index.pairs[j];
      const hours = hoursWhere((i) => p.corr[i] === p.corr[i]);
      same(x.hours, hours);
      same(x.corr, Float64Array.from(hours, (i) => p.corr[i]));
      same(x.normal, Float64Array.from(hours, (i) => p.normal[i]));
      same(x.direction, Int8Array.from(hours, (i) => correlationBreakDirection(fs.bySymbol[laggingSide(p.leader[i]) === 'a' ? p.a : p.b].ret24[i])));
      same(x.byCorr, referenceOrder(x.corr));
      same(x.byDrop, referenceOrder(x.corr.map((c, k) => c - x.normal[k])));
    });
  });

  /** every rule's full candidates (never run heads), each key's cooldownVerdict, then a stable sort by hour and the Pipeline's rank */
  function reference(x: FeatureIndex, cfg: PipelineConfig, from: number, until: number): AlertColumns {
    const fs = features;
    const nSym = fs.symbols.length;
    const rows: { hour: number; rank: number; type: number; slot: number; severity: number; direction: number }[] = [];
    EVENT_TYPES.forEach((type, t) => {
      const isPair = type === 'CORRELATION_BREAK';
      const slots = isPair ? fs.pairs.length : nSym;
      for (let s = 0; s < slots; s++) {
        const c = RULES[type].candidates(x, s, cfg, fs);
        const state = cooldownSlots(1);
        for (let k = 0; k < c.hours.length; k++) {
          const ts = fs.firstHour + c.hours[k] * HOUR_MS;
          if (cooldownVerdict(state, 0, ts, cfg.cooldown[type]) !== null || ts < from || ts > until) continue;
          const rank = isPair ? nSym * SYMBOL_RULES.length + s : s * SYMBOL_RULES.length + SYMBOL_RULES.indexOf(type);
          rows.push({ hour: c.hours[k], rank, type: t, slot: isPair ? nSym + s : s, severity: c.severity[k], direction: c.direction[k] });
        }
      }
    });
    rows.sort((a, b) => a.hour - b.hour || a.rank - b.rank);
    return {
      n: rows.length,
      hour: Int32Array.from(rows, (r) => r.hour),
      type: Uint8Array.from(rows, (r) => r.type),
      slot: Int32Array.from(rows, (r) => r.slot),
      severity: Uint8Array.from(rows, (r) => r.severity),
      direction: Int8Array.from(rows, (r) => r.direction),
    };
  }

  /** thresholds of every rule moved (the bench spec's keys and more), cooldowns of every kind, now and then a repeat */
  function randomConfig(): PipelineConfig {
    const cooldown: Record<string, unknown> = {};
    for (const type of EVENT_TYPES) {
      if (rng.next() < 0.5) cooldown[type] = { transition_only: rng.next() < 0.7, cooldown_hours: pick([0, 1, 8, rng.below(30)]), max_per_day: pick([1, 3, 6, 30]) };
    }
    return parseConfig({
      volatility: { thresholds: { extreme: between(2.6, 4) } },
      rules: { funding_abs_z: pick([2, between(1.2, 3)]), regime_min_confidence: pick([0.5, 0.75, 1]) },
      regime: { chop: { max_heat: between(0.3, 0.6) }, ignition: { min_price_z: between(0.5, 1.5) } },
      correlation: { break_drop: between(0.15, 0.45) },
      cascade: rng.next() < 0.3 ? { mode: 'relative', relative: { cascade_z: between(1, 3), min_total_usd: between(5e4, 5e5) } } : { cascade_threshold_usd: between(2e5, 2e6) },
      funding: { stale_after_hours: pick([24, 24, 8, rng.below(60) + 1]), anomaly_z: pick([2, between(1.5, 3)]), reversal_lookback_settlements: pick([3, 5]) },
      cooldown,
    });
  }

  it('gives the same columns for random configurations, repeated now and then, and ranges', () => {
    // the sweep's layout: the index built once and shared, each evaluator with its own view and rule state
    features.index = buildSharedIndex(features);
    const evaluator = new ColumnarEvaluator(features);
    const x = buildIndex(features);
    const last = features.firstHour + (features.hours - 1) * HOUR_MS;
    // repeats: a key's candidates are cached from its second use on, and must not follow the rules' state since
    const pool = Array.from({ length: 12 }, randomConfig);
    let alerts = 0;
    for (let i = 0; i < 36; i++) {
      const cfg = pick(pool);
      const from = rng.next() < 0.3 ? features.firstHour : features.firstHour + rng.below(features.hours) * HOUR_MS;
      const until = rng.next() < 0.3 ? last : from + rng.below(features.hours) * HOUR_MS;
      const got = evaluator.evaluate(cfg, { from, until }, rng.next() < 0.5);
      const want = reference(x, cfg, from, until);
      expect(got.n).toBe(want.n);
      for (const col of ['hour', 'type', 'slot', 'severity', 'direction'] as const) expect(differences(got[col], want[col])).toBe(0);
      alerts += got.n;
    }
    expect(alerts).toBeGreaterThan(50_000);
  });
});
