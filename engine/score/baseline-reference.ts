/**
 * The random baseline as it was computed before the draw-table kernel (engine/score/baseline.ts): draw each
 * permutation's hours into grid positions and call AlertSetEvaluator.evaluate, the code that scores the real
 * alerts. Kept as the reference the identity tests and `npm run bench -- scoring` compare the kernel with; not
 * used by the product.
 */
import type { Placement } from './baseline.ts';
import type { AlertSetEvaluator, Universe } from './evaluator.ts';
import { Mulberry32 } from './prng.ts';

export function evaluatorValues(evaluator: AlertSetEvaluator, placement: Placement, universe: Universe, seed: number, from: number, to: number): Float64Array {
  const n = placement.dir.length;
  const m = evaluator.specs.length;
  const pos = new Int32Array(n);
  const out = new Float64Array(m);
  const values = new Float64Array((to - from) * m);
  const random = new Mulberry32(seed).skip(from * n);
  for (let p = from; p < to; p++) {
    let k = 0;
    for (const { range, count } of placement.blocks) {
      const hours = range.present;
      for (let i = 0; i < count; i++) pos[k++] = hours[random.below(hours.length)];
    }
    evaluator.evaluate(pos, placement.dir, n, universe, out);
    values.set(out, (p - from) * m);
  }
  return values;
}
