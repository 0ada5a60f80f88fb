/**
 * Options of the paper P&L (engine/score/pnl.ts): one simple strategy per event type, configurable per type.
 */
import * as z from 'zod';
import { UserError } from '../errors.ts';

export const FOLLOW_MODES = ['continuation', 'reversal'] as const;
export type Follow = (typeof FOLLOW_MODES)[number];

const followMsg = `expected ${FOLLOW_MODES.join(' or ')}`;
const holdMsg = 'expected a whole number of hours from 1 to 8760';
const Hold = z.number({ error: holdMsg }).int({ error: holdMsg }).min(1, { error: holdMsg }).max(8760, { error: holdMsg });
const FollowMode = z.enum(FOLLOW_MODES, { error: followMsg });

const feeMsg = 'expected a percentage from 0 to 10';

export const PnlOptions = z
  .object({
    /** trade in the alert's direction, or against it */
    follow: FollowMode.default('continuation'),
    /** hours from the entry close to the exit close */
    hold_hours: Hold.default(24),
    /** taker fee per side, percent of the traded notional */
    fee_pct: z.number({ error: feeMsg }).min(0, { error: feeMsg }).max(10, { error: feeMsg }).default(0.1),
    /** per event type: overrides of follow / hold_hours */
    event_types: z
      .record(z.string(), z.object({ follow: FollowMode.optional(), hold_hours: Hold.optional() }, { error: 'expected an object' }).strict(), {
        error: 'expected an object keyed by event type',
      })
      .default({}),
    /** random-entry permutations for the p-value of total return; 0 skips them */
    random_entries: z.number({ error: 'expected a non-negative integer' }).int({ error: 'expected a non-negative integer' }).min(0, { error: 'expected a non-negative integer' }).default(1000),
    seed: z.number({ error: 'expected an integer' }).int({ error: 'expected an integer' }).default(1),
  })
  .strict();

export type PnlOptions = z.output<typeof PnlOptions>;
export type PnlOptionsInput = z.input<typeof PnlOptions>;

function keyPath(path: readonly PropertyKey[]): string {
  let s = 'pnl options';
  for (const k of path) s += typeof k === 'number' ? `[${k}]` : `.${String(k)}`;
  return s;
}

export function parsePnlOptions(input: unknown): PnlOptions {
  const r = PnlOptions.safeParse(input ?? {});
  if (r.success) return r.data;
  const lines: string[] = [];
  for (const issue of r.error.issues) {
    if (issue.code === 'unrecognized_keys') for (const k of issue.keys) lines.push(`${keyPath([...issue.path, k])}: unknown option`);
    else lines.push(`${keyPath(issue.path)}: ${issue.message}`);
  }
  throw new UserError(lines.join('\n'));
}

/** the strategy an event type trades with */
export function strategyOf(o: PnlOptions, eventType: string): { follow: Follow; hold_hours: number } {
  const t = o.event_types[eventType];
  return { follow: t?.follow ?? o.follow, hold_hours: t?.hold_hours ?? o.hold_hours };
}

/**
 * CLI form of the per-type settings: `reversal` sets the default, `TYPE=reversal` one type, comma-separated
 * (`--follow continuation,VOLATILITY_REGIME_CHANGE=reversal`). Values are checked by parsePnlOptions.
 */
export function parseTypedList(
  text: string,
  flag: string,
  knownTypes: readonly string[],
  value: (s: string) => unknown,
): { all?: unknown; byType: Record<string, unknown> } {
  const out: { all?: unknown; byType: Record<string, unknown> } = { byType: {} };
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq < 0) {
      out.all = value(part);
      continue;
    }
    const type = part.slice(0, eq).trim().toUpperCase();
    if (!knownTypes.includes(type)) throw new UserError(`${flag}: unknown event type '${type}' (expected one of ${knownTypes.join(', ')})`);
    out.byType[type] = value(part.slice(eq + 1).trim());
  }
  return out;
}
