/**
 * The detector outputs that the alert rules read, as dense hourly columns (index = clock hour since the
 * data's first hour), computed by replaying the real Pipeline once per feature-key set. Every threshold,
 * rule and cooldown variant is then applied to these columns (evaluate.ts) without stepping a detector.
 *
 * NaN marks "the detector had no value" exactly where the Pipeline's output is null, so a rule that needs a
 * value never fires on a gap, in the columns as in the Pipeline.
 */
import { correlationPairs } from '../detectors/correlation.ts';
import { FundingAnomalyDetector } from '../detectors/funding-anomaly.ts';
import { REGIME_TIMEFRAMES } from '../detectors/multi-timeframe-regime.ts';
import { parseConfig, type PipelineConfig } from '../pipeline/config.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import type { ReplayData } from '../replay/replay-data.ts';
import { fundingByHour } from '../replay/funding-hours.ts';
import { runReplay } from '../replay/replay.ts';
import { Pipeline } from '../pipeline/pipeline.ts';
import { cascadeDirection } from '../pipeline/rule-definitions.ts';
import type { FeatureIndex } from './feature-index.ts';
import { sharedFloat64, sharedInt32, sharedInt8, sharedUint8 } from './shared.ts';

export interface SymbolFeatures {
  symbol: string;
  /** 1 where the Pipeline had a candle (and so a feature package and rule evaluation) */
  present: Uint8Array;
  /** volatility_24h / vol_baseline */
  volRatio: Float64Array;
  /** log return over the last 24 h (NaN unknown): the direction of volatility and pair alerts */
  ret24: Float64Array;
  /** cascadeDirection of the window's side bias: −1 longs liquidated, +1 shorts, 0 balanced or none */
  liqDir: Int8Array;
  /** liquidations summed over the cascade window (NaN while the window is incomplete) */
  liqTotal: Float64Array;
  /** z of the (log1p) velocity vs its baseline */
  liqZ: Float64Array;
  /** index of the settlement standing at the hour (however old), -1 before the first one */
  fundIdx: Int32Array;
  fundSince: Float64Array;
  /** per accepted settlement, in order: its z (NaN without enough history) and its 8h rate */
  settleZ: Float64Array;
  settleR8: Float64Array;
  /**
   * per timeframe (REGIME_TIMEFRAMES order): the held bar's price_z, volume_z, heat (NaN unless status ok); empty
   * in a set with its index attached (withSharedIndex, feature-index.ts), which holds them as held bars
   */
  priceZ: Float64Array[];
  volumeZ: Float64Array[];
  heat: Float64Array[];
}

export interface PairFeatures {
  a: number;
  b: number;
  corr: Float64Array;
  normal: Float64Array;
  /** 1: symbol a leads, -1: b leads, 0: neither */
  leader: Int8Array;
}

export interface FeatureSet {
  key: string;
  symbols: string[];
  firstHour: number;
  hours: number;
  cascadeWindowHours: number;
  bySymbol: SymbolFeatures[];
  pairs: PairFeatures[];
  /** the rules' index (feature-index.ts), built once by the worker that computed the set and shared with the others */
  index?: FeatureIndex;
}

/**
 * The funding detector run again with staleness switched off, so the columns know every accepted settlement
 * and how old it is: stale_after_hours and the reversal's notion of "extreme" are then thresholds.
 */
function fundingColumns(data: ReplayData, cfg: PipelineConfig, symbolIndex: number, first: number, hours: number, s: SymbolFeatures): void {
  const series = data.series.find((x) => x.symbol === cfg.symbols[symbolIndex])!;
  const f = series.funding;
  const det = new FundingAnomalyDetector({ ...cfg.funding, stale_after_hours: Number.MAX_SAFE_INTEGER });
  const next = fundingByHour(f);
  const z = sharedFloat64(f.ts.length);
  const r8 = sharedFloat64(f.ts.length);
  let k = -1;
  let lastSettled = NaN;
  for (let i = 0; i < hours; i++) {
    const t = first + i * HOUR_MS;
    const o = det.step(t, next(t));
    if (o.settled_at === null) continue;
    if (o.settled_at !== lastSettled) {
      lastSettled = o.settled_at;
      k++;
      z[k] = o.z ?? NaN;
      r8[k] = o.rate_8h ?? NaN;
    }
    s.fundIdx[i] = k;
    s.fundSince[i] = o.hours_since_settlement ?? NaN;
  }
  s.settleZ = z.subarray(0, k + 1);
  s.settleR8 = r8.subarray(0, k + 1);
}

