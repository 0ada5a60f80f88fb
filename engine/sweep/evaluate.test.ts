// The columnar evaluator against the Pipeline on the real bundled data: same alerts, same order, same scores.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyVolRegime, VOL_REGIMES } from '../detectors/volatility-regime.ts';
import { classifySpotRegime, SPOT_REGIMES } from '../detectors/multi-timeframe-regime.ts';
import { openStore, type Store } from '../data/store.ts';
import { defaultConfig, parseConfig } from '../pipeline/config.ts';
import type { Alert } from '../pipeline/alerts.ts';
import { loadReplayData, sliceReplayDataFrom, type ReplayData } from '../replay/replay-data.ts';
import { runReplay } from '../replay/replay.ts';
import { pricesOf, toScorable } from '../replay/score-alerts.ts';
import { prepareMarket, scoreOnMarket } from '../score/index.ts';
import { Mulberry32 } from '../score/prng.ts';
import { alertIdsOf, ColumnarEvaluator, materialiseAlerts, scorableFromColumns } from './evaluate.ts';
import { regimeCodes, volRanks } from './rules.ts';
import { computeFeatures, type FeatureSet } from './features.ts';
import { withSharedIndex } from './feature-index.ts';
import { CONFIG_KEYS, keyKind, leafPaths, planEvaluation } from './keys.ts';
import { PeriodScorer, scorableColumns } from './metrics.ts';

let store: Store;
let data: ReplayData;
let features: FeatureSet;
let evaluator: ColumnarEvaluator;
const base = defaultConfig();

beforeAll(async () => {
  store = await openStore();
  data = await loadReplayData(store, base.symbols);
  const plan = planEvaluation(base);
  features = computeFeatures(data, plan.featureConfig, plan.featureKey);
  evaluator = new ColumnarEvaluator(features);
});
afterAll(() => store.close());

const replays = new Map<string, Alert[]>();
/** one full replay per config for the whole file */
function replayAlerts(json: unknown): Alert[] {
  const k = JSON.stringify(json);
  let alerts = replays.get(k);
  if (!alerts) replays.set(k, (alerts = runReplay(data, parseConfig(json)).alerts));
  return alerts;
}

const key = (a: Pick<Alert, 'id' | 'ts' | 'symbol' | 'event_type' | 'severity' | 'direction'>) => `${a.id}|${a.ts}|${a.symbol}|${a.event_type}|${a.severity}|${a.direction}`;

/** non-default thresholds on every detector, rules and cooldowns: one feature set serves them all */
const THRESHOLD_CONFIGS: Record<string, unknown>[] = [
  {
    volatility: { thresholds: { high_vol: 1.2, explosive: 1.8, extreme: 2.2 } },
    funding: { anomaly_z: 1.5, watch_z: 1, stale_after_hours: 8, reversal_lookback_settlements: 5 },
    rules: { funding_abs_z: 1.5, regime_min_confidence: 0.5, cascade_min_severity: 2 },
    correlation: { break_drop: 0.15, break_level: -0.2 },
    regime: {
      ignition: { min_heat: 0.5, min_price_z: 0.8 },
      chop: { max_abs_price_z: 0.8 },
      cooling: { max_heat: 0.45 },
      capitulation: { min_heat: 0.55, max_price_z: -0.8, min_volume_z: 1 },
      warming: { max_heat: 0.45, min_price_z: 0.3 },
    },
    cooldown: { REGIME_CONFIRMED: { transition_only: false, cooldown_hours: 0, max_per_day: 24 }, FUNDING_ANOMALY: { cooldown_hours: 1 } },
  },
  { cascade: { mode: 'relative', relative: { cascade_z: 1.5, severity_z: [0.5, 1, 2, 3], min_total_usd: 100_000 } }, rules: { cascade_min_severity: 1 } },
  { cascade: { cascade_threshold_usd: 2e6, severity_velocity_usd_h: [1e5, 5e5, 1e6, 2e6] }, funding: { stale_after_hours: 40 }, cooldown: { VOLATILITY_REGIME_CHANGE: { max_per_day: 1, cooldown_hours: 30 } } },
];

