/** Compact terminal tables for a Scorecard: returns and event metrics per breakdown row, then the event study. */
import { HOUR_MS } from '../pipeline/input.ts';
import type { BaselineStat, BreakdownRow, Scorecard } from './types.ts';
import type { PnlSummary } from './pnl.ts';

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const dash = '—';

function pct(x: number | null, digits = 2): string {
  return x === null ? dash : (x * 100).toFixed(digits);
}

function num(x: number | null, digits = 1): string {
  return x === null ? dash : x.toFixed(digits);
}

function pValue(b: BaselineStat | undefined): string {
  if (!b || b.p_value === null) return dash;
  return b.p_value < 0.001 ? '<.001' : b.p_value.toFixed(3).replace(/^0/, '');
}

function lift(b: BaselineStat | undefined): string {
  return b?.lift == null ? dash : `${b.lift.toFixed(2)}×`;
}

function labelledRows(card: Scorecard): [string, BreakdownRow][] {
  const rows: [string, BreakdownRow][] = [['all', card.overall]];
  for (const [dim, list] of Object.entries(card.breakdowns)) for (const r of list) rows.push([`${dim} ${r.key}`, r]);
  return rows;
}

function forwardTable(card: Scorecard): string {
  const hs = card.options.horizons_hours;
  const longest = hs.indexOf(Math.max(...hs));
  const header = ['group', 'n', ...hs.flatMap((h) => [`${h}h mean%`, `${h}h hit%`]), `gap/end@${hs[longest]}h`];
  const rows = labelledRows(card).map(([label, r]) => [
    label,
    String(r.n_alerts),
    ...r.forward.flatMap((f) => [pct(f.mean), pct(f.hit_rate, 0)]),
    `${r.forward[longest].excluded_gap}/${r.forward[longest].excluded_end}`,
  ]);
  return table(header, rows);
}

function eventTable(card: Scorecard): string {
  const header = ['group', 'n', 'prec%', 'p', 'lift', 'recall%', 'p', 'lead h', '/day', 'FA/wk', 'NAB', 'p'];
  const rows = labelledRows(card).map(([label, r]) => {
    const e = r.events;
    const b = r.baseline ?? {};
    return [
      label,
      String(r.n_alerts),
      pct(e.precision, 1),
      pValue(b.precision),
      lift(b.precision),
      pct(e.recall, 1),
      pValue(b.recall),
      num(e.median_lead_hours, 0),
      num(e.alerts_per_day, 2),
      num(e.false_alarms_per_week, 2),
      num(e.nab, 1),
      pValue(b.nab),
    ];
  });
  return table(header, rows);
}

function withP(value: string, b: BaselineStat | undefined): string {
  if (value === dash) return dash;
  return b?.p_two_sided == null ? value : `${value} (${b.p_two_sided < 0.001 ? '<.001' : b.p_two_sided.toFixed(3).replace(/^0/, '')})`;
}

/** continuation hit rate and mean directional return per horizon, for the rows whose alerts have a direction */
function directionTable(card: Scorecard): string | null {
  const hs = card.options.horizons_hours;
  const rows: [string, BreakdownRow][] = [['all', card.overall]];
  for (const dim of ['event_type', 'event_severity'] as const) for (const r of card.breakdowns[dim] ?? []) rows.push([r.key, r]);
  const shown = rows.filter(([, r]) => r.forward.some((f) => f.n_directional > 0));
  if (shown.length === 0) return null;
  const header = ['group', 'n dir', ...hs.flatMap((h) => [`${h}h hit% (p)`, `${h}h dir% (p)`])];
  const body = shown.map(([label, r]) => [
    label,
    String(Math.max(...r.forward.map((f) => f.n_directional))),
    ...r.forward.flatMap((f) => [
      withP(pct(f.hit_rate, 1), r.baseline?.[`hit_rate_${f.horizon_hours}h`]),
      withP(pct(f.mean_directional), r.baseline?.[`mean_directional_return_${f.horizon_hours}h`]),
    ]),
  ]);
  return table(header, body);
}

function eventStudyTable(card: Scorecard): string {
  const { offsets } = card.event_study;
  const wanted = [-24, -4, -1, 1, 4, 24, 72].filter((o) => offsets.includes(o));
  const curves = [
    ['all', card.event_study.overall] as const,
    ...(['source', 'event_type', 'severity'] as const).flatMap((d) => card.event_study[d].map((c) => [`${d} ${c.key}`, c] as const)),
  ];
  const header = ['group', ...wanted.map((o) => `${o > 0 ? '+' : ''}${o}h`), `n@+${offsets[offsets.length - 1]}h`];
  const rows = curves.map(([label, c]) => [
    label,
    ...wanted.map((o) => pct(c.mean[offsets.indexOf(o)])),
    String(c.n[c.n.length - 1]),
  ]);
  return table(header, rows);
}

