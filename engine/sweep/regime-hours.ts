/**
 * The four-timeframe regime code of every present hour of one symbol, kept up to date from one regime config
 * to the next instead of reclassified from scratch.
 *
 * A bar's regime (spotRegimeIndex) compares its heat, price z, |price z| and volume z with thresholds. When a
 * threshold moves from a to b, only bars whose value lies between a and b can change class, so each
 * timeframe keeps its bars sorted by each feature and reclassifies just that band with the detector's own
 * function. An hour's code is a sum of per-timeframe digits, so a changed bar adds its digit's difference to
 * the hours it covers. The codes are always exactly what a full classification gives, whatever the order in
 * which configurations arrive (evaluate.test.ts compares them on random sequences).
 */
import { spotRegimeIndex, type RegimeConfig } from '../detectors/multi-timeframe-regime.ts';
import { REGIME_CODE_COUNT } from '../pipeline/rule-definitions.ts';
import type { FeatureIndex, HeldBars } from './feature-index.ts';
import { sortColumn } from './threshold-index.ts';
import { lowerBound, upperBound } from '../sorted-search.ts';

type Feature = 'heat' | 'priceZ' | 'absPriceZ' | 'volumeZ';

/** which bar value each threshold of RegimeConfig is compared with */
const FIELD_FEATURE: Record<string, Feature> = {
  min_heat: 'heat',
  max_heat: 'heat',
  min_price_z: 'priceZ',
  max_price_z: 'priceZ',
  max_abs_price_z: 'absPriceZ',
  min_volume_z: 'volumeZ',
  max_volume_z: 'volumeZ',
};

function featureValues(bars: HeldBars, feature: Feature): Float64Array {
  return feature === 'absPriceZ' ? bars.priceZ.map(Math.abs) : bars[feature];
}

interface Timeframe {
  bars: HeldBars;
  /** SPOT_REGIMES index + 1, 0 where the bar has no regime */
  code: Uint8Array;
  /** the hours (indices into presentHours) that read bar b: firstHour[b] <= k < endHour[b] */
  firstHour: Int32Array;
  endHour: Int32Array;
  /** this timeframe's digit weight in an hour's code */
  weight: number;
  /** sorted on first use: a sweep that never moves a feature's thresholds never sorts it */
  sorted: Partial<Record<Feature, SortedBars>>;
}

/** the bars in one feature's order, with the three values a classification reads laid out in that order too */
interface SortedBars {
  key: Float64Array;
  bar: Int32Array;
  heat: Float64Array;
  priceZ: Float64Array;
  volumeZ: Float64Array;
}

function sortedBars(bars: HeldBars, feature: Feature): SortedBars {
  const { value, at } = sortColumn(featureValues(bars, feature));
  return {
    key: value,
    bar: at,
    heat: Float64Array.from(at, (b) => bars.heat[b]),
    priceZ: Float64Array.from(at, (b) => bars.priceZ[b]),
    volumeZ: Float64Array.from(at, (b) => bars.volumeZ[b]),
  };
}

function classify(bars: Pick<HeldBars, 'heat' | 'priceZ' | 'volumeZ'>, b: number, rc: RegimeConfig): number {
  const pz = bars.priceZ[b];
  return pz !== pz ? 0 : spotRegimeIndex(bars.heat[b], pz, bars.volumeZ[b], rc) + 1;
}

/** a band this large is cheaper to classify whole */
const FULL_FRACTION = 0.35;

export class RegimeHours {
  /** per present hour: the 1h code + CODES · 4h + CODES² · 1d + CODES³ · 1w */
  readonly hourCode: Uint16Array;
  private readonly tf: Timeframe[];
  private rc: RegimeConfig | null = null;

