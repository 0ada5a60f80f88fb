/**
 * The random baseline the plain way: per permutation, place every alert of the spec at the hour its hash picks
 * (engine/score/prng.ts, as the kernel does), then build each row's grid positions in the row's member order and
 * call AlertSetEvaluator.evaluate, the code that scores the real alerts. The reference the kernel
 * (baseline.ts permutationValues) is tested against bit for bit, and timed beside in `npm run bench -- scoring`;
 * not used by the product.
 */
import { metricCount, permutationValues, setRowKernel, setScratchBytes, valueOffset, type BaselineSpec } from './baseline.ts';
import type { AlertSetEvaluator } from './evaluator.ts';
import type { Market } from './market.ts';
import { alertStream, drawIndex, permutationSalt, placementBits } from './prng.ts';

export function evaluatorValues(evaluator: AlertSetEvaluator, spec: BaselineSpec, from: number, to: number): Float64Array {
  const market = evaluator.market;
  const m = metricCount(market);
  const n = spec.keys.length;
  const hour = new Int32Array(n);
  const symbolOf: Int32Array[] = [];
  spec.symbols.forEach((s, b) => {
    const range = market.grid.bySymbol.get(s);
    if (!range) throw new Error(`random baseline: symbol ${s} is not in the market`);
    for (let c = 0; c < spec.counts[b]; c++) symbolOf.push(range.present);
  });
  const out = new Float64Array(m);
  const values = new Float64Array(spec.rows.length * (to - from) * m);
  for (let p = from; p < to; p++) {
    const salt = permutationSalt(p);
    for (let a = 0; a < n; a++) {
      const present = symbolOf[a];
      hour[a] = present[drawIndex(placementBits(alertStream(spec.seed, spec.keys[a]), salt), present.length)];
    }
    spec.rows.forEach(({ members, universe }, r) => {
      const pos = Int32Array.from(members, (a) => hour[a]);
      const dir = Int8Array.from(members, (a) => spec.dir[a]);
      evaluator.evaluate(pos, dir, pos.length, universe, out);
      values.set(out, valueOffset(r, p, from, to, m));
    });
  }
  return values;
}

/**
 * A copy of `spec` whose kernel (made on this first use, and kept with the copy) runs another way: its rows counted in
 * JavaScript instead of WebAssembly, or its alerts placed one permutation at a time over every table (the order
 * before session 24) instead of a chunk and a table at a time. Its values must be the kernel's own, bit for bit.
 */
export function kernelVariant(market: Market, spec: BaselineSpec, variant: 'javascript-rows' | 'one-permutation-at-a-time'): BaselineSpec {
  const copy = structuredClone(spec);
  let restore: () => void;
  if (variant === 'javascript-rows') {
    const last = setRowKernel(false);
    restore = () => setRowKernel(last);
  } else {
    const last = setScratchBytes(1);
    restore = () => setScratchBytes(last);
  }
  try {
    permutationValues(market, copy, 0, Math.min(1, spec.permutations));
  } finally {
    restore();
  }
  return copy;
}
