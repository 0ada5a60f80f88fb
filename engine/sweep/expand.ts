/**
 * The configurations of a spec, one at a time: the grid's cartesian product (an odometer over value indices,
 * last dimension fastest), then the seeded random samples. Nothing is materialised, so a grid of millions
 * costs the memory of one configuration; the same spec yields the same sequence on every run.
 */
import { Mulberry32 } from '../score/prng.ts';
import { setPath } from './keys.ts';
import type { RandomParam, SweepSpec } from './spec.ts';

/** path → value, in dimension order */
export type Params = Record<string, unknown>;

export function countVariants(spec: Pick<SweepSpec, 'grid' | 'random'>): number {
  const grid = spec.grid.length === 0 ? 0 : spec.grid.reduce((n, d) => n * d.values.length, 1);
  return grid + (spec.random?.n ?? 0);
}

export function* gridVariants(grid: SweepSpec['grid']): Generator<Params> {
  if (grid.length === 0) return;
  const idx = new Array<number>(grid.length).fill(0);
  for (;;) {
    const params: Params = {};
    for (let d = 0; d < grid.length; d++) params[grid[d].path] = grid[d].values[idx[d]];
    yield params;
    let d = grid.length - 1;
    while (d >= 0 && ++idx[d] === grid[d].values.length) idx[d--] = 0;
    if (d < 0) return;
  }
}

/** drop float noise (0.30000000000000004) so that drawn values print and hash as written */
function tidy(x: number, digits: number): number {
  return Number(x.toPrecision(digits));
}

/** a stepped range's values are min + k · step for k = 0 … stepCount (max itself when it lies on a step) */
export function stepCount(min: number, max: number, step: number): number {
  return Math.floor((max - min) / step + 1e-9);
}

export function stepValue(min: number, step: number, k: number): number {
  return tidy(min + k * step, 12);
}

export function drawValue(p: RandomParam, rng: Mulberry32): unknown {
  if ('choices' in p) return p.choices[rng.below(p.choices.length)];
  if (p.step !== null) return stepValue(p.min, p.step, rng.below(stepCount(p.min, p.max, p.step) + 1));
  if (p.integer) {
    const lo = Math.ceil(p.min);
    const hi = Math.floor(p.max);
    return lo + rng.below(hi - lo + 1);
  }
  return tidy(p.min + rng.next() * (p.max - p.min), 6);
}

export function* randomVariants(random: SweepSpec['random']): Generator<Params> {
  if (random === null) return;
  const rng = new Mulberry32(random.seed);
  for (let i = 0; i < random.n; i++) {
    const params: Params = {};
    for (const p of random.params) params[p.path] = drawValue(p, rng);
    yield params;
  }
}

export function* variants(spec: Pick<SweepSpec, 'grid' | 'random'>): Generator<Params> {
  yield* gridVariants(spec.grid);
  yield* randomVariants(spec.random);
}

/** the base config JSON with the swept values set (not yet validated) */
export function applyParams(base: Record<string, unknown>, params: Params): Record<string, unknown> {
  const json = structuredClone(base);
  for (const [p, v] of Object.entries(params)) setPath(json, p, structuredClone(v));
  return json;
}
