/**
 * Which config keys change the detector state (and so need a new feature replay) and which only move a
 * threshold that can be re-applied to cached feature columns. A sweep over threshold keys replays the
 * detectors once; a change of any feature key replays them again for that key set.
 *
 *   feature    changes what the detectors compute (windows, coverage rules, the leader margin that picks a
 *              pair alert's scoring symbol): a separate feature replay per distinct value set
 *   threshold  re-applied by the columnar evaluator to the cached columns (engine/sweep/evaluate.ts)
 *   inert      changes only alert text/data or feature columns no rule reads (risk multipliers, liquidation
 *              zones, the clustering probability, the funding watch state): same alerts, same scores
 *
 * A key missing from this table (a config key added later) makes the sweep run the whole Pipeline replay for
 * that configuration instead of the columnar evaluator: slower, never wrong.
 */
import { defaultConfig, type PipelineConfig } from '../pipeline/config.ts';
import { configHash, stableStringify } from '../pipeline/load-config.ts';

export type KeyKind = 'feature' | 'threshold' | 'inert';

/** `*` matches one path segment (an event type of the cooldown policy) */
export const CONFIG_KEYS: Readonly<Record<string, KeyKind>> = Object.freeze({
  symbols: 'feature',

  'cascade.window_hours': 'feature',
  'cascade.cascade_threshold_usd': 'threshold',
  // the side bias gives a cascade alert its direction, which the scorecard's directional metrics read
  'cascade.side_bias_share': 'feature',
  'cascade.severity_velocity_usd_h': 'threshold',
  'cascade.mode': 'threshold',
  'cascade.relative.baseline_hours': 'feature',
  'cascade.relative.min_coverage': 'feature',
  'cascade.relative.log_velocity': 'feature',
  'cascade.relative.severity_z': 'threshold',
  'cascade.relative.cascade_z': 'threshold',
  'cascade.relative.min_total_usd': 'threshold',
  'cascade.zones.lookback_hours': 'inert',
  'cascade.zones.bin_width_pct': 'inert',
  'cascade.zones.top_n': 'inert',

  'funding.lookback_days': 'feature',
  // anomaly_z also marks settlements "extreme" for the reversal rule: the evaluator recomputes that per settlement
  'funding.anomaly_z': 'threshold',
  'funding.watch_z': 'inert',
  'funding.min_coverage': 'feature',
  'funding.min_settlements': 'feature',
  'funding.reversal_lookback_settlements': 'threshold',
  'funding.stale_after_hours': 'threshold',

  'volatility.window_hours': 'feature',
  'volatility.baseline_hours': 'feature',
  'volatility.min_coverage': 'feature',
  'volatility.thresholds.high_vol': 'threshold',
  'volatility.thresholds.explosive': 'threshold',
  'volatility.thresholds.extreme': 'threshold',
  'volatility.risk_multipliers.STABLE': 'inert',
  'volatility.risk_multipliers.HIGH_VOL': 'inert',
  'volatility.risk_multipliers.EXPLOSIVE': 'inert',
  'volatility.risk_multipliers.EXTREME': 'inert',
  'volatility.cluster_window_hours': 'inert',
  'volatility.cluster_min_events': 'inert',

  'regime.lookback_bars.1h': 'feature',
  'regime.lookback_bars.4h': 'feature',
  'regime.lookback_bars.1d': 'feature',
  'regime.lookback_bars.1w': 'feature',
  'regime.ignition.min_heat': 'threshold',
  'regime.ignition.min_price_z': 'threshold',
  'regime.ignition.min_volume_z': 'threshold',
  'regime.capitulation.min_heat': 'threshold',
  'regime.capitulation.max_price_z': 'threshold',
  'regime.capitulation.min_volume_z': 'threshold',
  'regime.churn.max_abs_price_z': 'threshold',
  'regime.churn.min_volume_z': 'threshold',
  'regime.warming.max_heat': 'threshold',
  'regime.warming.min_price_z': 'threshold',
  'regime.warming.max_volume_z': 'threshold',
  'regime.cooling.max_heat': 'threshold',
  'regime.cooling.max_price_z': 'threshold',
  'regime.cooling.max_volume_z': 'threshold',
  'regime.chop.max_heat': 'threshold',
  'regime.chop.max_abs_price_z': 'threshold',
  'regime.chop.max_volume_z': 'threshold',
  'regime.use_external_heat': 'feature',
  'regime.min_coverage': 'feature',

  'correlation.window_hours': 'feature',
  'correlation.normal_hours': 'feature',
  'correlation.min_coverage': 'feature',
  'correlation.break_drop': 'threshold',
  'correlation.break_level': 'threshold',
  'correlation.max_lag_hours': 'feature',
  // the leader decides which symbol a correlation break is scored on, and only its verdict is a column
  'correlation.leader_margin': 'feature',
  // which pairs exist changes the detector's state and the pair columns
  'correlation.pairs': 'feature',
  'correlation.anchors': 'feature',

  'rules.cascade_min_severity': 'threshold',
  'rules.funding_abs_z': 'threshold',
  'rules.regime_min_confidence': 'threshold',

  'cooldown.*.transition_only': 'threshold',
  'cooldown.*.cooldown_hours': 'threshold',
  'cooldown.*.max_per_day': 'threshold',
});

const memo = new WeakMap<object, Map<string, KeyKind | null>>();