describe('columnar evaluator ≡ Pipeline on the bundled history', () => {
  it('emits exactly the alerts runReplay emits, in the same order, for the default config', () => {
    const replay = replayAlerts({});
    const mine = materialiseAlerts(features, evaluator.evaluate(base));
    expect(replay.length).toBeGreaterThan(1000);
    expect(mine.map(key)).toEqual(replay.map(key));
    // pair alerts carry the leader the scorer uses to pick their symbol
    const pairs = replay.filter((a) => a.symbol.includes('/'));
    expect(pairs.length).toBeGreaterThan(0);
    expect(mine.filter((a) => a.symbol.includes('/')).map((a) => a.leader)).toEqual(pairs.map((a) => a.data.leader));
  });

  it.each(THRESHOLD_CONFIGS.map((c, i) => [i, c]))('emits the same alerts for threshold config %i without a new feature replay', (_, json) => {
    const config = parseConfig(json);
    expect(planEvaluation(config).featureKey).toBe(features.key);
    const replay = replayAlerts(json);
    const mine = materialiseAlerts(features, evaluator.evaluate(config));
    expect(mine.map(key)).toEqual(replay.map(key));
    expect(mine.map(key)).not.toEqual(replayAlerts({}).map(key));
  });

  it('emits the same alerts from the set a sweep holds: its index shared, its hourly regime columns dropped', () => {
    const held = withSharedIndex(features);
    expect(held.bySymbol.every((f) => f.priceZ.length === 0 && f.volumeZ.length === 0 && f.heat.length === 0)).toBe(true);
    expect(features.bySymbol[0].priceZ.length).toBe(4);
    for (const json of [{}, THRESHOLD_CONFIGS[0]]) {
      const mine = materialiseAlerts(held, new ColumnarEvaluator(held).evaluate(parseConfig(json)));
      expect(mine.map(key)).toEqual(replayAlerts(json).map(key));
    }
  });

  it('keeps only the reported range while the cooldown state warms up before it', () => {
    const from = Date.UTC(2022, 5, 1);
    const until = Date.UTC(2022, 11, 31, 23);
    const config = parseConfig(THRESHOLD_CONFIGS[0]);
    const replay = runReplay(data, config, { emitFrom: from, until }).alerts;
    const mine = materialiseAlerts(features, evaluator.evaluate(config, { from, until }));
    expect(mine.length).toBeGreaterThan(50);
    expect(mine.map(key)).toEqual(replay.map(key));
  });

  it('recomputes features when a feature key changes, and still matches the Pipeline', () => {
    const config = parseConfig({ volatility: { window_hours: 12, baseline_hours: 360 }, regime: { lookback_bars: { '1h': 12, '4h': 18 } }, correlation: { leader_margin: 0.1, window_hours: 96 }, funding: { lookback_days: 14 } });
    const plan = planEvaluation(config);
    expect(plan.mode).toBe('columns');
    expect(plan.featureKey).not.toBe(features.key);
    // a later start keeps this replay short; the gap-heavy early years are covered above
    const recent = sliceReplayDataFrom(data, Date.UTC(2023, 0, 1));
    const fs = computeFeatures(recent, plan.featureConfig, plan.featureKey);
    const from = Date.UTC(2023, 5, 1);
    const mine = materialiseAlerts(fs, new ColumnarEvaluator(fs).evaluate(config, { from }));
    const replay = runReplay(recent, config, { emitFrom: from }).alerts;
    expect(mine.length).toBeGreaterThan(100);
    expect(mine.map(key)).toEqual(replay.map(key));
  });
});

