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
import type { CooldownRule } from '../pipeline/cooldown.ts';
import { laggingSide, toDirection, type Direction } from '../pipeline/rule-definitions.ts';
import type { ScorableAlert } from '../score/types.ts';
import { buildIndex, type FeatureIndex } from './feature-index.ts';
import type { FeatureSet } from './features.ts';
import { forgetRuleValues, releaseCandidates, RULES, SEVERITIES, SYMBOL_RULES, type Candidates, type Rule } from './rules.ts';

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

const DAY_MS = 24 * HOUR_MS;

/** the emitted candidates of every part, one part after another: each one's index in its candidates and its hour */
interface Kept {
  index: Int32Array;
  hour: Int32Array;
}

/**
 * cooldownVerdict (the Pipeline's cooldown policy) over one key's candidate hours, ascending without repeats: the
 * key's state in locals rather than a slot, with the same arithmetic in milliseconds (evaluate-reference.test.ts
 * proves it equal to cooldownVerdict). Appends to `out` from `at` the emitted candidates whose hour lies in
 * [from, until] (earlier hours only warm the state up); returns the new end.
 */
export function applyCooldown(firstHour: number, hours: Int32Array, rule: CooldownRule, from: number, until: number, out: Kept, at: number): number {
  const transitionOnly = rule.transition_only;
  const cooldownMs = rule.cooldown_hours * HOUR_MS;
  const maxPerDay = rule.max_per_day;
  const { index, hour } = out;
  // cooldownVerdict's UTC day of hour h is (h + dayPhase) / 24 rounded down, days counted from firstHour's: whole
  // hours of a whole-hour phase cross midnight together with the milliseconds (an integer division per day change
  // instead of a float one, which took a fifth of this loop: candidates are mostly a day or more apart)
  const dayPhase = Math.floor((firstHour - Math.floor(firstHour / DAY_MS) * DAY_MS) / HOUR_MS);
  let previous = -2;
  let lastEmitTs = NaN;
  let nextDay = -1;
  let dayCount = 0;
  let n = at;
  for (let k = 0; k < hours.length; k++) {
    const h = hours[k];
    // every candidate records its hour as the last one true
    const wasTrue = previous === h - 1;
    previous = h;
    if (transitionOnly && wasTrue) continue;
    const ts = firstHour + h * HOUR_MS;
    if (ts - lastEmitTs < cooldownMs) continue;
    // the day moves on exactly when h reaches the next day's first hour (ascending): one division per day
    if (h >= nextDay) {
      nextDay = (((h + dayPhase) / 24) | 0) * 24 + 24 - dayPhase;
      dayCount = 0;
    }
    if (dayCount >= maxPerDay) continue;
    lastEmitTs = ts;
    dayCount++;
    if (h < from || h > until) continue;
    index[n] = k;
    hour[n++] = h;
  }
  return n;
}

export interface EvaluateRange {
  /** first kept hour (epoch ms, inclusive); earlier hours only warm the cooldown state up */
  from?: number;
  /** last kept hour (epoch ms, inclusive) */
  until?: number;
}

