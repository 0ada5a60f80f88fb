import { z } from 'zod';

/**
 * Config field builders with messages that say what was expected, so that parseConfig can report
 * `config.<path>: <expectation>` without a zod-internal wording.
 */

export function positiveInt(def: number) {
  const msg = 'expected a positive integer';
  return z.number({ error: msg }).int({ error: msg }).positive({ error: msg }).default(def);
}

export function nonNegativeInt(def: number) {
  const msg = 'expected a non-negative integer';
  return z.number({ error: msg }).int({ error: msg }).nonnegative({ error: msg }).default(def);
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

export function intAtLeast(min: number, def: number) {
  const msg = `expected an integer >= ${min}`;
  return z.number({ error: msg }).int({ error: msg }).min(min, { error: msg }).default(def);
}