describe('sweep metrics ≡ scoreOnMarket', () => {
  it('reports the overall scorecard numbers for the same alerts', () => {
    const config = parseConfig(THRESHOLD_CONFIGS[0]);
    const market = prepareMarket(pricesOf(data, data.firstHour), { permutations: 0 });
    const fast = new PeriodScorer(market, features.symbols, -Infinity, Infinity).score(scorableColumns(features, evaluator.evaluate(config)));
    const card = scoreOnMarket(market, replayAlerts(THRESHOLD_CONFIGS[0]).map(toScorable));
    const e = card.overall.events;
    expect(fast).toMatchObject({
      alerts: card.alerts.total,
      alerts_per_day: e.alerts_per_day,
      true_alerts: e.true_alerts,
      false_alarms: e.false_alarms,
      precision: e.precision,
      episodes: e.episodes,
      detected: e.detected,
      recall: e.recall,
      nab: e.nab,
      false_alarms_per_week: e.false_alarms_per_week,
      median_lead_hours: e.median_lead_hours,
    });
    card.options.horizons_hours.forEach((h, k) => expect(fast[`mean_abs_return_${h}h`]).toBe(card.overall.forward[k].mean_abs));
    for (const row of card.breakdowns.event_type) expect(fast[`n_${row.key.toLowerCase()}`]).toBe(row.n_alerts);
  });

  it('scores a period from its run of ascending alerts as from all of them', () => {
    const market = prepareMarket(pricesOf(data, data.firstHour), { permutations: 0 });
    const cols = scorableColumns(features, evaluator.evaluate(parseConfig(THRESHOLD_CONFIGS[0])));
    expect(cols.ascending).toBe(true);
    const middle = cols.ts[cols.n >> 1];
    for (const [from, to] of [[-Infinity, middle], [middle, Infinity], [cols.ts[10], cols.ts[cols.n - 10] + 1]]) {
      const scorer = new PeriodScorer(market, features.symbols, from, to);
      const counts = { judged: new Int32Array(features.symbols.length), hits: new Int32Array(features.symbols.length) };
      const run = scorer.score(cols, counts);
      const runCounts = [...counts.judged, ...counts.hits];
      const all = scorer.score({ ...cols, ascending: false }, counts);
      expect(run.alerts).toBeGreaterThan(10);
      expect(run).toEqual(all);
      expect(runCounts).toEqual([...counts.judged, ...counts.hits]);
    }
  });
});

describe('numeric classifiers', () => {
  it('volRanks agrees with classifyVolRegime, boundaries included', () => {
    const t = { high_vol: 1.1, explosive: 1.7, extreme: 2.3 };
    const rng = new Mulberry32(3);
    const xs = Float64Array.from([0, 1.1, 1.7, 2.3, 1.0999999, 1.6999999, 2.2999999, 5, ...Array.from({ length: 500 }, () => rng.next() * 3)]);
    const ranks = volRanks(xs, t, new Uint8Array(xs.length));
    xs.forEach((x, k) => expect(VOL_REGIMES[ranks[k]]).toBe(classifyVolRegime(x, { thresholds: t })));
  });

  it('regimeCodes agrees with classifySpotRegime, boundaries and NaN heat included', () => {
    const cfg = parseConfig({ regime: { ignition: { min_heat: 0.6, min_price_z: 1, min_volume_z: 1.5 }, cooling: { max_heat: 0.4, max_price_z: -0.5, max_volume_z: 0.5 }, chop: { max_heat: 0.5, max_abs_price_z: 0.5, max_volume_z: 1 } } }).regime;
    const rng = new Mulberry32(9);
    const edges = [-0.5, 0.5, 1, 1.5, 0.4, 0.6, 0];
    const cases: [number, number, number][] = [[NaN, 0, 0], [0.6, 1, 1.5], [0.6, -1, 1.5], [0.4, -0.5, 0.5], [0.4, 0.5, 0.5], [0.5, 0.5, 1], [0.5, -0.5, 1]];
    for (let i = 0; i < 2000; i++) {
      const pick = () => (rng.next() < 0.3 ? edges[rng.below(edges.length)] : rng.next() * 4 - 2);
      cases.push([rng.next() < 0.3 ? edges[rng.below(edges.length)] : rng.next(), pick(), pick()]);
    }
    const bars = { heat: Float64Array.from(cases, (c) => c[0]), priceZ: Float64Array.from(cases, (c) => c[1]), volumeZ: Float64Array.from(cases, (c) => c[2]) };
    const codes = regimeCodes(bars, cfg, new Uint8Array(cases.length));
    cases.forEach(([h, p, v], k) => expect(SPOT_REGIMES[codes[k] - 1]).toBe(classifySpotRegime(h, p, v, cfg)));
    // no price z: no regime at all
    expect(regimeCodes({ heat: Float64Array.of(0.5), priceZ: Float64Array.of(NaN), volumeZ: Float64Array.of(0) }, cfg, new Uint8Array(1))[0]).toBe(0);
  });
});