export function computeFeatures(data: ReplayData, featureConfig: Record<string, unknown>, key: string): FeatureSet {
  const cfg = parseConfig(featureConfig);
  const first = data.firstHour;
  const hours = (data.lastHour - first) / HOUR_MS + 1;
  const bySymbol: SymbolFeatures[] = cfg.symbols.map((symbol) => ({
    symbol,
    present: sharedUint8(hours),
    volRatio: sharedFloat64(hours),
    ret24: sharedFloat64(hours),
    liqDir: sharedInt8(hours),
    liqTotal: sharedFloat64(hours),
    liqZ: sharedFloat64(hours),
    fundIdx: sharedInt32(hours, -1),
    fundSince: sharedFloat64(hours),
    settleZ: sharedFloat64(0),
    settleR8: sharedFloat64(0),
    priceZ: REGIME_TIMEFRAMES.map(() => sharedFloat64(hours)),
    volumeZ: REGIME_TIMEFRAMES.map(() => sharedFloat64(hours)),
    heat: REGIME_TIMEFRAMES.map(() => sharedFloat64(hours)),
  }));
  // the detector's own pair list (all pairs, or the anchors' pairs), in its order: pair slot j is pair j
  const pairs: PairFeatures[] = correlationPairs(cfg.symbols, cfg.correlation).map(([a, b]) => ({
    a,
    b,
    corr: sharedFloat64(hours),
    normal: sharedFloat64(hours),
    leader: sharedInt8(hours),
  }));
  const index = new Map(cfg.symbols.map((s, i) => [s, i]));
  // the detectors alone: the rules' alerts would go unread (they were an eighth of the replay)
  runReplay(data, cfg, {
    pipeline: new Pipeline(cfg, { alerts: false }),
    onStep: (r) => {
      const i = (r.ts - first) / HOUR_MS;
      for (const f of r.features) {
        const s = bySymbol[index.get(f.symbol)!];
        s.present[i] = 1;
        s.volRatio[i] = f.volatility.ratio ?? NaN;
        s.ret24[i] = f.volatility.return_24h ?? NaN;
        s.liqDir[i] = cascadeDirection(f.cascades.side_bias);
        s.liqTotal[i] = f.cascades.total_usd ?? NaN;
        s.liqZ[i] = f.cascades.velocity_z ?? NaN;
        for (let t = 0; t < REGIME_TIMEFRAMES.length; t++) {
          const tf = f.regimes[REGIME_TIMEFRAMES[t]];
          if (tf.status !== 'ok') continue;
          s.priceZ[t][i] = tf.price_z ?? NaN;
          s.volumeZ[t][i] = tf.volume_z ?? NaN;
          s.heat[t][i] = tf.heat ?? NaN;
        }
      }
      const ps = r.correlations.pairs;
      for (let j = 0; j < ps.length; j++) {
        const p = ps[j];
        const out = pairs[j];
        out.corr[i] = p.corr ?? NaN;
        out.normal[i] = p.normal ?? NaN;
        out.leader[i] = p.leader === null ? 0 : p.leader === p.a ? 1 : -1;
      }
    },
  });
  for (let s = 0; s < cfg.symbols.length; s++) fundingColumns(data, cfg, s, first, hours, bySymbol[s]);
  return { key, symbols: [...cfg.symbols], firstHour: first, hours, cascadeWindowHours: cfg.cascade.window_hours, bySymbol, pairs };
}
