/**
 * freqtrade's data-directory naming (user_data/data/<exchange>/…), mapped onto this project's tables:
 *   <BASE>_<QUOTE>-<tf>.feather                               spot OHLCV      → candles_1h
 *   futures/<BASE>_<QUOTE>_<SETTLE>-<tf>-futures.feather      perpetual OHLCV → perp_1h
 *   futures/<BASE>_<QUOTE>_<SETTLE>-<tf>-mark.feather         mark price      → mark_1h
 *   futures/<BASE>_<QUOTE>_<SETTLE>-<tf>-funding_rate.feather settlements     → funding
 * freqtrade writes pair names through pair_to_filename (`/`, `:` and a few other characters become `_`).
 */
import type { TableName } from './tables.ts';

export type FreqtradeCandleType = 'spot' | 'futures' | 'mark' | 'funding_rate' | 'index' | 'premiumIndex';

export interface FreqtradeName {
  base: string;
  quote: string;
  /** the settlement currency of a futures contract (BTC/USDT:USDT → USDT) */
  settle: string | null;
  timeframe: string;
  candleType: FreqtradeCandleType;
  /** BASE + QUOTE, the symbol the tables use (BTCUSDT) */
  symbol: string;
}

const NAME_RE = /^([A-Z0-9]+)_([A-Z0-9]+)(?:_([A-Z0-9]+))?-(\d+[smhdwM])(?:-(futures|mark|funding_rate|index|premiumIndex))?\.feather$/;

export const TABLE_OF_CANDLE_TYPE: Record<FreqtradeCandleType, TableName | null> = {
  spot: 'candles_1h',
  futures: 'perp_1h',
  mark: 'mark_1h',
  funding_rate: 'funding',
  index: null,
  premiumIndex: null,
};

/**
 * Parses a freqtrade file name. Returns a string saying why when the name is not one freqtrade writes for
 * candle data (trades files, other data formats, unknown suffixes).
 */
export function parseFreqtradeName(base: string): FreqtradeName | string {
  if (/-trades\.(feather|json|jsongz|parquet|h5)$/.test(base)) return 'a trades file (tick data), not candles: only OHLCV and funding frames are imported';
  const format = /\.(json|jsongz|json\.gz|parquet|h5|hdf5)$/.exec(base);
  if (format) {
    return `freqtrade data format '${format[1]}' is not read: convert to feather with \`freqtrade convert-data --format-from ${format[1] === 'h5' ? 'hdf5' : format[1]} --format-to feather\``;
  }
  if (!base.endsWith('.feather')) return 'not a .feather file';
  const m = NAME_RE.exec(base);
  if (!m) return 'name does not follow freqtrade\'s <BASE>_<QUOTE>[_<SETTLE>]-<timeframe>[-<candle type>].feather';
  const [, b, q, settle, timeframe, suffix] = m;
  const candleType = (suffix ?? 'spot') as FreqtradeCandleType;
  if (candleType === 'spot' && settle) return `pair ${b}/${q}:${settle} is a futures contract but the name has no -futures/-mark/-funding_rate suffix`;
  if (candleType !== 'spot' && !settle) return `a ${candleType} file needs a futures pair <BASE>_<QUOTE>_<SETTLE>, found ${b}_${q}`;
  return { base: b, quote: q, settle: settle ?? null, timeframe, candleType, symbol: `${b}${q}` };
}

/**
 * The dataset folder a freqtrade file goes to. Binance spot is `binance` and Binance USDⓈ-M is `binanceusdm`,
 * as for `regime fetch`; any other exchange keeps its freqtrade name, with `_futures` for its derivatives.
 */
export function venueFor(exchange: string, candleType: FreqtradeCandleType): string {
  if (candleType === 'spot') return exchange;
  return exchange === 'binance' ? 'binanceusdm' : `${exchange}_futures`;
}
