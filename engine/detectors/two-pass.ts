/**
 * The reference the running window statistics are tested against: a two-pass mean and sample variance over
 * the finite values (NaN = missing), with compensated sums so the reference is not the weak link. Tests only.
 */
import { FLAT_RELATIVE_STD } from './running-moments.ts';

export interface TwoPass {
  n: number;
  mean: number;
  variance: number;
  std: number;
  /** z of x against the values, from deviations of a value in the window (no rounding of the mean first) */
  z: (x: number) => number;
  /** std at most FLAT_RELATIVE_STD × |mean| (a constant window included) */
  flat: boolean;
  /** within 1e-6 (relative) of the flat boundary, where a running and a two-pass verdict may differ */
  nearFlatBoundary: boolean;
}

/** Neumaier-compensated sum of f over xs */
function exactSum(xs: readonly number[], f: (x: number) => number): number {
  let s = 0;
  let comp = 0;
  for (const x of xs) {
    const v = f(x);
    const t = s + v;
    comp += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
    s = t;
  }
  return s + comp;
}

export function twoPass(values: ArrayLike<number>): TwoPass {
  const xs = Array.from(values).filter((x) => Number.isFinite(x));
  const n = xs.length;
  const c0 = n > 0 ? xs[0] : 0;
  const dm = n > 0 ? exactSum(xs, (x) => x - c0) / n : NaN;
  const mean = c0 + dm;
  const variance = n > 1 ? exactSum(xs, (x) => (x - c0 - dm) ** 2) / (n - 1) : NaN;
  const std = Math.sqrt(variance);
  const bound = FLAT_RELATIVE_STD * Math.abs(mean);
  return {
    n,
    mean,
    variance,
    std,
    z: (x) => (x - c0 - dm) / std,
    flat: n > 1 && std <= bound,
    nearFlatBoundary: n > 1 && Math.abs(std / bound - 1) < 1e-6,
  };
}

/** |z − two-pass z| allowed: 1e-9 relative, plus the half-ulp rounding of the mean (not the window's to fix) */
export function zTolerance(t: TwoPass, zRef: number): number {
  return 1e-9 * Math.max(1, Math.abs(zRef)) + (4 * 2 ** -53 * Math.abs(t.mean)) / t.std;
}
