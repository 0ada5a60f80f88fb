// The rules' shortcuts (regime codes kept up to date between configs, threshold bands for volatility,
// funding anomalies and correlation) against plain every-hour scans with the detectors' functions, on the bundled history.
import { beforeAll, afterAll, describe, expect, it, vi } from 'vitest';
import { openStore, type Store } from '../data/store.ts';
import { isCorrelationBreak } from '../detectors/correlation.ts';
import { cascadeSeverity, isCascade, relativeCascadeSeverity } from '../detectors/liquidation-cascade.ts';
import { volRegimeRank } from '../detectors/volatility-regime.ts';
import { defaultConfig, parseConfig, type PipelineConfig } from '../pipeline/config.ts';
import { cascadeAlert, correlationBreakAlert, fundingAnomalyAlert, fundingAnomalyDirection, NO_ALERT, REGIME_CODE_COUNT, regimeConfirmedAlert, regimeDirection, volEscalationAlert, volEscalationDirection } from '../pipeline/rule-definitions.ts';
import { loadReplayData } from '../replay/replay-data.ts';
import { Mulberry32 } from '../score/prng.ts';
import { ColumnarEvaluator, type AlertColumns } from './evaluate.ts';
import { buildIndex, buildSharedIndex, type FeatureIndex } from './feature-index.ts';
import { computeFeatures, type FeatureSet } from './features.ts';
import { planEvaluation } from './keys.ts';
import { RegimeHours, regimeHours } from './regime-hours.ts';
import { confirmingRegimes, fundingAnomalies, regimeCodes, RULES, runHeads } from './rules.ts';

let store: Store;
let features: FeatureSet;
let index: FeatureIndex;

beforeAll(async () => {
  store = await openStore();
  const base = defaultConfig();
  const data = await loadReplayData(store, base.symbols);
  const plan = planEvaluation(base);
  features = computeFeatures(data, plan.featureConfig, plan.featureKey);
  // built once, as the sweep's features job does: every buildIndex below is a fresh view with fresh rule state
  features.index = buildSharedIndex(features);
  index = buildIndex(features);
});
afterAll(() => store.close());

const rng = new Mulberry32(20261201);
const pick = <T>(xs: readonly T[]): T => xs[rng.below(xs.length)];
const between = (lo: number, hi: number) => lo + rng.next() * (hi - lo);

/** random regime thresholds, some left at their defaults, some repeated, so both small and large moves occur */
function randomRegime(): Record<string, unknown> {
  const r: Record<string, Record<string, number>> = {};
  const set = (g: string, k: string, v: number) => ((r[g] ??= {})[k] = v);
  if (rng.next() < 0.7) set('ignition', 'min_price_z', pick([0.5, 1, between(0.3, 1.6)]));
  if (rng.next() < 0.4) set('ignition', 'min_heat', between(0.4, 0.8));
  if (rng.next() < 0.7) set('chop', 'max_heat', pick([0.3, 0.45, between(0.2, 0.7)]));
  if (rng.next() < 0.3) set('chop', 'max_abs_price_z', between(0.2, 1));
  if (rng.next() < 0.3) set('cooling', 'max_volume_z', between(0, 1.5));
  if (rng.next() < 0.3) set('capitulation', 'max_price_z', between(-2, -0.3));
  if (rng.next() < 0.3) set('churn', 'min_volume_z', between(0.5, 2.5));
  if (rng.next() < 0.3) set('warming', 'min_price_z', between(0, 1));
  return r;
}

/** the hour codes straight from regimeCodes, as the rule computed them before they were kept incrementally */
function referenceHourCodes(x: FeatureIndex, s: number, cfg: PipelineConfig): Uint16Array {
  const f = x.symbols[s];
  const codes = f.bars.map((b) => regimeCodes(b, cfg.regime, new Uint8Array(b.start.length)));
  const [k1, k2, k3] = f.segmentBars;
  const C = REGIME_CODE_COUNT;
  return Uint16Array.from(f.presentHours, (_, k) => {
    const g = f.hourSegment[k];
    return codes[0][f.hourBar[k]] + codes[1][k1[g]] * C + codes[2][k2[g]] * C ** 2 + codes[3][k3[g]] * C ** 3;
  });
}