function direction(card: Scorecard): string[] {
  const t = directionTable(card);
  if (t === null) return ['', 'Direction: no alert has a direction, so there is no hit rate'];
  return [
    '',
    'Direction (hit % = direction × return > 0, continuation; dir % = mean direction × log return %; p two-sided vs random hours, same directions)',
    t,
    'p = min(1, 2·min(upper, lower tail)); a hit % under 50 with a small p: the move after the alert reliably reverses',
  ];
}

export function formatScorecard(card: Scorecard): string {
  const o = card.options;
  const day = (ts: number) => new Date(ts).toISOString().slice(0, 10);
  const data = card.data.symbols
    .map((s) => `${s.symbol} ${day(s.first_ts)}..${day(s.last_ts + HOUR_MS)} ${s.hours}h (${s.missing_hours} missing), ${s.large_move_hours} large-move hours in ${s.episodes} episodes`)
    .join('\n  ');
  const rules =
    `large move: |${o.label_horizon_hours}h log return| > ${o.k}·σ(${o.vol_window_hours}h)·√${o.label_horizon_hours}` +
    (o.drawdown_pct === null ? '' : ` or drawdown > ${o.drawdown_pct}%`) +
    `; lead window ${o.lead_window_hours}h; baseline ${o.permutations} permutations, seed ${o.seed}`;
  return [
    `Alerts: ${card.alerts.total} (${card.alerts.unanchored} without a price hour)`,
    data ? `Data:\n  ${data}` : 'Data: no prices',
    rules,
    '',
    'Forward log returns (mean %; hit % = direction right, directional alerts only; gap/end = windows excluded)',
    forwardTable(card),
    '',
    'Large moves (p: one-sided vs random placement; lift: actual / random mean)',
    eventTable(card),
    ...direction(card),
    '',
    'Event study: mean cumulative log return % around the alert-hour close',
    eventStudyTable(card),
  ].join('\n');
}

function ratioText(x: number | null, digits = 2): string {
  return x === null ? dash : x.toFixed(digits);
}

/**
 * The paper P&L as one table: each strategy row (all alerts in one book, then each event type), what it
 * skipped, its return and risk, and buy-and-hold and random entries of the same symbols beside it.
 */
export function formatPnl(pnl: PnlSummary): string {
  const o = pnl.options;
  const overrides = Object.entries(o.event_types)
    .map(([t, v]) => `${t} ${[v.follow, v.hold_hours === undefined ? undefined : `${v.hold_hours} h`].filter(Boolean).join(' ')}`)
    .join(', ');
  const header = ['strategy', 'follow', 'hold', 'trades', 'skip ovl/dir/data', 'cut gap/end', 'total%', 'ann%', 'Sharpe', 'maxDD%', 'win%', 'PF', 'expo%', 'B&H%', 'B&H Sh', 'B&H DD%', 'rand%', 'p'];
  const rows = pnl.rows.map((r) => {
    const s = r.strategy;
    const b = r.buy_and_hold;
    return [
      r.key,
      r.follow,
      r.hold_hours === null ? 'mixed' : `${r.hold_hours}h`,
      String(s.trades),
      `${r.skipped.overlap}/${r.skipped.no_direction}/${r.skipped.no_price + r.skipped.no_exit}`,
      `${r.early_exits.gap}/${r.early_exits.end}`,
      pct(s.total_return, 1),
      pct(s.annualised_return, 1),
      ratioText(s.sharpe),
      pct(s.max_drawdown, 1),
      pct(s.win_rate, 0),
      ratioText(s.profit_factor),
      pct(s.exposure, 1),
      pct(b.total_return, 1),
      ratioText(b.sharpe),
      pct(b.max_drawdown, 1),
      r.random ? pct(r.random.mean_total_return, 1) : dash,
      r.random ? (r.random.p_value < 0.001 ? '<.001' : r.random.p_value.toFixed(3).replace(/^0/, '')) : dash,
    ];
  });
  const random = pnl.rows.find((r) => r.random)?.random;
  return [
    `Paper P&L: enter at the alert hour's close in the alert's direction (or against it: reversal), hold ${o.hold_hours} h, taker fee ${o.fee_pct} % per side,`,
    `one position per symbol (equal sleeves per symbol traded)${overrides ? `; per type: ${overrides}` : ''}; a hold that meets a gap or the data's end exits at the last close before it`,
    table(header, rows),
    `skip: overlap/no direction/no price or no close after entry · cut: exits at the last close before a gap / at the data's end · Sharpe on hourly returns ×√8760 ·` +
      ` B&H: buy-and-hold of the same symbols · rand: mean total return of ${random ? `${random.permutations} draws of ` : ''}random entries, same count, directions and hold (seed ${o.seed}); p one-sided`,
  ].join('\n');
}
