/**
 * Hourly OHLCV candles for the price panel, read from the dataset (feature rows carry only the close). Each
 * symbol's whole series is loaded once into typed arrays; a live source's dataset grows, so a request past
 * the loaded end reloads, at most once a minute.
 */
import { openStore } from '../engine/data/store.ts';
import { loadCandles, type CandleColumns } from '../engine/data/load.ts';
import { lowerBound } from '../engine/sorted-search.ts';

export interface Candle {
  ts: number;
  open: number | null;
  high: number | null;
  low: number | null;
  close: number | null;
  volume: number | null;
}

const RELOAD_MS = 60_000;
const fin = (x: number) => (Number.isFinite(x) ? x : null);

export class CandleCache {
  private readonly loaded = new Map<string, { at: number; cols: Promise<CandleColumns | null> }>();

  /** datasetsDir undefined: the bundled datasets; null: no candles (close-only charts) */
  constructor(private readonly datasetsDir: string | null | undefined) {}

  private columns(symbol: string, end: number): Promise<CandleColumns | null> {
    const hit = this.loaded.get(symbol);
    const now = Date.now();
    if (hit) {
      const stale = hit.cols.then((c) => c !== null && (c.ts.length === 0 || c.ts[c.ts.length - 1] < end) && now - hit.at > RELOAD_MS);
      return stale.then((s) => (s ? this.load(symbol) : hit.cols));
    }
    return this.load(symbol);
  }

  private load(symbol: string): Promise<CandleColumns | null> {
    const cols = (async () => {
      if (this.datasetsDir === null) return null;
      const store = await openStore({ datasetsDir: this.datasetsDir });
      try {
        return await loadCandles(store, symbol);
      } finally {
        store.close();
      }
    })().catch(() => null);
    this.loaded.set(symbol, { at: Date.now(), cols });
    return cols;
  }

  /** candles with from < ts <= to (the feature windows' convention), oldest first; [] when unknown */
  async window(symbol: string, from: number, to: number): Promise<Candle[]> {
    const c = await this.columns(symbol, to);
    if (!c) return [];
    const out: Candle[] = [];
    for (let i = lowerBound(c.ts, from + 1); i < c.ts.length && c.ts[i] <= to; i++) {
      out.push({ ts: c.ts[i], open: fin(c.open[i]), high: fin(c.high[i]), low: fin(c.low[i]), close: fin(c.close[i]), volume: fin(c.volume[i]) });
    }
    return out;
  }
}