function volatilityReference(x: FeatureIndex, s: number, cfg: PipelineConfig): number[] {
  const f = x.symbols[s];
  const out: number[] = [];
  let prev = -1;
  for (let k = 0; k < f.volHours.length; k++) {
    const rank = volRegimeRank(f.volRatio[k], cfg.volatility.thresholds);
    const sev = volEscalationAlert(prev, rank);
    if (sev !== NO_ALERT) out.push(f.volHours[k], sev, volEscalationDirection(f.volRet24[k]));
    prev = rank;
  }
  return out;
}

/** every covered hour judged by the detector's functions, as the rule did before its total band */
function cascadeReference(x: FeatureIndex, s: number, cfg: PipelineConfig): number[] {
  const f = x.symbols[s];
  const c = cfg.cascade;
  const relative = c.mode === 'relative';
  const out: number[] = [];
  for (let k = 0; k < f.liqHours.length; k++) {
    const total = f.liqTotal[k];
    const z = f.liqZ[k];
    if (relative && z !== z) continue;
    const severity = relative ? relativeCascadeSeverity(z, c) : cascadeSeverity(total / features.cascadeWindowHours, c);
    const sev = cascadeAlert(isCascade(total, z === z ? z : null, c) === true, severity, cfg.rules.cascade_min_severity);
    if (sev !== NO_ALERT) out.push(f.liqHours[k], sev, f.liqDir[k]);
  }
  return out;
}

function correlationReference(x: FeatureIndex, j: number, cfg: PipelineConfig): number[] {
  const p = x.pairs[j];
  const out: number[] = [];
  for (let k = 0; k < p.hours.length; k++) {
    const normal = p.normal[k];
    const sev = correlationBreakAlert(isCorrelationBreak(p.corr[k], normal === normal ? normal : null, cfg.correlation));
    if (sev !== NO_ALERT) out.push(p.hours[k], sev);
  }
  return out;
}

/** positions where two columns differ (vitest's deep equality is far too slow for 70,000-entry arrays) */
function differences(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) n++;
  return n;
}

const flat = (c: { hours: Int32Array; severity: Uint8Array }) => Array.from(c.hours).flatMap((h, i) => [h, c.severity[i]]);

