import { UserError } from '../errors.ts';

/** `--symbols btcusdt, ETHUSDT` → ['BTCUSDT', 'ETHUSDT']; undefined when the option was not given */
export function symbolList(value: string | undefined): string[] | undefined {
  return value?.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
}

/** the value as a positive whole number, or null */
export function asPositiveInt(value: string): number | null {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 ? n : null;
}

export function positiveInt(value: string, name: string): number {
  const n = asPositiveInt(value);
  if (n === null) throw new UserError(`${name}: '${value}' is not a positive whole number`);
  return n;
}

export function wholeNumber(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UserError(`${name}: '${value}' is not a whole number`);
  return n;
}
