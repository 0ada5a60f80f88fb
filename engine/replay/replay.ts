/**
 * The hour-by-hour replay: walks every clock hour of the data, builds each symbol's SymbolHour from the typed
 * arrays (a candle, a funding settlement, a liquidation bucket — or nothing), and steps the same Pipeline the
 * live loop steps. Missing hours are stepped with candle null (detectors advance, windows see the gap), left out
 * of the features, and reported as gaps met.
 */
import { Pipeline, type StepResult } from '../pipeline/pipeline.ts';
import type { PipelineConfig } from '../pipeline/config.ts';
import type { Alert } from '../pipeline/alerts.ts';
import { emptySuppressionCounts, NO_SUPPRESSIONS, type SuppressionCounts } from '../pipeline/cooldown.ts';
import { HOUR_MS, type CandleInput, type LiquidationKind, type SymbolHour } from '../pipeline/input.ts';
import type { ReplayData, SymbolSeries } from './replay-data.ts';
import { fundingByHour } from './funding-hours.ts';

const KIND_BY_INDEX: LiquidationKind[] = ['observed', 'aggregated', 'modelled'];

export interface GapMet {
  symbol: string;
  start_ms: number;
  end_ms: number;
  hours: number;
}

export interface ReplayOptions {
  /** first hour whose features and alerts are kept; earlier hours only warm the detectors up */
  emitFrom?: number;
  /** last hour to step (inclusive); default the data's last hour */
  until?: number;
  /** called after every stepped hour with the pipeline's result (only valid during the call) */
  onStep?: (result: StepResult) => void;
  onProgress?: (done: number, total: number) => void;
  /** step this pipeline instead of a new one: the live loop warms its own pipeline up through the replay */
  pipeline?: Pipeline;
}

export interface ReplayResult {
  firstHour: number;
  lastHour: number;
  emitFrom: number;
  hoursStepped: number;
  symbolHours: number;
  alerts: Alert[];
  suppressed: SuppressionCounts;
  gaps: GapMet[];
}

interface Cursor {
  series: SymbolSeries;
  candle: number;
  funding: (hour: number) => SymbolHour['funding'];
  liq: number;
  firstHour: number;
  lastHour: number;
  gapStart: number;
  candleObj: CandleInput;
  hour: SymbolHour;
}

export function runReplay(data: ReplayData, config: PipelineConfig, opts: ReplayOptions = {}): ReplayResult {
  const symbols = config.symbols;
  const bySymbol = new Map(data.series.map((s) => [s.symbol, s]));
  const cursors: Cursor[] = symbols.map((sym) => {
    const series = bySymbol.get(sym);
    if (!series) throw new Error(`replay: no data loaded for configured symbol ${sym}`);
    const ts = series.candles.ts;
    return {
      series, candle: 0, funding: fundingByHour(series.funding), liq: 0, firstHour: ts[0], lastHour: ts[ts.length - 1], gapStart: NaN,
      candleObj: { open: NaN, high: NaN, low: NaN, close: NaN, volume: NaN },
      hour: { symbol: sym, ts: NaN, candle: null, funding: null, liquidation: null },
    };
  });
  const pipeline = opts.pipeline ?? new Pipeline(config);
  const first = data.firstHour;
  const last = Math.min(opts.until ?? data.lastHour, data.lastHour);
  const emitFrom = Math.max(opts.emitFrom ?? first, first);
  const total = Math.max(0, (last - first) / HOUR_MS + 1);
  const alerts: Alert[] = [];
  const suppressed = emptySuppressionCounts();
  const gaps: GapMet[] = [];
  let symbolHours = 0;
  let stepped = 0;
  const hours: SymbolHour[] = new Array(symbols.length);

  for (let t = first; t <= last; t += HOUR_MS) {
    for (let i = 0; i < cursors.length; i++) {
      const c = cursors[i];
      const s = c.series;
      const candles = s.candles;
      let candle: SymbolHour['candle'] = null;
      if (c.candle < candles.ts.length && candles.ts[c.candle] === t) {
        const k = c.candle++;
        // One reused object per symbol: the pipeline copies what it keeps, and a fresh object per hour is
        // the largest source of garbage in a full replay.
        candle = c.candleObj;
        candle.open = candles.open[k];
        candle.high = candles.high[k];
        candle.low = candles.low[k];
        candle.close = candles.close[k];
        candle.volume = candles.volume[k];
      }
      const funding = c.funding(t);
      let liquidation: SymbolHour['liquidation'] = null;
      const l = s.liquidations;
      while (c.liq < l.ts.length && l.ts[c.liq] < t) c.liq++;
      if (c.liq < l.ts.length && l.ts[c.liq] === t) {
        const k = c.liq++;
        const kind = KIND_BY_INDEX[l.kind[k]];
        liquidation = { longUsd: l.longUsd[k], shortUsd: l.shortUsd[k], kind, source: `dataset:${kind}` };
      }
      const h = c.hour;
      h.ts = t;
      h.candle = candle;
      h.funding = funding;
      h.liquidation = liquidation;
      hours[i] = h;
      trackGap(c, t, candle !== null, emitFrom, gaps);
    }
    const result = pipeline.step(t, hours);
    stepped++;
    if (t >= emitFrom) {
      symbolHours += result.features.length;
      if (result.alerts.length > 0) alerts.push(...result.alerts);
      // most hours suppress nothing and return the shared empty record: skip the walk over it
      if (result.suppressed !== NO_SUPPRESSIONS) addCounts(suppressed, result.suppressed);
    }
    opts.onStep?.(result);
    if (opts.onProgress && (stepped & 0x3ff) === 0) opts.onProgress(stepped, total);
  }
  opts.onProgress?.(stepped, total);
  // a gap still open when the replay stops (--to inside an outage) was met too
  for (const c of cursors) {
    if (!Number.isNaN(c.gapStart) && last >= emitFrom) {
      gaps.push({ symbol: c.series.symbol, start_ms: c.gapStart, end_ms: last, hours: (last - c.gapStart) / HOUR_MS + 1 });
    }
  }
  return { firstHour: first, lastHour: last, emitFrom, hoursStepped: stepped, symbolHours, alerts, suppressed, gaps };
}

/** a gap is a missing hour inside the symbol's own history (before listing or after delisting is not a gap) */
function trackGap(c: Cursor, t: number, present: boolean, emitFrom: number, gaps: GapMet[]): void {
  if (t < c.firstHour || t > c.lastHour) return;
  if (!present) {
    if (Number.isNaN(c.gapStart)) c.gapStart = t;
    return;
  }
  if (!Number.isNaN(c.gapStart)) {
    const end = t - HOUR_MS;
    if (end >= emitFrom) gaps.push({ symbol: c.series.symbol, start_ms: c.gapStart, end_ms: end, hours: (t - c.gapStart) / HOUR_MS });
    c.gapStart = NaN;
  }
}

function addCounts(into: SuppressionCounts, from: Readonly<SuppressionCounts>): void {
  for (const reason of Object.keys(from) as (keyof SuppressionCounts)[]) {
    const src = from[reason];
    const dst = into[reason];
    for (const type of Object.keys(src) as (keyof typeof src)[]) {
      if (src[type] !== 0) dst[type] += src[type];
    }
  }
}