describe('incremental regime codes', () => {
  it('equal a full classification after any sequence of regime configs', () => {
    const symbols = features.symbols.length;
    let sameAsBefore = 0;
    let prev: Uint16Array[] = [];
    for (let i = 0; i < 20; i++) {
      // now and then a lookback change the band logic does not know: everything is classified again
      const json = i === 9 ? { regime: { ...randomRegime(), min_coverage: 0.8 } } : { regime: randomRegime() };
      const cfg = parseConfig(json);
      const now: Uint16Array[] = [];
      for (let s = 0; s < symbols; s++) {
        const codes = Uint16Array.from(regimeHours(index, s).update(cfg.regime));
        expect(differences(codes, referenceHourCodes(index, s, cfg))).toBe(0);
        now.push(codes);
      }
      if (prev.length > 0 && now.every((c, s) => c.every((v, k) => v === prev[s][k]))) sameAsBefore++;
      prev = now;
    }
    // the sequence really moved the codes
    expect(sameAsBefore).toBeLessThan(5);
  });

  it('equal it when several thresholds move by small steps at once, some on the same feature', () => {
    // small steps keep every timeframe on the band path; a bar in two bands of one update changes code between
    // the config before and after each band's own threshold, never twice for the same move
    const x = buildIndex(features);
    const states = features.symbols.map((_, s) => new RegimeHours(x, s));
    const t = { ignitionHeat: 0.7, chopHeat: 0.5, ignitionZ: 1, warmingZ: 0.5, chopAbsZ: 0.5, churnAbsZ: 1, coolingVolume: 0.5 };
    const step = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v + between(-0.03, 0.03)));
    let changedCodes = 0;
    let prev: Uint16Array[] = [];
    for (let i = 0; i < 25; i++) {
      t.ignitionHeat = step(t.ignitionHeat, 0.5, 0.9);
      t.chopHeat = step(t.chopHeat, 0.3, 0.7);
      t.ignitionZ = step(t.ignitionZ, 0.5, 1.5);
      t.warmingZ = step(t.warmingZ, 0.2, 0.9);
      t.chopAbsZ = step(t.chopAbsZ, 0.2, 0.9);
      t.churnAbsZ = step(t.churnAbsZ, 0.6, 1.4);
      t.coolingVolume = step(t.coolingVolume, 0, 1);
      const cfg = parseConfig({
        regime: {
          ignition: { min_heat: t.ignitionHeat, min_price_z: t.ignitionZ },
          warming: { min_price_z: t.warmingZ },
          chop: { max_heat: t.chopHeat, max_abs_price_z: t.chopAbsZ },
          churn: { max_abs_price_z: t.churnAbsZ },
          cooling: { max_volume_z: t.coolingVolume },
        },
      });
      const now = states.map((state, s) => {
        const codes = Uint16Array.from(state.update(cfg.regime));
        expect(differences(codes, referenceHourCodes(x, s, cfg))).toBe(0);
        return codes;
      });
      if (prev.length > 0) changedCodes += now.reduce((n, c, s) => n + differences(c, prev[s]), 0);
      prev = now;
    }
    // the steps really moved codes
    expect(changedCodes).toBeGreaterThan(1000);
  });

  it('a fresh state and a long-lived one agree', () => {
    const cfg = parseConfig({ regime: { ignition: { min_price_z: 0.9 }, chop: { max_heat: 0.41 } } });
    const fresh = Uint16Array.from(new RegimeHours(index, 0).update(cfg.regime));
    expect(fresh.some((c) => c !== 0)).toBe(true);
    expect(differences(fresh, regimeHours(index, 0).update(cfg.regime))).toBe(0);
  });
});

describe('incremental regime alerts', () => {
  /** REGIME_CONFIRMED candidates by the every-hour scan over freshly classified codes */
  function regimeReference(x: FeatureIndex, s: number, cfg: PipelineConfig): number[] {
    const codes = referenceHourCodes(x, s, cfg);
    const confirms = confirmingRegimes(cfg.rules.regime_min_confidence);
    const out: number[] = [];
    let last = 0;
    for (let k = 0; k < codes.length; k++) {
      const p = confirms[codes[k]];
      if (p === 0 || p === last) continue;
      if (regimeConfirmedAlert(last, p) !== NO_ALERT) out.push(x.symbols[s].presentHours[k], regimeDirection(p));
      last = p;
    }
    return out;
  }

  it('equal the every-hour scan after small steps, large jumps and confidence changes', () => {
    // a fresh index: its regime state starts here
    const x = buildIndex(features);
    let heat = 0.45;
    let priceZ = 1;
    let confidence = 0.75;
    let alerts = 0;
    for (let i = 0; i < 40; i++) {
      // mostly the short hops the sweep's dispatch order makes, now and then a jump or another confidence
      if (i % 9 === 4) heat = between(0.2, 0.7);
      else heat = Math.min(0.7, Math.max(0.2, heat + between(-0.02, 0.02)));
      priceZ = i % 7 === 3 ? between(0.3, 1.6) : Math.max(0.3, priceZ + between(-0.03, 0.03));
      if (i % 11 === 10) confidence = pick([0.5, 0.75, 1]);
      const cfg = parseConfig({ regime: { chop: { max_heat: heat }, ignition: { min_price_z: priceZ } }, rules: { regime_min_confidence: confidence } });
      for (let s = 0; s < features.symbols.length; s++) {
        const c = RULES.REGIME_CONFIRMED.candidates(x, s, cfg, features);
        const got = Array.from(c.hours).flatMap((h, k) => [h, c.direction[k]]);
        expect(differences(got, regimeReference(x, s, cfg))).toBe(0);
        alerts += c.hours.length;
      }
    }
    expect(alerts).toBeGreaterThan(1000);
  });

  it('equal it when configs are updated to without their alerts derived, between bands and whole timeframes', () => {
    // the hours marked dirty by a band must survive an update() that no derivation follows, and marks made
    // while a whole timeframe is reclassified in the same update (then every hour is derived again) change nothing
    const x = buildIndex(features);
    const state = new RegimeHours(x, 0);
    const confirms = confirmingRegimes(0.75);
    let heat = 0.45;
    let skipped = 0;
    for (let i = 0; i < 30; i++) {
      // a jump now and then moves a threshold past most of the weekly bars: that timeframe is classified whole
      heat = i % 5 === 2 ? between(0.2, 0.7) : Math.min(0.7, Math.max(0.2, heat + between(-0.02, 0.02)));
      const cfg = parseConfig({ regime: { chop: { max_heat: heat }, ignition: { min_price_z: between(0.3, 1.6) } }, rules: { regime_min_confidence: 0.75 } });
      state.update(cfg.regime);
      if (i % 3 === 1) {
        skipped++;
        continue;
      }
      const got = state.confirmedAlerts(confirms);
      const flat = Array.from(got.hour.subarray(0, got.n)).flatMap((h, k) => [h, got.direction[k]]);
      expect(differences(flat, regimeReference(x, 0, cfg))).toBe(0);
    }
    expect(skipped).toBe(10);
  });
});

