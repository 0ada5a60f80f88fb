/**
 * The alert rules (rules.ts) and the cooldown filter applied to cached feature columns: for the same configuration it
 * emits exactly the alerts the Pipeline emits (same ids, hours, symbols, event types, severities, in the
 * same order), proved against runReplay on the bundled data in evaluate.test.ts.
 *
 * Why it is fast: the cooldown state is per (event type, symbol or pair) and never interacts across keys, so
 * each rule produces a list of candidate hours per key, and the cooldown walks only those lists. A rule's
 * candidates depend on a few keys only, so they are cached by those keys' values: a sweep over volatility
 * thresholds re-derives the volatility candidates and reuses everyone else's.
 */
import { alertId, EVENT_SOURCE, EVENT_TYPES, type AlertSeverity, type AlertSource, type EventType } from '../pipeline/alerts.ts';
import type { PipelineConfig } from '../pipeline/config.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import { stableStringify } from '../pipeline/load-config.ts';
import { cooldownSlots, cooldownVerdict, type CooldownRule } from '../pipeline/cooldown.ts';
import { toDirection, type Direction } from '../pipeline/rule-definitions.ts';
import { buildIndex, type FeatureIndex } from './feature-index.ts';
import type { FeatureSet } from './features.ts';
import { RULES, SEVERITIES, SYMBOL_RULES, type Candidates, type Rule } from './rules.ts';

export { SEVERITIES };

const TYPE_INDEX = Object.fromEntries(EVENT_TYPES.map((t, i) => [t, i])) as Record<EventType, number>;

/** emitted alerts as columns, ordered as the Pipeline emits them */
export interface AlertColumns {
  n: number;
  /** hour index since FeatureSet.firstHour */
  hour: Int32Array;
  /** index into EVENT_TYPES */
  type: Uint8Array;
  /** symbol index, or symbol count + pair index */
  slot: Int32Array;
  /** index into SEVERITIES */
  severity: Uint8Array;
  /** +1, −1, 0 (none) */
  direction: Int8Array;
}

/** the cooldown policy (cooldownVerdict, as the Pipeline applies it) over one key's candidate hours in order; writes the emitted indices into `out` */
function applyCooldown(fs: FeatureSet, c: Candidates, rule: CooldownRule, out: Int32Array): number {
  const slot = cooldownSlots(1);
  const hours = c.hours;
  const transitionOnly = rule.transition_only;
  let n = 0;
  for (let k = 0; k < hours.length; k++) {
    // the hours ascend without repeats: a candidate right after another is a transition, suppressed, and what the
    // verdict records for it (the hour it was true) no later verdict can tell from the previous candidate's,
    // since the next one to be judged is not the hour after (a funding settlement stands for hours: most of its
    // candidates end here)
    if (transitionOnly && k > 0 && hours[k - 1] === hours[k] - 1) continue;
    if (cooldownVerdict(slot, 0, fs.firstHour + hours[k] * HOUR_MS, rule) === null) out[n++] = k;
  }
  return n;
}

export interface EvaluateRange {
  /** first kept hour (epoch ms, inclusive); earlier hours only warm the cooldown state up */
  from?: number;
  /** last kept hour (epoch ms, inclusive) */
  until?: number;
}

function bytesOf(c: readonly Candidates[]): number {
  let n = 0;
  for (const x of c) n += x.hours.byteLength + x.severity.byteLength + x.direction.byteLength;
  return n;
}

/** Evaluates configurations against one feature set; caches each rule's candidates by the values it reads. */
export class ColumnarEvaluator {
  readonly features: FeatureSet;
  private readonly cache = new Map<string, Candidates[]>();
  private cacheBytes = 0;
  /** memory the candidate cache may hold: a long-running sweep must not grow with the configurations seen (a
   * rule's candidates are ~100 KB at most on the bundled data: a grid's few values per rule fit many times over) */
  private readonly cacheLimit: number;
  private scratch = new Int32Array(1024);
  private index: FeatureIndex | null = null;
  private counts = new Int32Array(0);

  /** whether a rule's run heads (rules.ts) stand in for its candidates under a transition-only cooldown: false only to test them */
  private readonly useHeads: boolean;

  constructor(features: FeatureSet, cacheLimitBytes = 8 * 2 ** 20, options: { heads?: boolean } = {}) {
    this.features = features;
    this.cacheLimit = cacheLimitBytes;
    this.useHeads = options.heads ?? true;
  }

  /**
   * each slot's candidates, or only their run heads when the cooldown is transition-only: applyCooldown skips every
   * other candidate without a verdict, so both give the same alerts
   */
  private candidates(rule: Rule, cfg: PipelineConfig): Candidates[] {
    const heads = this.useHeads && rule.heads !== undefined && cfg.cooldown[rule.type].transition_only ? rule.heads : null;
    const key = `${rule.type}|${heads === null ? '' : 'heads|'}${stableStringify(rule.inputs(cfg))}`;
    let c = this.cache.get(key);
    if (c !== undefined) {
      // refresh: the Map's insertion order is the eviction order
      this.cache.delete(key);
      this.cache.set(key, c);
      return c;
    }
    const fs = this.features;
    const slots = rule.type === 'CORRELATION_BREAK' ? fs.pairs.length : fs.symbols.length;
    const x = (this.index ??= buildIndex(fs));
    const make = heads ?? rule.candidates;
    c = Array.from({ length: slots }, (_, s) => make(x, s, cfg, fs));
    this.cache.set(key, c);
    this.cacheBytes += bytesOf(c);
    while (this.cacheBytes > this.cacheLimit && this.cache.size > 1) {
      const oldest = this.cache.keys().next().value!;
      this.cacheBytes -= bytesOf(this.cache.get(oldest)!);
      this.cache.delete(oldest);
    }
    return c;
  }

