import * as z from 'zod';

/**
 * Config field builders with messages that say what was expected, so that parseConfig can report
 * `config.<path>: <expectation>` without a zod-internal wording.
 *
 * Every integer (a window, lookback or count) has an upper bound: detectors allocate and scan their windows,
 * so an unbounded `baseline_hours: 2000000000` would be a memory bomb rather than a configuration.
 */

/** upper bounds shared by the configs (the README lists every key with its bound) */
export const BOUNDS = {
  /** two years of hours: long baselines and normals */
  baselineHours: 17_520,
  /** one year of hours: lookbacks, cooldowns, staleness */
  yearHours: 8_760,
  /** 90 days of hours: short rolling windows such as a correlation window */
  windowHours: 2_160,
  /** previous bars behind a z-score */
  lookbackBars: 500,
} as const;

export function intBetween(min: number, max: number, def: number) {
  const msg = `expected an integer between ${min} and ${max}`;
  return z.number({ error: msg }).int({ error: msg }).min(min, { error: msg }).max(max, { error: msg }).default(def);
}

export function positiveInt(def: number, max: number) {
  return intBetween(1, max, def);
}

export function nonNegativeInt(def: number, max: number) {
  return intBetween(0, max, def);
}

/** a number in [min, max] (e.g. a percentage whose smallest value would allocate too many bins) */
export function numberBetween(min: number, max: number, def: number) {
  const msg = `expected a number between ${min} and ${max}`;
  return z.number({ error: msg }).min(min, { error: msg }).max(max, { error: msg }).default(def);
}

export function positiveNumber(def: number) {
  const msg = 'expected a positive number';
  return z.number({ error: msg }).positive({ error: msg }).default(def);
}

export function nonNegativeNumber(def: number) {
  const msg = 'expected a non-negative number';
  return z.number({ error: msg }).nonnegative({ error: msg }).default(def);
}

export function finiteNumber(def: number) {
  return z.number({ error: 'expected a number' }).default(def);
}

/** a fraction in [0, 1] */
export function fraction(def: number) {
  const msg = 'expected a number between 0 and 1';
  return z.number({ error: msg }).min(0, { error: msg }).max(1, { error: msg }).default(def);
}

export function bool(def: boolean) {
  return z.boolean({ error: 'expected true or false' }).default(def);
}

/** strictly increasing list of `length` numbers (severity or regime boundaries) */
export function increasingNumbers(def: number[], length: number) {
  const msg = `expected ${length} strictly increasing numbers`;
  return z
    .array(z.number({ error: msg }), { error: msg })
    .length(length, { error: msg })
    .refine((a) => a.every((v, i) => i === 0 || v > a[i - 1]), { error: msg })
    .default(def);
}

/** an integer in [min, max]; max defaults to the bound of z-score lookbacks in bars */
export function intAtLeast(min: number, def: number, max: number = BOUNDS.lookbackBars) {
  return intBetween(min, max, def);
}