describe('threshold bands', () => {
  it('volatility escalations equal the every-hour scan', () => {
    let alerts = 0;
    for (let i = 0; i < 30; i++) {
      const explosive = pick([1.5, between(1.2, 3)]);
      const cfg = parseConfig({ volatility: { thresholds: { high_vol: between(0.8, explosive - 0.05), explosive, extreme: between(explosive + 0.01, 4.5) } } });
      for (let s = 0; s < features.symbols.length; s++) {
        const c = RULES.VOLATILITY_REGIME_CHANGE.candidates(index, s, cfg, features);
        const got = Array.from(c.hours).flatMap((h, k) => [h, c.severity[k], c.direction[k]]);
        expect(differences(got, volatilityReference(index, s, cfg))).toBe(0);
        alerts += got.length;
      }
    }
    expect(alerts).toBeGreaterThan(100);
  });

  it('cascades equal the every-hour scan, in both modes', () => {
    let alerts = 0;
    let covered = 0;
    const quantile = (column: Float64Array, q: number) => {
      const sorted = Array.from(column).filter((v) => v === v).sort((a, b) => a - b);
      return sorted[Math.floor(q * (sorted.length - 1))];
    };
    const { liqTotal, liqZ } = index.symbols[0];
    for (let i = 0; i < 40; i++) {
      const relative = i % 2 === 1;
      // thresholds at, between and beyond the covered hours' own totals: ties with a total included
      const level = Math.max(1, pick([quantile(liqTotal, between(0, 1)), quantile(liqTotal, between(0.9, 1)), between(1, 3e6), 1e12]));
      // a z of a covered hour itself, now and then: the band must keep the hours at the threshold (z >= cascade_z)
      const cascadeZ = pick([-1, 2, between(-0.5, 4), quantile(liqZ, between(0.5, 1))]);
      const cfg = parseConfig(
        relative
          ? { cascade: { mode: 'relative', relative: { min_total_usd: pick([0, level]), cascade_z: cascadeZ } }, rules: { cascade_min_severity: pick([1, 2, 3]) } }
          : { cascade: { mode: 'absolute', cascade_threshold_usd: level }, rules: { cascade_min_severity: pick([1, 2, 3]) } },
      );
      for (let s = 0; s < features.symbols.length; s++) {
        const c = RULES.LIQUIDATION_CASCADE.candidates(index, s, cfg, features);
        const got = Array.from(c.hours).flatMap((h, k) => [h, c.severity[k], c.direction[k]]);
        expect(differences(got, cascadeReference(index, s, cfg))).toBe(0);
        alerts += c.hours.length;
        covered += index.symbols[s].liqHours.length;
      }
    }
    expect(covered).toBeGreaterThan(1000);
    expect(alerts).toBeGreaterThan(100);
  });

  it('funding anomalies equal the every-settlement scan', () => {
    let firing = 0;
    for (let i = 0; i < 30; i++) {
      const absZ = pick([0.01, 1.5, 3, between(0.5, 4)]);
      const cfg = parseConfig({ rules: { funding_abs_z: absZ } });
      for (let s = 0; s < features.symbols.length; s++) {
        const f = fundingAnomalies(index, features, s, cfg);
        const got = Array.from(f.at.subarray(0, f.n)).flatMap((k, i) => [k, f.severity[i], f.direction[i]]);
        const z = features.bySymbol[s].settleZ;
        const want: number[] = [];
        for (let k = 0; k < z.length; k++) {
          const severity = fundingAnomalyAlert(z[k], absZ);
          if (severity !== NO_ALERT) want.push(k, severity, fundingAnomalyDirection(z[k]));
        }
        expect(differences(got, want)).toBe(0);
        firing += f.n;
      }
    }
    expect(firing).toBeGreaterThan(1000);
  });

  it('correlation breaks equal the every-hour scan', () => {
    let alerts = 0;
    for (let i = 0; i < 30; i++) {
      const cfg = parseConfig({ correlation: { break_drop: pick([0.3, between(0.05, 0.6)]), break_level: pick([-0.5, between(-0.9, 0.4)]) } });
      for (let j = 0; j < features.pairs.length; j++) {
        const got = flat(RULES.CORRELATION_BREAK.candidates(index, j, cfg, features));
        expect(differences(got, correlationReference(index, j, cfg))).toBe(0);
        alerts += got.length;
      }
    }
    expect(alerts).toBeGreaterThan(100);
  });
});

