/**
 * The stored tables: their columns, key and where they live. Every table is hive-partitioned by symbol and
 * UTC year under datasets/<venue>/<table>/symbol=<S>/year=<Y>/data.parquet; `ts` is a UTC TIMESTAMP.
 */
export type ColumnType = 'DOUBLE' | 'VARCHAR' | 'INTEGER' | 'BIGINT';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  nullable?: boolean;
  /** must be > 0 (prices) */
  positive?: boolean;
  /** must be >= 0 (volumes, USD amounts) */
  nonNegative?: boolean;
}

export type TableName = 'candles_1h' | 'funding' | 'perp_1h' | 'mark_1h' | 'open_interest' | 'liquidations_1h';

export interface TableSpec {
  name: TableName;
  /** dataset directory under datasets/ the bundled data and importers use unless told otherwise */
  defaultVenue: string;
  /** value columns besides ts (symbol and year are partition columns, not stored in the files) */
  columns: ColumnSpec[];
  /** extra key columns besides (symbol, ts) */
  extraKey: string[];
  /** rows are hourly bars whose ts must be on the hour and whose missing hours are gaps */
  hourly: boolean;
  hasOhlc: boolean;
  description: string;
}

const ohlc: ColumnSpec[] = [
  { name: 'open', type: 'DOUBLE', positive: true },
  { name: 'high', type: 'DOUBLE', positive: true },
  { name: 'low', type: 'DOUBLE', positive: true },
  { name: 'close', type: 'DOUBLE', positive: true },
];

export const TABLES: Record<TableName, TableSpec> = {
  candles_1h: {
    name: 'candles_1h',
    defaultVenue: 'binance',
    columns: [
      ...ohlc,
      { name: 'volume', type: 'DOUBLE', nonNegative: true },
      { name: 'quote_volume', type: 'DOUBLE', nonNegative: true, nullable: true },
      { name: 'trades', type: 'BIGINT', nonNegative: true, nullable: true },
    ],
    extraKey: [],
    hourly: true,
    hasOhlc: true,
    description: 'spot 1h OHLCV candles, ts = bar open time',
  },
  perp_1h: {
    name: 'perp_1h',
    defaultVenue: 'binanceusdm',
    columns: [...ohlc, { name: 'volume', type: 'DOUBLE', nonNegative: true }],
    extraKey: [],
    hourly: true,
    hasOhlc: true,
    description: 'USDⓈ-M perpetual 1h OHLCV candles',
  },
  mark_1h: {
    name: 'mark_1h',
    defaultVenue: 'binanceusdm',
    columns: [...ohlc],
    extraKey: [],
    hourly: true,
    hasOhlc: true,
    description: 'USDⓈ-M mark-price 1h klines',
  },
  funding: {
    name: 'funding',
    defaultVenue: 'binanceusdm',
    columns: [
      { name: 'funding_rate', type: 'DOUBLE' },
      { name: 'funding_interval_hours', type: 'INTEGER', positive: true },
      { name: 'calc_time_ms', type: 'BIGINT', nullable: true },
      { name: 'source', type: 'VARCHAR' },
    ],
    extraKey: [],
    hourly: false,
    hasOhlc: false,
    description: 'USDⓈ-M funding settlements; rate per interval, ts = nominal settlement time',
  },
  open_interest: {
    name: 'open_interest',
    defaultVenue: 'binanceusdm',
    columns: [
      { name: 'period', type: 'VARCHAR' },
      { name: 'sum_open_interest', type: 'DOUBLE', nonNegative: true },
      { name: 'sum_open_interest_value_usd', type: 'DOUBLE', nonNegative: true },
    ],
    extraKey: ['period'],
    hourly: false,
    hasOhlc: false,
    description: 'USDⓈ-M open-interest statistics (period 4h or 1d)',
  },
  liquidations_1h: {
    name: 'liquidations_1h',
    defaultVenue: 'coinglass',
    columns: [
      { name: 'long_liq_usd', type: 'DOUBLE', nonNegative: true },
      { name: 'short_liq_usd', type: 'DOUBLE', nonNegative: true },
      { name: 'total_liq_usd', type: 'DOUBLE', nonNegative: true },
      { name: 'kind', type: 'VARCHAR' },
      { name: 'source', type: 'VARCHAR' },
    ],
    extraKey: ['source'],
    hourly: true,
    hasOhlc: false,
    description: 'hourly liquidated USD notional; kind = observed | aggregated | modelled',
  },
};

export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

export const LIQUIDATION_KINDS = ['observed', 'aggregated', 'modelled'] as const;

export function tableSpec(name: string): TableSpec {
  const spec = (TABLES as Record<string, TableSpec>)[name];
  if (!spec) throw new Error(`unknown table '${name}' (known: ${TABLE_NAMES.join(', ')})`);
  return spec;
}
