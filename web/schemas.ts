/** Response schemas of the API (zod, serialised through fastify-type-provider-zod). */
import * as z from 'zod';
import { EVENT_TYPES } from '../engine/pipeline/alerts.ts';

const n = z.number().nullable();
const s = z.string().nullable();
const b = z.boolean().nullable();

export const SourceRef = z.object({ kind: z.enum(['live', 'backtest']), id: z.string() });

/** every data response says which source answered and for which cursor (null: the source has no hours yet) */
const envelope = { source: SourceRef, at: n };

export const FeatureValue = z.union([z.number(), z.string(), z.boolean(), z.null()]);
export const FeatureRowSchema = z.record(z.string(), FeatureValue);

export const FeaturesResponse = z.object({ ...envelope, symbols: z.array(z.string()), rows: z.array(FeatureRowSchema) });

export const CoverageSchema = z.object({
  symbol: z.string(),
  kinds: z.array(z.string()),
  first: n,
  last: n,
  hours_with_data: z.number(),
});

export const CascadeSymbol = z.object({
  symbol: z.string(),
  /** the hour of the row shown (the latest at or before the cursor) */
  ts: n,
  status: s,
  kind: s,
  coverage: CoverageSchema.nullable(),
  /** what the data is and where it exists: "aggregated liquidation data for BTCUSDT: … (4,190 h)" */
  coverage_note: z.string(),
  /** why there is no value at this hour, instead of a zero; null when there is one */
  message: s,
  long_usd: n,
  short_usd: n,
  total_usd: n,
  velocity_usd_h: n,
  velocity_z: n,
  side_bias: s,
  cascade_detected: b,
  severity: n,
  close: n,
  zone: z.object({ price: z.number(), share: n, distance_pct: n }).nullable(),
  history: z.array(z.object({ ts: z.number(), status: s, long_usd: n, short_usd: n, total_usd: n, severity: n, cascade_detected: b })),
});
export const CascadesResponse = z.object({ ...envelope, hours: z.number(), symbols: z.array(CascadeSymbol) });

export const VolatilitySymbol = z.object({
  symbol: z.string(),
  ts: n,
  status: s,
  regime: s,
  ratio: n,
  volatility_24h: n,
  baseline: n,
  baseline_coverage: n,
  risk_multiplier: n,
  cluster_prob: n,
  exceed_rate: n,
  history: z.array(z.object({ ts: z.number(), ratio: n, regime: s, volatility_24h: n })),
});
export const VolatilityResponse = z.object({ ...envelope, hours: z.number(), symbols: z.array(VolatilitySymbol) });

export const FundingSymbol = z.object({
  symbol: z.string(),
  ts: n,
  status: s,
  rate_8h: n,
  z: n,
  percentile: n,
  state: s,
  reversal: b,
  hours_since_settlement: n,
  coverage: n,
  history: z.array(z.object({ ts: z.number(), z: n, rate_8h: n })),
});
export const FundingResponse = z.object({ ...envelope, hours: z.number(), symbols: z.array(FundingSymbol) });

export const PricesResponse = z.object({
  ...envelope,
  hours: z.number(),
  symbols: z.array(
    z.object({
      symbol: z.string(),
      ts: n,
      close: n,
      /** open/high/low/volume from the dataset's hourly candles (null when the dataset has no candle there) */
      history: z.array(z.object({ ts: z.number(), close: n, return_1h: n, open: n, high: n, low: n, volume: n })),
    }),
  ),
});

export const Timeframe = z.object({ timeframe: z.string(), regime: s, price_z: n, volume_z: n, heat: n });
export const RegimeSymbol = z.object({
  symbol: z.string(),
  ts: n,
  primary: s,
  confidence: n,
  timeframes: z.array(Timeframe),
  history: z.array(z.object({ ts: z.number(), primary: s, confidence: n })),
});
export const RegimesResponse = z.object({ ...envelope, hours: z.number(), symbols: z.array(RegimeSymbol) });

export const PairSchema = z.object({ key: z.string(), a: z.string(), b: z.string(), corr: n, normal: n, delta: n, broken: b, leader: s });
export const CorrelationResponse = z.object({
  ...envelope,
  hours: z.number(),
  ts: n,
  symbols: z.array(z.string()),
  pairs: z.array(PairSchema),
  history: z.array(z.object({ ts: z.number(), key: z.string(), corr: n, normal: n, broken: b })),
});

export const AlertSchema = z.object({
  id: z.string(),
  ts: z.number(),
  symbol: z.string(),
  event_type: z.enum(EVENT_TYPES),
  severity: z.enum(['INFO', 'WARNING', 'CRITICAL']),
  title: z.string(),
  description: z.string(),
  source: z.string(),
  /** the sign of the move the alert is about: 1 up, -1 down, null none or unknown */
  direction: z.union([z.literal(1), z.literal(-1), z.null()]),
  data: z.record(z.string(), FeatureValue),
});
export const EventsResponse = z.object({ ...envelope, count: z.number(), events: z.array(AlertSchema) });

export const RunSummary = z.object({
  id: z.string(),
  kind: z.string(),
  label: s,
  created_at: z.string(),
  config_hash: z.string(),
  dataset_manifest_sha256: s,
  git_commit: s,
  seed: n,
  symbols: z.array(z.string()),
  from: z.string(),
  to: z.string(),
  has_features: z.boolean(),
});
export const RunsResponse = z.object({ current: SourceRef, runs: z.array(RunSummary) });
export const RunResponse = z.object({
  manifest: RunSummary,
  report: z.object({
    hours: z.number(),
    symbol_hours: z.number(),
    alerts_total: z.number(),
    alert_counts: z.array(z.object({ symbol: z.string(), event_type: z.string(), severity: z.string(), count: z.number() })),
    suppressed_total: z.number(),
    gaps: z.number(),
    liquidation_coverage: z.array(z.object({ symbol: z.string(), hours_with_data: z.number() })),
  }),
  /** the scorecard as engine/score computes it (null when the run was not scored) */
  scorecard: z.record(z.string(), z.unknown()).nullable(),
});

export const ReportsResponse = z.object({
  reports: z.array(z.object({ name: z.string(), title: z.string(), label: z.string(), url: z.string(), modified: s, notebook: s, ok: b })),
});

export const HealthResponse = z.object({
  ok: z.boolean(),
  source: SourceRef,
  symbols: z.array(z.string()),
  range: z.object({ first: z.number(), last: z.number() }).nullable(),
  auth: z.enum(['token', 'loopback']),
  uptime_s: z.number(),
  status: z.record(z.string(), z.unknown()),
});