export function keyKind(path: string, table: Readonly<Record<string, KeyKind>> = CONFIG_KEYS): KeyKind | null {
  let known = memo.get(table);
  if (!known) memo.set(table, (known = new Map()));
  let kind = known.get(path);
  if (kind === undefined) known.set(path, (kind = lookup(path, table)));
  return kind;
}

function lookup(path: string, table: Readonly<Record<string, KeyKind>>): KeyKind | null {
  const exact = table[path];
  if (exact) return exact;
  const parts = path.split('.');
  for (const [pattern, kind] of Object.entries(table)) {
    const p = pattern.split('.');
    if (p.length === parts.length && p.every((s, i) => s === '*' || s === parts[i])) return kind;
  }
  return null;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** dotted paths of every leaf (arrays are leaves: a list of bounds is one value) */
export function leafPaths(value: unknown, prefix = ''): string[] {
  if (!isPlainObject(value)) return prefix ? [prefix] : [];
  const out: string[] = [];
  for (const k of Object.keys(value)) out.push(...leafPaths(value[k], prefix ? `${prefix}.${k}` : k));
  return out;
}

export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (!isPlainObject(cur) || !(k in cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/** sets a dotted path, creating the objects on the way (mutates obj) */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = cur[parts[i]];
    if (!isPlainObject(next)) cur[parts[i]] = {};
    cur = cur[parts[i]] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]] = value;
}

/** a path the default config has (a leaf or a whole section) */
export function isConfigPath(path: string): boolean {
  return getPath(defaultConfig(), path) !== undefined;
}

export interface EvaluationPlan {
  /** 'columns': cached features + the columnar evaluator; 'replay': the whole Pipeline (an unclassified key) */
  mode: 'columns' | 'replay';
  /** hash of the feature keys' values: configurations with the same one share a feature replay */
  featureKey: string;
  /** the feature keys' values on top of the defaults: what the feature replay runs */
  featureConfig: Record<string, unknown>;
  unclassified: string[];
}

/** a leaf whose value decides the plan: a feature key's, or a key the table does not know (replayed whole) */
function decidesPlan(kind: KeyKind | null): boolean {
  return kind === 'feature' || kind === null;
}

/** `paths`: the config's leafPaths, when the caller has them already */
export function planEvaluation(config: PipelineConfig, table: Readonly<Record<string, KeyKind>> = CONFIG_KEYS, paths = leafPaths(config)): EvaluationPlan {
  const featureConfig: Record<string, unknown> = {};
  const unclassified: string[] = [];
  for (const path of paths) {
    const kind = keyKind(path, table);
    if (!decidesPlan(kind)) continue;
    if (kind === null) unclassified.push(path);
    setPath(featureConfig, path, getPath(config, path));
  }
  return {
    mode: unclassified.length > 0 ? 'replay' : 'columns',
    featureKey: configHash(featureConfig),
    featureConfig,
    unclassified,
  };
}

export { stableStringify };

/**
 * planEvaluation over a stream of configurations, as a sweep makes them: the last plan is returned again while a
 * configuration has the same leaf paths and the same values at every feature (and unclassified) leaf, which is
 * all that decides a plan. Hashing the feature keys was most of a sweep's main-thread work per configuration; a
 * sweep over thresholds hashes them once.
 */
export class EvaluationPlanner {
  private last: { shape: Shape; at: string[][]; values: unknown[]; plan: EvaluationPlan } | null = null;

  constructor(private readonly table: Readonly<Record<string, KeyKind>> = CONFIG_KEYS) {}

  plan(config: PipelineConfig): EvaluationPlan {
    const last = this.last;
    // the same keys in the same order at every level give the same leaf paths, without spelling out ≈ 150 of them
    if (last !== null && hasShape(config, last.shape) && last.at.every((parts, i) => sameLeaf(leafAt(config, parts), last.values[i]))) return last.plan;
    const paths = leafPaths(config);
    const plan = planEvaluation(config, this.table, paths);
    const at = paths.filter((p) => decidesPlan(keyKind(p, this.table))).map((p) => p.split('.'));
    this.last = { shape: shapeOf(config)!, at, values: at.map((parts) => comparable(leafAt(config, parts))), plan };
    return plan;
  }
}

/** an object's keys in order, each with its value's shape (null: a leaf, as leafPaths counts one) */
interface Shape {
  keys: string[];
  children: (Shape | null)[];
}

function shapeOf(v: unknown): Shape | null {
  if (!isPlainObject(v)) return null;
  const keys = Object.keys(v);
  return { keys, children: keys.map((k) => shapeOf(v[k])) };
}

function hasShape(v: unknown, shape: Shape | null): boolean {
  if (shape === null) return !isPlainObject(v);
  if (!isPlainObject(v)) return false;
  const { keys, children } = shape;
  let i = 0;
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    if (i >= keys.length || k !== keys[i] || !hasShape(v[k], children[i])) return false;
    i++;
  }
  return i === keys.length;
}

function leafAt(config: unknown, parts: readonly string[]): unknown {
  let cur = config;
  for (const k of parts) cur = (cur as Record<string, unknown>)[k];
  return cur;
}

/** a leaf as compared: a primitive itself, an array (a leaf too) as its text, so later changes to it cannot go unseen */
function comparable(v: unknown): unknown {
  return v !== null && typeof v === 'object' ? { text: stableStringify(v) } : v;
}

function sameLeaf(v: unknown, known: unknown): boolean {
  if (v !== null && typeof v === 'object') return known !== null && typeof known === 'object' && stableStringify(v) === (known as { text: string }).text;
  return Object.is(v, known);
}
