/**
 * Pareto fronts of two metrics: the configurations no other configuration beats on one metric without
 * losing on the other. Points with a missing metric are left out; exact duplicates both stay (neither
 * dominates the other).
 */

export type Better = 'higher' | 'lower';

/** indices of the non-dominated points, ordered by x ascending (then y) */
export function paretoFront(xs: ArrayLike<number | null>, ys: ArrayLike<number | null>, betterX: Better, betterY: Better): number[] {
  const sx = betterX === 'higher' ? 1 : -1;
  const sy = betterY === 'higher' ? 1 : -1;
  const idx: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    const y = ys[i];
    if (x !== null && y !== null && Number.isFinite(x) && Number.isFinite(y)) idx.push(i);
  }
  // best x first; within equal x, best y first
  idx.sort((a, b) => sx * (xs[b]! - xs[a]!) || sy * (ys[b]! - ys[a]!) || a - b);
  const front: number[] = [];
  let bestBefore = -Infinity;
  for (let g = 0; g < idx.length; ) {
    let end = g;
    while (end < idx.length && xs[idx[end]] === xs[idx[g]]) end++;
    const groupBest = sy * ys[idx[g]]!;
    for (let k = g; k < end; k++) {
      const y = sy * ys[idx[k]]!;
      if (y === groupBest && y > bestBefore) front.push(idx[k]);
    }
    bestBefore = Math.max(bestBefore, groupBest);
    g = end;
  }
  return front.sort((a, b) => xs[a]! - xs[b]! || ys[a]! - ys[b]! || a - b);
}
