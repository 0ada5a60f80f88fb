/**
 * Hours of stored history replayed before the first scored hour, by default (16 weeks). Apart from the replay so
 * that config files can name the default without loading the replay and DuckDB; engine/replay/backtest.ts
 * re-exports it.
 */
export const DEFAULT_WARMUP_HOURS = 16 * 7 * 24;