describe('one evaluator across many configurations', () => {
  it('gives each configuration the alerts a fresh evaluator gives it', () => {
    const shared = new ColumnarEvaluator(features);
    // the sweep's worker lets the evaluator reuse its output arrays from one configuration to the next
    const reusing = new ColumnarEvaluator(features);
    for (let i = 0; i < 4; i++) {
      const cfg = parseConfig({
        regime: randomRegime(),
        rules: { regime_min_confidence: pick([0.5, 0.75, 1]), funding_abs_z: between(1.2, 3) },
        volatility: { thresholds: { extreme: between(2.6, 4) } },
        correlation: { break_drop: between(0.15, 0.45) },
      });
      const a = shared.evaluate(cfg);
      const b = new ColumnarEvaluator(features).evaluate(cfg);
      const c = reusing.evaluate(cfg, {}, true);
      expect(a.n).toBeGreaterThan(0);
      expect(a.n).toBe(b.n);
      expect(c.n).toBe(b.n);
      for (const col of ['hour', 'type', 'slot', 'severity', 'direction'] as const) {
        expect(differences(a[col], b[col])).toBe(0);
        expect(c[col].length).toBe(c.n);
        expect(differences(c[col], b[col])).toBe(0);
      }
    }
  });
});

describe('cached rule candidates', () => {
  const same = (a: AlertColumns, b: AlertColumns) => a.n === b.n && (['hour', 'type', 'slot', 'severity', 'direction'] as const).every((col) => differences(a[col], b[col]) === 0);

  it('are not reused when a cascade value of the mode changes, and are when the other mode’s does', () => {
    const relative = { mode: 'relative', relative: { cascade_z: 1, min_total_usd: 0, severity_z: [1.25, 1.75, 2.1, 2.4] } };
    const absolute = { mode: 'absolute', cascade_threshold_usd: 2e6, severity_velocity_usd_h: [1e5, 1e6, 5e6, 2e7] };
    const cases: { from: Record<string, unknown>; to: Record<string, unknown>; minSeverity?: number; changes: boolean }[] = [
      { from: relative, to: { ...relative, relative: { ...relative.relative, cascade_z: 2 } }, changes: true },
      { from: relative, to: { ...relative, relative: { ...relative.relative, min_total_usd: 5e7 } }, changes: true },
      { from: relative, to: { ...relative, relative: { ...relative.relative, severity_z: [1, 2, 2.5, 3] } }, changes: true },
      { from: relative, to: relative, minSeverity: 5, changes: true },
      { from: relative, to: absolute, changes: true },
      { from: absolute, to: { ...absolute, cascade_threshold_usd: 2e7 }, changes: true },
      { from: absolute, to: { ...absolute, severity_velocity_usd_h: [1e4, 5e4, 1e5, 5e5] }, changes: true },
      { from: absolute, to: absolute, minSeverity: 5, changes: true },
      // the other mode's values do not enter the candidates: the cached ones stand
      { from: relative, to: { ...relative, cascade_threshold_usd: 2e7, severity_velocity_usd_h: [1e5, 2e5, 4e5, 8e5] }, changes: false },
      { from: absolute, to: { ...absolute, relative: { cascade_z: 2, min_total_usd: 5e7, severity_z: [1, 2, 2.5, 3] } }, changes: false },
    ];
    // how often the evaluator computes cascade candidates rather than taking them from its cache
    const computed = vi.spyOn(RULES.LIQUIDATION_CASCADE, 'candidates');
    try {
      for (const { from, to, minSeverity, changes } of cases) {
        const evaluator = new ColumnarEvaluator(features);
        const a = parseConfig({ cascade: from });
        // cached from a key's second use on
        evaluator.evaluate(a);
        const before = evaluator.evaluate(a);
        const b = parseConfig({ cascade: to, rules: { cascade_min_severity: minSeverity ?? a.rules.cascade_min_severity } });
        computed.mockClear();
        const after = evaluator.evaluate(b);
        const label = JSON.stringify({ to, minSeverity });
        // a value the mode reads is a new key; the other mode's values are not
        expect(computed.mock.calls.length > 0, label).toBe(changes);
        expect(same(after, new ColumnarEvaluator(features).evaluate(b))).toBe(true);
        expect(same(after, before), label).toBe(!changes);
      }
    } finally {
      computed.mockRestore();
    }
  });
});