function copyOf(c: Candidates): Candidates {
  return { hours: c.hours.slice(), severity: c.severity.slice(), direction: c.direction.slice() };
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
  /** the candidate keys met once and not cached (oldest first) */
  private readonly seen = new Set<string>();
  private cacheBytes = 0;
  /** memory the candidate cache may hold: a long-running sweep must not grow with the configurations seen (a
   * rule's candidates are ~100 KB at most on the bundled data: a grid's few values per rule fit many times over) */
  private readonly cacheLimit: number;
  private index: FeatureIndex | null = null;
  /** every part's emitted candidates (evaluate), and emit's sort's buffers: all grown as needed */
  private kept: Kept = { index: new Int32Array(1024), hour: new Int32Array(1024) };
  private sorting = { hour: new Int32Array(1024), alert: new Int32Array(1024), byLow: new Int32Array(LOW_HOURS + 1), byHigh: new Int32Array(0) };
  /** the output when the caller lets it be reused (evaluate's `reuse`), grown as needed */
  private own: AlertColumns = { n: 0, hour: new Int32Array(0), type: new Uint8Array(0), slot: new Int32Array(0), severity: new Uint8Array(0), direction: new Int8Array(0) };

  /** whether a rule's run heads (rules.ts) stand in for its candidates under a transition-only cooldown: false only to test them */
  private readonly useHeads: boolean;

  constructor(features: FeatureSet, cacheLimitBytes = 8 * 2 ** 20, options: { heads?: boolean } = {}) {
    this.features = features;
    this.cacheLimit = cacheLimitBytes;
    this.useHeads = options.heads ?? true;
  }

  /**
   * drops every cache of values configurations took (this evaluator's candidates, the rules' per-value runs and
   * rises), keeping what was built from the feature set alone: a kept worker's next sweep (SweepJobs.renew) then
   * costs what it would in a new worker, less the building, whatever sweeps came before
   */
  forgetValues(): void {
    this.cache.clear();
    this.seen.clear();
    this.cacheBytes = 0;
    if (this.index !== null) forgetRuleValues(this.index);
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
    // kept from a key's second use on: a random sweep's values never repeat, and holding its candidates until the
    // cache evicts them only fed the old-generation collector (a grid's repeats cost one evaluation more each)
    if (!this.seen.has(key)) {
      this.seen.add(key);
      if (this.seen.size > SEEN_KEYS) this.seen.delete(this.seen.values().next().value!);
      return c;
    }
    // a rule may return views of its own state (rules.ts): what outlives this evaluation is a copy
    c = c.map(copyOf);
    this.cache.set(key, c);
    this.cacheBytes += bytesOf(c);
    while (this.cacheBytes > this.cacheLimit && this.cache.size > 1) {
      const oldest = this.cache.keys().next().value!;
      this.cacheBytes -= bytesOf(this.cache.get(oldest)!);
      this.cache.delete(oldest);
    }
    return c;
  }

  /**
   * The configuration's alerts in the Pipeline's order. With `reuse`, the columns are the evaluator's own arrays
   * (views of length n), overwritten by the next evaluate(..., true): for a caller that is done with them by then
   * (the sweep's worker scores them at once), no new arrays per configuration.
   */
  evaluate(cfg: PipelineConfig, range: EvaluateRange = {}, reuse = false): AlertColumns {
    const fs = this.features;
    if (cfg.symbols.length !== fs.symbols.length || cfg.symbols.some((s, i) => s !== fs.symbols[i])) {
      throw new Error(`evaluate: configuration symbols ${cfg.symbols.join(',')} differ from the feature set's ${fs.symbols.join(',')}`);
    }
    const fromIdx = range.from === undefined ? 0 : Math.max(0, Math.ceil((range.from - fs.firstHour) / HOUR_MS));
    const untilIdx = range.until === undefined ? fs.hours - 1 : Math.min(fs.hours - 1, Math.floor((range.until - fs.firstHour) / HOUR_MS));
    const nSym = fs.symbols.length;
    // the last configuration's candidates are done with (the cache holds copies): their builders serve this one's
    releaseCandidates();
    // emission order inside an hour: symbols in config order, each symbol's rules in Pipeline order, then pairs
    const parts: { c: Candidates; at: number; n: number; rank: number; type: number; slot: number }[] = [];
    let total = 0;
    for (const type of EVENT_TYPES) {
      const lists = this.candidates(RULES[type], cfg);
      const policy = cfg.cooldown[type];
      for (let s = 0; s < lists.length; s++) {
        const c = lists[s];
        if (c.hours.length === 0) continue;
        if (this.kept.index.length < total + c.hours.length) this.kept = grownKept(this.kept, total, total + c.hours.length);
        const end = applyCooldown(fs.firstHour, c.hours, policy, fromIdx, untilIdx, this.kept, total);
        if (end === total) continue;
        const isPair = type === 'CORRELATION_BREAK';
        const rank = isPair ? nSym * SYMBOL_RULES.length + s : s * SYMBOL_RULES.length + SYMBOL_RULES.indexOf(type);
        parts.push({ c, at: total, n: end - total, rank, type: TYPE_INDEX[type], slot: isPair ? nSym + s : s });
        total = end;
      }
    }
    parts.sort((a, b) => a.rank - b.rank);
    const out = reuse ? this.ownColumns(total) : allocColumns(total);
    this.emit(parts, out);
    return out;
  }

  private ownColumns(n: number): AlertColumns {
    let o = this.own;
    if (o.hour.buffer.byteLength < n * Int32Array.BYTES_PER_ELEMENT) this.own = o = allocColumns(2 * n);
    const buf = o;
    return {
      n,
      hour: new Int32Array(buf.hour.buffer, 0, n),
      type: new Uint8Array(buf.type.buffer, 0, n),
      slot: new Int32Array(buf.slot.buffer, 0, n),
      severity: new Uint8Array(buf.severity.buffer, 0, n),
      direction: new Int8Array(buf.direction.buffer, 0, n),
    };
  }

  /**
   * the parts' alerts (parts in rank order, each ascending in hour) in the Pipeline's emission order: by hour, then
   * rank. Two stable counting sorts, by the hour's low LOW_BITS bits and then by the rest (a radix sort): equal
   * hours keep the parts' order. The counts cover a sixteenth of the hours instead of every hour, and no pass
   * moves an alert twice within a pass; the first pass carries each alert's other columns packed in one number
   */
  private emit(parts: readonly { c: Candidates; at: number; n: number; type: number; slot: number }[], out: AlertColumns): void {
    const total = out.n;
    const { index, hour: keptHour } = this.kept;
    const s = this.sortBuffers(total);
    const { byLow, byHigh } = s;
    const highs = (this.features.hours >> LOW_BITS) + 1;
    byLow.fill(0);
    byHigh.fill(0, 0, highs + 1);
    for (let g = 0; g < total; g++) {
      const h = keptHour[g];
      byLow[(h & LOW_MASK) + 1]++;
      byHigh[(h >> LOW_BITS) + 1]++;
    }
    for (let b = 0; b < LOW_HOURS; b++) byLow[b + 1] += byLow[b];
    for (let b = 0; b < highs; b++) byHigh[b + 1] += byHigh[b];
    const { hour: lowHour, alert } = s;
    for (const p of parts) {
      const { severity: sev, direction: dir } = p.c;
      const tag = p.type | (p.slot << SLOT_SHIFT);
      for (let g = p.at; g < p.at + p.n; g++) {
        const h = keptHour[g];
        const j = index[g];
        const at = byLow[h & LOW_MASK]++;
        lowHour[at] = h;
        alert[at] = tag | (sev[j] << SEVERITY_SHIFT) | ((dir[j] + 1) << DIRECTION_SHIFT);
      }
    }
    const { hour, type, slot, severity, direction } = out;
    for (let i = 0; i < total; i++) {
      const h = lowHour[i];
      const a = alert[i];
      const at = byHigh[h >> LOW_BITS]++;
      hour[at] = h;
      type[at] = a & TYPE_MASK;
      severity[at] = (a >> SEVERITY_SHIFT) & 3;
      direction[at] = ((a >> DIRECTION_SHIFT) & 3) - 1;
      slot[at] = a >>> SLOT_SHIFT;
    }
  }

  private sortBuffers(total: number) {
    const s = this.sorting;
    if (s.hour.length < total) s.hour = new Int32Array(2 * total);
    if (s.alert.length < total) s.alert = new Int32Array(2 * total);
    const highs = (this.features.hours >> LOW_BITS) + 1;
    if (s.byHigh.length < highs + 1) s.byHigh = new Int32Array(highs + 1);
    return s;
  }
}

