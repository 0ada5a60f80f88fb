import { z } from 'zod';
import { RollingWindow, orNull, type WindowStatus } from './rolling.ts';
import { BOUNDS, finiteNumber, fraction, intAtLeast, nonNegativeNumber, positiveInt, positiveNumber } from './schema.ts';

export const CorrelationConfig = z
  .object({
    window_hours: intAtLeast(3, 168, BOUNDS.windowHours),
    /** the normal is the mean of the window correlation over the previous normal_hours hours */
    normal_hours: positiveInt(720, BOUNDS.baselineHours),
    min_coverage: fraction(0.9),
    /** break when current − normal ≤ −break_drop */
    break_drop: positiveNumber(0.3),
    /** or when current ≤ break_level */
    break_level: finiteNumber(-0.5),
    max_lag_hours: positiveInt(3, 48),
    /** a leader must beat the other direction's best |lagged correlation| by more than this */
    leader_margin: nonNegativeNumber(0.05),
  })
  .strict();
export type CorrelationConfig = z.output<typeof CorrelationConfig>;

export interface PairCorrelation {
  a: string;
  b: string;
  /** lower-case `a_b`, used in feature column names */
  key: string;
  status: WindowStatus;
  /** Pearson correlation of hourly log returns over window_hours */
  corr: number | null;
  normal: number | null;
  normal_coverage: number;
  delta: number | null;
  broken: boolean | null;
  /** the symbol whose past returns better predict the other's */
  leader: string | null;
  lag_hours: number | null;
  /** signed lagged correlation of the leader at lag_hours */
  lead_strength: number | null;
}

export interface CorrelationOutput {
  ts: number;
  pairs: readonly PairCorrelation[];
}

/** Uses whichever of the two conditions is computable: without a normal only the level test applies. */
export function isCorrelationBreak(current: number, normal: number | null, cfg: Pick<CorrelationConfig, 'break_drop' | 'break_level'>): boolean {
  if (current <= cfg.break_level) return true;
  return normal !== null && current - normal <= -cfg.break_drop;
}

/**
 * best lagged |corr| in each direction → which side leads: 1 = a leads b, -1 = b leads a, 0 = neither beats
 * the other by more than margin (or neither is known).
 */
export function leadDirection(bestAB: number, bestBA: number, margin: number): 1 | -1 | 0 {
  const ab = bestAB === bestAB ? bestAB : -Infinity;
  const ba = bestBA === bestBA ? bestBA : -Infinity;
  if (ab === -Infinity && ba === -Infinity) return 0;
  if (ab > ba + margin) return 1;
  if (ba > ab + margin) return -1;
  return 0;
}

/**
 * Per symbol: the window's return statistics now and for the last max_lag hours, so a lagged correlation
 * corr(a_{t-k}, b_t) needs only one running sum per lag, of the products a_{t-k}·b_t.
 */
class SymbolReturns {
  readonly recent: RollingWindow;
  private readonly window: RollingWindow;
  private readonly means: Float64Array;
  private readonly variances: Float64Array;
  private readonly completes: Uint8Array;
  private head = 0;
  prevClose = NaN;

  constructor(windowHours: number, maxLag: number) {
    this.window = new RollingWindow(windowHours);
    this.recent = new RollingWindow(maxLag + 1);
    this.means = new Float64Array(maxLag + 1).fill(NaN);
    this.variances = new Float64Array(maxLag + 1).fill(NaN);
    this.completes = new Uint8Array(maxLag + 1);
  }

  push(r: number): void {
    this.recent.push(r);
    this.window.push(r);
    this.head = this.head + 1 === this.means.length ? 0 : this.head + 1;
    const complete = this.window.complete;
    this.completes[this.head] = complete ? 1 : 0;
    this.means[this.head] = complete ? this.window.mean() : NaN;
    this.variances[this.head] = complete ? this.window.variance() : NaN;
  }

  /** window statistics as they were k hours ago (NaN when that window was not complete) */
  meanAgo(k: number): number {
    const i = this.head - k;
    return this.means[i < 0 ? i + this.means.length : i];
  }
  varianceAgo(k: number): number {
    const i = this.head - k;
    return this.variances[i < 0 ? i + this.variances.length : i];
  }
}

class PairState {
  readonly a: number;
  readonly b: number;
  readonly key: string;
  /** index k: running sum of a_{t-k}·b_t over the window (k = 0 is the plain correlation) */
  readonly aLeads: RollingWindow[] = [];
  /** index k: running sum of b_{t-k}·a_t (index 0 unused) */
  readonly bLeads: RollingWindow[] = [];
  readonly normal: RollingWindow;

  constructor(a: number, b: number, key: string, cfg: CorrelationConfig) {
    this.a = a;
    this.b = b;
    this.key = key;
    for (let k = 0; k <= cfg.max_lag_hours; k++) {
      this.aLeads.push(new RollingWindow(cfg.window_hours));
      this.bLeads.push(new RollingWindow(k === 0 ? 1 : cfg.window_hours));
    }
    this.normal = new RollingWindow(cfg.normal_hours);
  }
}