describe('config key table', () => {
  it('classifies every key of the config explicitly', () => {
    const unclassified = leafPaths(defaultConfig()).filter((p) => keyKind(p) === null);
    expect(unclassified).toEqual([]);
    expect(keyKind('cooldown.FUNDING_ANOMALY.cooldown_hours')).toBe('threshold');
    expect(keyKind('volatility.window_hours')).toBe('feature');
    expect(keyKind('volatility.risk_multipliers.EXTREME')).toBe('inert');
  });

  it('shares a feature key across threshold variants and falls back to the Pipeline for an unknown key', () => {
    const a = planEvaluation(parseConfig({ volatility: { thresholds: { extreme: 3 } }, rules: { funding_abs_z: 3 } }));
    const b = planEvaluation(parseConfig({ volatility: { window_hours: 12 } }));
    expect(a.featureKey).toBe(planEvaluation(base).featureKey);
    expect(b.featureKey).not.toBe(a.featureKey);
    const table = Object.fromEntries(Object.entries(CONFIG_KEYS).filter(([k]) => k !== 'rules.funding_abs_z'));
    const fallback = planEvaluation(base, table);
    expect(fallback.mode).toBe('replay');
    expect(fallback.unclassified).toEqual(['rules.funding_abs_z']);
  });
});

describe('ColumnarEvaluator.forgetValues (a kept worker between sweeps)', () => {
  it('drops the candidates cached by configuration values and gives the same alerts afterwards', () => {
    const e = new ColumnarEvaluator(features);
    const cfg = parseConfig(THRESHOLD_CONFIGS[0]);
    const first = materialiseAlerts(features, e.evaluate(cfg));
    // a key's candidates are kept from its second use on
    e.evaluate(cfg);
    const held = e as unknown as { cache: Map<string, unknown>; seen: Set<string> };
    expect(held.cache.size).toBeGreaterThan(0);
    expect(held.seen.size).toBeGreaterThan(0);
    e.forgetValues();
    expect(held.cache.size).toBe(0);
    expect(held.seen.size).toBe(0);
    expect(materialiseAlerts(features, e.evaluate(cfg)).map(key)).toEqual(first.map(key));
    // nothing kept from before: the next use is a first one again
    expect(held.cache.size).toBe(0);
  });
});

describe('scorableFromColumns (the report\'s selected alerts, built from a worker\'s columns)', () => {
  it('gives toScorable of the materialised alerts, field for field, ids included', () => {
    let pairAlerts = 0;
    for (const json of THRESHOLD_CONFIGS) {
      const cols = evaluator.evaluate(parseConfig(json));
      pairAlerts += cols.slot.filter((s) => s >= features.symbols.length).length;
      const expected = materialiseAlerts(features, cols).map((a) =>
        toScorable({ id: a.id, ts: a.ts, symbol: a.symbol, event_type: a.event_type, severity: a.severity, source: a.source, direction: a.direction, data: { leader: a.leader } }),
      );
      const ids = alertIdsOf(features, cols);
      // key order included: the scorer's JSON of them is the same
      expect(JSON.stringify(scorableFromColumns(features, cols, ids))).toBe(JSON.stringify(expected));
      expect(() => scorableFromColumns(features, cols, ids.slice(1))).toThrow(/id characters for/);
    }
    // pair alerts among them: scored on the symbol their leader is expected to move
    expect(pairAlerts).toBeGreaterThan(0);
  });
});
