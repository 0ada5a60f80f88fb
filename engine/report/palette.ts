/**
 * One palette for the dashboard and every report: the same event type, severity or regime has the same colour
 * wherever it is drawn. Pure data with no imports so the browser dashboard can load it as-is (after type
 * stripping) and Vega-Lite specs can take `scale: { domain, range }` straight from it.
 *
 * The colours are mid-saturation so they read on both the light report page and the dark dashboard.
 * Hot/down moves are red, quiet/up moves green, neutral states grey; severities escalate blue → amber → red.
 */

export interface PaletteEntry {
  readonly key: string;
  readonly label: string;
  readonly color: string;
}

export interface PaletteScale {
  readonly domain: readonly string[];
  readonly range: readonly string[];
}

export const EVENT_TYPE_PALETTE: readonly PaletteEntry[] = [
  { key: 'LIQUIDATION_CASCADE', label: 'liquidation cascade', color: '#e0413a' },
  { key: 'FUNDING_ANOMALY', label: 'funding anomaly', color: '#f29b1d' },
  { key: 'FUNDING_REVERSAL', label: 'funding reversal', color: '#b7791f' },
  { key: 'VOLATILITY_REGIME_CHANGE', label: 'volatility regime change', color: '#8b5cf6' },
  { key: 'REGIME_CONFIRMED', label: 'regime confirmed', color: '#3b82f6' },
  { key: 'CORRELATION_BREAK', label: 'correlation break', color: '#14b8a6' },
];

export const SEVERITY_PALETTE: readonly PaletteEntry[] = [
  { key: 'INFO', label: 'info', color: '#60a5fa' },
  { key: 'WARNING', label: 'warning', color: '#f59e0b' },
  { key: 'CRITICAL', label: 'critical', color: '#ef4444' },
];

export const SPOT_REGIME_PALETTE: readonly PaletteEntry[] = [
  { key: 'SPOT_IGNITION', label: 'ignition (hot up-move)', color: '#16a34a' },
  { key: 'SPOT_CAPITULATION', label: 'capitulation (hot down-move)', color: '#dc2626' },
  { key: 'SPOT_COOLING', label: 'cooling', color: '#0ea5e9' },
  { key: 'SPOT_WARMING', label: 'warming (quiet rise)', color: '#84cc16' },
  { key: 'SPOT_CHURN', label: 'churn (heavy volume, no net move)', color: '#f59e0b' },
  { key: 'SPOT_CHOP', label: 'chop', color: '#a78bfa' },
  { key: 'SPOT_NEUTRAL', label: 'neutral', color: '#94a3b8' },
];

export const VOL_REGIME_PALETTE: readonly PaletteEntry[] = [
  { key: 'STABLE', label: 'stable', color: '#22c55e' },
  { key: 'HIGH_VOL', label: 'high vol', color: '#eab308' },
  { key: 'EXPLOSIVE', label: 'explosive', color: '#f97316' },
  { key: 'EXTREME', label: 'extreme', color: '#ef4444' },
];

/** Vega-Lite `scale` for a palette: keys as the domain, so the colours stay fixed when a category is absent. */
export function paletteScale(entries: readonly PaletteEntry[]): PaletteScale {
  return { domain: entries.map((e) => e.key), range: entries.map((e) => e.color) };
}

/** Colour of one key, or undefined for a key the palette does not know. */
export function paletteColor(entries: readonly PaletteEntry[], key: string): string | undefined {
  return entries.find((e) => e.key === key)?.color;
}

export const PALETTES = {
  event_type: EVENT_TYPE_PALETTE,
  severity: SEVERITY_PALETTE,
  spot_regime: SPOT_REGIME_PALETTE,
  vol_regime: VOL_REGIME_PALETTE,
} as const;
export type PaletteName = keyof typeof PALETTES;
