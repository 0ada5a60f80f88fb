/**
 * Benjamini–Hochberg q-values: the smallest false-discovery rate at which each hypothesis would be rejected.
 * A sweep tests one hypothesis per configuration ("it beats random placement"), so the best of many is
 * expected to look significant by chance; its q-value says whether it still does after counting the others.
 */

/** the false-discovery rate a selected configuration must survive */
export const FDR_LEVEL = 0.1;

/**
 * q_(i) = min over j >= i of m · p_(j) / j, capped at 1, with p sorted ascending and m the number of
 * p-values given. Tied p-values get the same q (the minimum runs over the whole tie). A null p-value is no
 * test: it gets a null q and does not count in m.
 */
export function bhQValues(p: readonly (number | null)[]): (number | null)[] {
  const idx: number[] = [];
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (v === null) continue;
    if (!(v >= 0 && v <= 1)) throw new RangeError(`p-value ${i} is ${v}: expected a number in [0, 1]`);
    idx.push(i);
  }
  // stable by position so equal inputs give equal outputs whatever the engine's sort
  idx.sort((a, b) => p[a]! - p[b]! || a - b);
  const m = idx.length;
  const q: (number | null)[] = p.map(() => null);
  let running = 1;
  for (let r = m; r >= 1; r--) {
    const i = idx[r - 1];
    running = Math.min(running, (m * p[i]!) / r);
    q[i] = running;
  }
  return q;
}