describe('run heads', () => {
  it('give the alerts the full candidate lists give, whatever the funding cooldown', () => {
    const withHeads = new ColumnarEvaluator(features);
    const withAll = new ColumnarEvaluator(features, undefined, { heads: false });
    let transitionOnly = 0;
    for (let i = 0; i < 6; i++) {
      const policy = { transition_only: i % 3 !== 2, cooldown_hours: pick([0, 1, 8, between(0, 30)]) | 0, max_per_day: pick([1, 3, 24]) };
      if (policy.transition_only) transitionOnly++;
      const cfg = parseConfig({
        rules: { funding_abs_z: between(1, 3) },
        funding: { stale_after_hours: pick([8, 24, between(1, 72) | 0]) },
        cooldown: { FUNDING_ANOMALY: policy },
      });
      const a = withHeads.evaluate(cfg);
      const b = withAll.evaluate(cfg);
      expect(a.n).toBeGreaterThan(0);
      expect(a.n).toBe(b.n);
      for (const col of ['hour', 'type', 'slot', 'severity', 'direction'] as const) expect(differences(a[col], b[col])).toBe(0);
    }
    expect(transitionOnly).toBeGreaterThan(0);
  });

  it('are far fewer than the funding candidates, and exactly their runs’ first hours', () => {
    const cfg = parseConfig({ rules: { funding_abs_z: 1.5 } });
    const rule = RULES.FUNDING_ANOMALY;
    const all = rule.candidates(index, 0, cfg, features);
    const heads = rule.heads!(index, 0, cfg, features);
    expect(heads.hours.length * 4).toBeLessThan(all.hours.length);
    const expected = runHeads(all);
    for (const col of ['hours', 'severity', 'direction'] as const) expect(differences(heads[col], expected[col])).toBe(0);
  });
});