/**
 * Pearson correlation from a complete window of products: cov = (Σxy − n·x̄·ȳ) / (n − 1). Raw product sums
 * are safe here because hourly log returns have means far below their standard deviations.
 */
function lagCorrelation(products: RollingWindow, meanX: number, varX: number, meanY: number, varY: number): number {
  if (!products.complete || !(varX > 0 && varY > 0)) return NaN;
  const n = products.capacity;
  const c = (products.sum() - n * meanX * meanY) / (n - 1) / Math.sqrt(varX * varY);
  return c > 1 ? 1 : c < -1 ? -1 : c;
}

export class CorrelationDetector {
  readonly cfg: CorrelationConfig;
  readonly symbols: readonly string[];
  private readonly returns: SymbolReturns[];
  private readonly pairs: PairState[] = [];

  constructor(symbols: readonly string[], cfg: CorrelationConfig) {
    this.cfg = cfg;
    this.symbols = symbols;
    this.returns = symbols.map(() => new SymbolReturns(cfg.window_hours, cfg.max_lag_hours));
    for (let i = 0; i < symbols.length; i++) {
      for (let j = i + 1; j < symbols.length; j++) {
        this.pairs.push(new PairState(i, j, pairKey(symbols[i], symbols[j]), cfg));
      }
    }
  }

  /** closes[i] is the close of symbols[i] for hour ts, NaN when missing */
  step(ts: number, closes: ArrayLike<number>): CorrelationOutput {
    for (let i = 0; i < this.returns.length; i++) {
      const s = this.returns[i];
      const c = closes[i] > 0 ? closes[i] : NaN;
      s.push(Math.log(c / s.prevClose));
      s.prevClose = c;
    }
    const cfg = this.cfg;
    const out: PairCorrelation[] = new Array(this.pairs.length);
    for (let j = 0; j < this.pairs.length; j++) {
      const p = this.pairs[j];
      const sa = this.returns[p.a];
      const sb = this.returns[p.b];
      const xa = sa.recent.at(0);
      const xb = sb.recent.at(0);
      p.aLeads[0].push(xa * xb);
      const meanA = sa.meanAgo(0);
      const varA = sa.varianceAgo(0);
      const meanB = sb.meanAgo(0);
      const varB = sb.varianceAgo(0);
      const corr = lagCorrelation(p.aLeads[0], meanA, varA, meanB, varB);
      let bestAB = -1;
      let lagAB = 0;
      let corrAB = NaN;
      let bestBA = -1;
      let lagBA = 0;
      let corrBA = NaN;
      for (let k = 1; k <= cfg.max_lag_hours; k++) {
        const ab = p.aLeads[k];
        const ba = p.bLeads[k];
        ab.push(sa.recent.at(k) * xb);
        ba.push(sb.recent.at(k) * xa);
        const cab = lagCorrelation(ab, sa.meanAgo(k), sa.varianceAgo(k), meanB, varB);
        const cba = lagCorrelation(ba, sb.meanAgo(k), sb.varianceAgo(k), meanA, varA);
        if (Math.abs(cab) > bestAB) {
          bestAB = Math.abs(cab);
          lagAB = k;
          corrAB = cab;
        }
        if (Math.abs(cba) > bestBA) {
          bestBA = Math.abs(cba);
          lagBA = k;
          corrBA = cba;
        }
      }
      const status = p.aLeads[0].completeStatus;
      const normalCoverage = p.normal.coverage;
      const normal = normalCoverage >= cfg.min_coverage ? orNull(p.normal.mean()) : null;
      p.normal.push(corr);
      const dir = leadDirection(bestAB < 0 ? NaN : bestAB, bestBA < 0 ? NaN : bestBA, cfg.leader_margin);
      const corrOk = corr === corr;
      out[j] = {
        a: this.symbols[p.a],
        b: this.symbols[p.b],
        key: p.key,
        status: status === 'ok' && !corrOk ? 'no_data' : status,
        corr: corrOk ? corr : null,
        normal,
        normal_coverage: normalCoverage,
        delta: corrOk && normal !== null ? corr - normal : null,
        broken: corrOk ? isCorrelationBreak(corr, normal, cfg) : null,
        leader: dir === 1 ? this.symbols[p.a] : dir === -1 ? this.symbols[p.b] : null,
        lag_hours: dir === 1 ? lagAB : dir === -1 ? lagBA : null,
        lead_strength: dir === 1 ? corrAB : dir === -1 ? corrBA : null,
      };
    }
    return { ts, pairs: out };
  }
}

export function pairKey(a: string, b: string): string {
  return `${a.toLowerCase()}_${b.toLowerCase()}`;
}
