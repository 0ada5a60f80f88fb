import * as z from 'zod';
import { UserError } from '../errors.ts';

const posInt = 'expected a positive integer';
const nonNegInt = 'expected a non-negative integer';
const posNum = 'expected a positive number';

function positiveInt(def: number) {
  return z.number({ error: posInt }).int({ error: posInt }).positive({ error: posInt }).default(def);
}

function nonNegativeInt(def: number) {
  return z.number({ error: nonNegInt }).int({ error: nonNegInt }).nonnegative({ error: nonNegInt }).default(def);
}

const horizonsMsg = 'expected a non-empty list of distinct positive integers (hours)';
export const MAX_PERMUTATIONS = 100_000;
const permutationsMsg = `expected an integer between 0 and ${MAX_PERMUTATIONS}`;

export const ScoreOptions = z
  .object({
    /** forward-return horizons, hours */
    horizons_hours: z
      .array(z.number({ error: horizonsMsg }).int({ error: horizonsMsg }).positive({ error: horizonsMsg }), { error: horizonsMsg })
      .min(1, { error: horizonsMsg })
      .refine((a) => new Set(a).size === a.length, { error: horizonsMsg })
      .default([1, 4, 24, 72]),
    /** a large move exceeds k ex-ante standard deviations over the label horizon */
    k: z.number({ error: posNum }).positive({ error: posNum }).default(2),
    label_horizon_hours: positiveInt(24),
    /** hourly returns in the ex-ante volatility window (at least 2 for a sample std) */
    vol_window_hours: z
      .number({ error: 'expected an integer >= 2' })
      .int({ error: 'expected an integer >= 2' })
      .min(2, { error: 'expected an integer >= 2' })
      .default(24),
    /** percent; also a large move when the price falls this far below the hour's close within the label horizon. null: off */
    drawdown_pct: z
      .number({ error: 'expected a percentage in (0, 100) or null' })
      .gt(0, { error: 'expected a percentage in (0, 100) or null' })
      .lt(100, { error: 'expected a percentage in (0, 100) or null' })
      .nullable()
      .default(null),
    /** precision window after an alert and recall window before an episode, hours */
    lead_window_hours: nonNegativeInt(24),
    event_window: z
      .object({ before_hours: nonNegativeInt(24), after_hours: nonNegativeInt(72) }, { error: 'expected an object' })
      .strict()
      .prefault({}),
    /** random-baseline permutations; 0 skips the baseline; at most 100,000 (p-values resolve to 1e-5) */
    permutations: z
      .number({ error: permutationsMsg })
      .int({ error: permutationsMsg })
      .min(0, { error: permutationsMsg })
      .max(MAX_PERMUTATIONS, { error: permutationsMsg })
      .default(1000),
    /** 'overall' keeps the baseline to the overall row: about 5× faster, for threshold sweeps */
    baseline_rows: z.enum(['all', 'overall'], { error: "expected 'all' or 'overall'" }).default('all'),
    seed: z.number({ error: 'expected an integer' }).int({ error: 'expected an integer' }).default(1),
    include_alerts: z.boolean({ error: 'expected true or false' }).default(false),
  })
  .strict();

export type ScoreOptions = z.output<typeof ScoreOptions>;
export type ScoreOptionsInput = z.input<typeof ScoreOptions>;

function keyPath(path: readonly PropertyKey[]): string {
  let s = 'score options';
  for (const k of path) s += typeof k === 'number' ? `[${k}]` : `.${String(k)}`;
  return s;
}

/** Defaults everywhere; a UserError with one line per problem, each naming the option. */
export function parseScoreOptions(input: unknown): ScoreOptions {
  const r = ScoreOptions.safeParse(input ?? {});
  if (r.success) return r.data;
  const lines: string[] = [];
  for (const issue of r.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) lines.push(`${keyPath([...issue.path, k])}: unknown option`);
    } else {
      lines.push(`${keyPath(issue.path)}: ${issue.message}`);
    }
  }
  throw new UserError(lines.join('\n'));
}