/** how many keys met once the evaluator remembers: a grid's values of a rule's inputs are far fewer */
const SEEN_KEYS = 4096;

/** emit's radix sort: its first pass sorts by the hour's low LOW_BITS bits */
const LOW_BITS = 4;
const LOW_HOURS = 1 << LOW_BITS;
const LOW_MASK = LOW_HOURS - 1;
/** an alert's columns but the hour, packed for the sort: type (EVENT_TYPES: 6), severity (3), direction + 1, slot */
const TYPE_MASK = 7;
const SEVERITY_SHIFT = 3;
const DIRECTION_SHIFT = 5;
const SLOT_SHIFT = 7;
// a new event type or severity must widen the packing, not overflow into its neighbour's bits
if (EVENT_TYPES.length > TYPE_MASK + 1 || SEVERITIES.length > 1 << (DIRECTION_SHIFT - SEVERITY_SHIFT)) throw new Error('evaluate.ts: widen emit\'s packed columns');

/** a copy of the first `used` entries with room for `need` */
function grownKept(k: Kept, used: number, need: number): Kept {
  const index = new Int32Array(2 * need);
  const hour = new Int32Array(2 * need);
  index.set(k.index.subarray(0, used));
  hour.set(k.hour.subarray(0, used));
  return { index, hour };
}