  constructor(x: FeatureIndex, s: number) {
    const f = x.symbols[s];
    const n = f.presentHours.length;
    this.hourCode = new Uint16Array(n);
    this.tf = f.bars.map((bars, t) => {
      const nb = bars.start.length;
      const firstHour = new Int32Array(nb).fill(n);
      const endHour = new Int32Array(nb).fill(n);
      for (let k = n - 1; k >= 0; k--) {
        const b = t === 0 ? f.hourBar[k] : f.segmentBars[t - 1][f.hourSegment[k]];
        if (endHour[b] === n && firstHour[b] === n) endHour[b] = k + 1;
        firstHour[b] = k;
      }
      // a bar no present hour reads: an empty range
      for (let b = 0; b < nb; b++) if (firstHour[b] === n) endHour[b] = n;
      return { bars, code: new Uint8Array(nb), firstHour, endHour, weight: REGIME_CODE_COUNT ** t, sorted: {} };
    });
  }

  /** the hour codes for this regime config */
  update(rc: RegimeConfig): Uint16Array {
    const prev = this.rc;
    const changed = prev === null ? null : changedThresholds(prev, rc);
    if (changed === null) this.classifyAll(rc);
    else {
      for (const tf of this.tf) {
        if (changed.length === 0) break;
        const bands = changed.map(({ feature, lo, hi }) => {
          const sb = (tf.sorted[feature] ??= sortedBars(tf.bars, feature));
          return { sb, from: lowerBound(sb.key, lo), to: upperBound(sb.key, hi) };
        });
        const work = bands.reduce((w, b) => w + b.to - b.from, 0);
        if (work > tf.code.length * FULL_FRACTION) this.classifyTimeframe(tf, rc);
        else for (const { sb, from, to } of bands) this.classifyBand(tf, sb, from, to, rc);
      }
    }
    this.rc = rc;
    return this.hourCode;
  }

  /** the bar's new code; its hours' codes follow by the difference of its digit */
  private setCode(tf: Timeframe, b: number, code: number): void {
    const delta = (code - tf.code[b]) * tf.weight;
    if (delta === 0) return;
    tf.code[b] = code;
    const hc = this.hourCode;
    for (let k = tf.firstHour[b]; k < tf.endHour[b]; k++) hc[k] += delta;
  }

  private classifyBand(tf: Timeframe, sb: SortedBars, from: number, to: number, rc: RegimeConfig): void {
    for (let i = from; i < to; i++) this.setCode(tf, sb.bar[i], classify(sb, i, rc));
  }

  private classifyTimeframe(tf: Timeframe, rc: RegimeConfig): void {
    for (let b = 0; b < tf.code.length; b++) this.setCode(tf, b, classify(tf.bars, b, rc));
  }

  private classifyAll(rc: RegimeConfig): void {
    this.hourCode.fill(0);
    for (const tf of this.tf) {
      tf.code.fill(0);
      this.classifyTimeframe(tf, rc);
    }
  }
}

/**
 * the thresholds that differ as value bands, or null when something else differs (a key this module does
 * not know, a group added or removed): then everything is classified again
 */
function changedThresholds(a: RegimeConfig, b: RegimeConfig): { feature: Feature; lo: number; hi: number }[] | null {
  const out: { feature: Feature; lo: number; hi: number }[] = [];
  const ga = a as unknown as Record<string, unknown>;
  const gb = b as unknown as Record<string, unknown>;
  const groups = Object.keys(gb);
  if (groups.length !== Object.keys(ga).length) return null;
  for (const g of groups) {
    const x = ga[g];
    const y = gb[g];
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return null;
    const fx = x as Record<string, unknown>;
    const fy = y as Record<string, unknown>;
    const fields = Object.keys(fy);
    if (fields.length !== Object.keys(fx).length) return null;
    for (const k of fields) {
      const u = fx[k];
      const v = fy[k];
      if (u === v) continue;
      const feature = FIELD_FEATURE[k];
      if (feature === undefined || typeof u !== 'number' || typeof v !== 'number' || u !== u || v !== v) return null;
      out.push({ feature, lo: Math.min(u, v), hi: Math.max(u, v) });
    }
  }
  return out;
}

const states = new WeakMap<FeatureIndex, RegimeHours[]>();

/** the symbol's incremental regime state for this feature index */
export function regimeHours(x: FeatureIndex, s: number): RegimeHours {
  let list = states.get(x);
  if (!list) states.set(x, (list = []));
  return (list[s] ??= new RegimeHours(x, s));
}