  evaluate(cfg: PipelineConfig, range: EvaluateRange = {}): AlertColumns {
    const fs = this.features;
    if (cfg.symbols.length !== fs.symbols.length || cfg.symbols.some((s, i) => s !== fs.symbols[i])) {
      throw new Error(`evaluate: configuration symbols ${cfg.symbols.join(',')} differ from the feature set's ${fs.symbols.join(',')}`);
    }
    const fromIdx = range.from === undefined ? 0 : Math.max(0, Math.ceil((range.from - fs.firstHour) / HOUR_MS));
    const untilIdx = range.until === undefined ? fs.hours - 1 : Math.min(fs.hours - 1, Math.floor((range.until - fs.firstHour) / HOUR_MS));
    const nSym = fs.symbols.length;
    // emission order inside an hour: symbols in config order, each symbol's rules in Pipeline order, then pairs
    const ranks = nSym * SYMBOL_RULES.length + fs.pairs.length;
    const parts: { c: Candidates; idx: Int32Array; n: number; rank: number; type: number; slot: number }[] = [];
    let total = 0;
    for (const type of EVENT_TYPES) {
      const lists = this.candidates(RULES[type], cfg);
      const policy = cfg.cooldown[type];
      for (let s = 0; s < lists.length; s++) {
        const c = lists[s];
        if (c.hours.length === 0) continue;
        if (this.scratch.length < c.hours.length) this.scratch = new Int32Array(c.hours.length * 2);
        const n = applyCooldown(fs, c, policy, this.scratch);
        let kept = 0;
        const idx = new Int32Array(n);
        for (let k = 0; k < n; k++) {
          const h = c.hours[this.scratch[k]];
          if (h >= fromIdx && h <= untilIdx) idx[kept++] = this.scratch[k];
        }
        if (kept === 0) continue;
        const isPair = type === 'CORRELATION_BREAK';
        const rank = isPair ? nSym * SYMBOL_RULES.length + s : s * SYMBOL_RULES.length + SYMBOL_RULES.indexOf(type);
        parts.push({ c, idx, n: kept, rank, type: TYPE_INDEX[type], slot: isPair ? nSym + s : s });
        total += kept;
      }
    }
    // a stable counting sort by hour over the parts in rank order: exactly the Pipeline's emission order
    parts.sort((a, b) => a.rank - b.rank);
    const hours = fs.hours;
    if (this.counts.length < hours + 1) this.counts = new Int32Array(hours + 1);
    const start = this.counts;
    start.fill(0, 0, hours + 1);
    for (const p of parts) for (let k = 0; k < p.n; k++) start[p.c.hours[p.idx[k]] + 1]++;
    for (let h = 0; h < hours; h++) start[h + 1] += start[h];
    const out: AlertColumns = {
      n: total,
      hour: new Int32Array(total),
      type: new Uint8Array(total),
      slot: new Int32Array(total),
      severity: new Uint8Array(total),
      direction: new Int8Array(total),
    };
    for (const p of parts) {
      for (let k = 0; k < p.n; k++) {
        const j = p.idx[k];
        const h = p.c.hours[j];
        const at = start[h]++;
        out.hour[at] = h;
        out.type[at] = p.type;
        out.slot[at] = p.slot;
        out.severity[at] = p.c.severity[j];
        out.direction[at] = p.c.direction[j];
      }
    }
    return out;
  }
}

export interface EvaluatedAlert {
  id: string;
  ts: number;
  /** a symbol, or `A/B` for a pair */
  symbol: string;
  event_type: EventType;
  severity: AlertSeverity;
  source: AlertSource;
  direction: Direction;
  /** the pair's leader at the alert hour (pair alerts only): decides which symbol the alert is scored on */
  leader: string | null;
}

export function slotName(fs: FeatureSet, slot: number): string {
  const n = fs.symbols.length;
  if (slot < n) return fs.symbols[slot];
  const p = fs.pairs[slot - n];
  return `${fs.symbols[p.a]}/${fs.symbols[p.b]}`;
}

/** the alerts as objects with the Pipeline's ids (hashing is the slow part, so only on request) */
export function materialiseAlerts(fs: FeatureSet, cols: AlertColumns): EvaluatedAlert[] {
  const out: EvaluatedAlert[] = [];
  const nSym = fs.symbols.length;
  for (let k = 0; k < cols.n; k++) {
    const type = EVENT_TYPES[cols.type[k]];
    const ts = fs.firstHour + cols.hour[k] * HOUR_MS;
    const symbol = slotName(fs, cols.slot[k]);
    let leader: string | null = null;
    if (cols.slot[k] >= nSym) {
      const p = fs.pairs[cols.slot[k] - nSym];
      const l = p.leader[cols.hour[k]];
      leader = l === 1 ? fs.symbols[p.a] : l === -1 ? fs.symbols[p.b] : null;
    }
    out.push({
      id: alertId(type, symbol, ts),
      ts,
      symbol,
      event_type: type,
      severity: SEVERITIES[cols.severity[k]],
      source: EVENT_SOURCE[type],
      direction: toDirection(cols.direction[k]),
      leader,
    });
  }
  return out;
}
