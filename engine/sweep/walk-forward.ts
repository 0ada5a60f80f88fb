/**
 * Walk-forward selection: the range is cut into folds, each a train period followed (after an embargo) by a
 * test period. In every fold the best configuration is chosen on train alone and judged on its test period;
 * the test periods' alerts, stitched together, are the out-of-sample record of the selection procedure itself.
 * Rolling folds keep the train length; anchored folds all start at the beginning and grow by one step.
 */
import { UserError } from '../errors.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import { isoHour } from '../time.ts';

const DAY_MS = 24 * HOUR_MS;
/** each fold adds two scored periods per configuration; beyond this the runs table grows unwieldy */
export const MAX_FOLDS = 50;

export interface WalkForwardSpec {
  train_days: number;
  test_days: number;
  /** how far each fold moves on; at least test_days, so test periods never overlap */
  step_days: number;
  window: 'rolling' | 'anchored';
  /** hours dropped between train and test */
  embargo_hours: number;
}

export interface Fold {
  /** 1-based */
  fold: number;
  train: { from: number; to: number };
  test: { from: number; to: number };
}

const KEYS = ['train_days', 'test_days', 'step_days', 'window', 'embargo_hours'] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Validates split.walk_forward; every problem goes into issues naming its key. */
export function parseWalkForward(v: unknown, issues: string[]): WalkForwardSpec | null {
  const where = 'split.walk_forward';
  if (!isObject(v)) {
    issues.push(`${where}: expected { train_days, test_days, step_days?, window?: 'rolling' | 'anchored', embargo_hours? }`);
    return null;
  }
  const before = issues.length;
  for (const k of Object.keys(v)) if (!(KEYS as readonly string[]).includes(k)) issues.push(`${where}.${k}: unknown key (expected ${KEYS.join(', ')})`);
  const days = (k: 'train_days' | 'test_days' | 'step_days', fallback?: number): number => {
    const x = v[k] ?? fallback;
    if (x === undefined) issues.push(`${where}.${k}: required, a positive whole number of days`);
    else if (typeof x !== 'number' || !Number.isInteger(x) || x <= 0) issues.push(`${where}.${k}: expected a positive whole number of days`);
    else return x;
    return 0;
  };
  const train = days('train_days');
  const test = days('test_days');
  // without a valid test length there is no default step to complain about
  const step = v.step_days === undefined && test === 0 ? 0 : days('step_days', test);
  const window = v.window ?? 'rolling';
  if (window !== 'rolling' && window !== 'anchored') issues.push(`${where}.window: expected 'rolling' or 'anchored'`);
  const embargo = v.embargo_hours ?? 0;
  if (typeof embargo !== 'number' || !Number.isInteger(embargo) || embargo < 0) issues.push(`${where}.embargo_hours: expected a non-negative whole number of hours`);
  if (test > 0 && step > 0 && step < test) {
    issues.push(`${where}.step_days: expected at least test_days (${test}): test periods must not overlap, the stitched out-of-sample record counts each hour once`);
  }
  if (issues.length > before) return null;
  return { train_days: train, test_days: test, step_days: step, window: window as WalkForwardSpec['window'], embargo_hours: embargo as number };
}

/**
 * The folds over [from, to) (epoch ms, whole hours): as many as fit whole; a tail shorter than a test period is
 * left unused rather than scored as a short fold. Throws a message naming the key when none fits or too many do.
 */
export function walkForwardFolds(from: number, to: number, wf: WalkForwardSpec): Fold[] {
  const train = wf.train_days * DAY_MS;
  const test = wf.test_days * DAY_MS;
  const step = wf.step_days * DAY_MS;
  const embargo = wf.embargo_hours * HOUR_MS;
  const folds: Fold[] = [];
  for (let k = 0; ; k++) {
    const trainFrom = wf.window === 'rolling' ? from + k * step : from;
    const trainTo = wf.window === 'rolling' ? trainFrom + train : from + train + k * step;
    const testFrom = trainTo + embargo;
    const testTo = testFrom + test;
    if (testTo > to) break;
    folds.push({ fold: k + 1, train: { from: trainFrom, to: trainTo }, test: { from: testFrom, to: testTo } });
    if (folds.length > MAX_FOLDS) {
      throw new UserError(`split.walk_forward.step_days: more than ${MAX_FOLDS} folds fit the range; take a longer step or a shorter range`);
    }
  }
  if (folds.length === 0) {
    const need = (train + embargo + test) / DAY_MS;
    const have = (to - from) / DAY_MS;
    throw new UserError(
      `split.walk_forward.train_days: train_days + embargo + test_days (${+need.toFixed(2)} days) do not fit the range ` +
        `${isoHour(from)} .. ${isoHour(to - HOUR_MS)} (${+have.toFixed(2)} days)`,
    );
  }
  return folds;
}

/** the scored period names of fold k */
export function foldPeriods(fold: number): { train: string; test: string } {
  return { train: `f${fold}_train`, test: `f${fold}_test` };
}
