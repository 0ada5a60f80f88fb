/**
 * The exchanges and tables `regime fetch` knows, apart from the fetcher itself: the fetcher loads ccxt (seconds
 * of CPU), and `regime fetch` checks its options against these lists before paying for that.
 */
import type { TableName } from './tables.ts';

export const FETCH_EXCHANGES = ['binanceus', 'binance', 'binanceusdm'] as const;
export type FetchExchangeId = (typeof FETCH_EXCHANGES)[number];
export type FetchTable = Extract<TableName, 'candles_1h' | 'perp_1h' | 'mark_1h' | 'funding'>;

export interface ExchangeProfile {
  venue: string;
  market: 'spot' | 'usdm';
  tables: FetchTable[];
  defaultTables: FetchTable[];
  describe: string;
}

/** Each exchange writes to its own dataset folder so fetched rows never pose as another venue's. */
export const EXCHANGE_PROFILES: Record<FetchExchangeId, ExchangeProfile> = {
  binanceus: { venue: 'binanceus', market: 'spot', tables: ['candles_1h'], defaultTables: ['candles_1h'], describe: 'Binance.US spot' },
  binance: { venue: 'binance', market: 'spot', tables: ['candles_1h'], defaultTables: ['candles_1h'], describe: 'Binance spot' },
  binanceusdm: {
    venue: 'binanceusdm',
    market: 'usdm',
    tables: ['perp_1h', 'funding', 'mark_1h'],
    defaultTables: ['perp_1h', 'funding', 'mark_1h'],
    describe: 'Binance USDⓈ-M futures',
  },
};