function allocColumns(n: number): AlertColumns {
  return { n, hour: new Int32Array(n), type: new Uint8Array(n), slot: new Int32Array(n), severity: new Uint8Array(n), direction: new Int8Array(n) };
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

/** an alert id's length (alertId: the first 16 hex digits of a SHA-1) */
const ID_CHARS = 16;

/**
 * the alerts' Pipeline ids end to end in one string (ID_CHARS each): one string crosses threads as one copy, where an
 * object per alert had to be cloned field by field and rebuilt
 */
export function alertIdsOf(fs: FeatureSet, cols: AlertColumns): string {
  const ids: string[] = [];
  for (let k = 0; k < cols.n; k++) {
    const id = alertId(EVENT_TYPES[cols.type[k]], slotName(fs, cols.slot[k]), fs.firstHour + cols.hour[k] * HOUR_MS);
    if (id.length !== ID_CHARS) throw new Error(`alertIdsOf: an id of ${id.length} characters, not ${ID_CHARS}`);
    ids.push(id);
  }
  return ids.join('');
}

/**
 * the alerts as the scorer takes them, with their ids (alertIdsOf): field for field what toScorable makes of
 * materialiseAlerts' objects (a pair alert on the symbol its leader is expected to move). Built where the report runs
 * from what a worker sends: ≈ 12,000 alert objects took ≈ 80 ms to clone across and rebuild on its critical path
 */
export function scorableFromColumns(fs: FeatureSet, cols: AlertColumns, ids: string): ScorableAlert[] {
  if (ids.length !== cols.n * ID_CHARS) throw new Error(`scorableFromColumns: ${ids.length} id characters for ${cols.n} alerts`);
  const nSym = fs.symbols.length;
  const out: ScorableAlert[] = [];
  for (let k = 0; k < cols.n; k++) {
    const type = EVENT_TYPES[cols.type[k]];
    const slot = cols.slot[k];
    let symbol = slot;
    if (slot >= nSym) {
      const p = fs.pairs[slot - nSym];
      symbol = laggingSide(p.leader[cols.hour[k]]) === 'a' ? p.a : p.b;
    }
    const direction = cols.direction[k] as 1 | -1 | 0;
    const id = ids.slice(k * ID_CHARS, (k + 1) * ID_CHARS);
    out.push({ id, ts: fs.firstHour + cols.hour[k] * HOUR_MS, symbol: fs.symbols[symbol], event_type: type, severity: SEVERITIES[cols.severity[k]], source: EVENT_SOURCE[type], direction });
  }
  return out;
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
