// ReturnRows on SYNTHETIC tables: every row equals the table's, and only alerts the last set lacked are read from it.
import { describe, expect, it } from 'vitest';
import type { HourLayout } from './evaluator.ts';
import { Mulberry32 } from './prng.ts';
import { ReturnRows } from './return-rows.ts';

const HOURS = 500;
/** each block's positions lie in hours b · BLOCK_HOURS … (b + 1) · BLOCK_HOURS − 1 (at most 4 blocks) */
const BLOCK_HOURS = 120;

/** a table of 2 truth-like columns and H returns per hour (some NaN), and a count of the reads of its return columns */
function countedLayout(H: number, random: Mulberry32) {
  const stride = H + 2;
  const table = Float64Array.from({ length: HOURS * stride }, (_, i) => (i % stride < 2 ? -1 : random.below(10) === 0 ? NaN : random.below(2000) / 1000 - 1));
  const reads = { n: 0 };
  const returns = new Proxy(table, {
    get(target, key) {
      if (typeof key === 'string' && /^\d+$/.test(key)) {
        expect(Number(key) % stride).toBeGreaterThanOrEqual(2);
        reads.n++;
        return target[Number(key)];
      }
      return Reflect.get(target, key);
    },
  });
  const layout: HourLayout = { truth: new Int8Array(HOURS), truthStride: 1, returns, returnStride: stride, returnOffset: 2 };
  return { table, stride, layout, reads };
}

/** the definition the copy's sums must meet: per horizon, |return| added in row order over the defined ones */
function meanAbsOfRows(rows: Float64Array, n: number, H: number, out: Float64Array): void {
  for (let k = 0; k < H; k++) {
    let count = 0;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const r = rows[i * H + k];
      if (r !== r) continue;
      count++;
      sum += Math.abs(r);
    }
    out[k] = sum / count;
  }
}

/** blocks of grid indices, each ascending (repeats allowed), as PeriodScorer places them; a new set shares most of the last */
function nextSet(random: Mulberry32, last: number[][] | null, blocks: number): number[][] {
  return Array.from({ length: blocks }, (_, b) => {
    const base = last?.[b] ?? [];
    const kept = base.filter(() => random.below(10) !== 0);
    const added = Array.from({ length: random.below(30) }, () => b * BLOCK_HOURS + random.below(BLOCK_HOURS));
    return [...kept, ...added].sort((x, y) => x - y);
  });
}

describe('ReturnRows', () => {
  for (const H of [1, 3, 4, 6]) {
    it(`gives each alert the table's row and reads only the new alerts (${H} horizon${H > 1 ? 's' : ''})`, () => {
      const random = new Mulberry32(5 + H);
      const { table, stride, layout, reads } = countedLayout(H, random);
      const rows = new ReturnRows(layout, H);
      let set: number[][] | null = null;
      let reused = 0;
      for (let round = 0; round < 40; round++) {
        // the blocks' count changes now and then, and now and then a round has no alert at all
        const last: number[][] | null = set;
        set = round % 9 === 8 ? [] : nextSet(random, last, 1 + random.below(4));
        const flat = set.flat();
        const pos = Int32Array.from(flat);
        let end = 0;
        const ends = Int32Array.from(set, (block) => (end += block.length));
        reads.n = 0;
        const got = rows.rowsOf(pos, pos.length, ends, set.length);
        for (let i = 0; i < pos.length; i++) {
          for (let k = 0; k < H; k++) expect(Object.is(got[i * H + k], table[pos[i] * stride + 2 + k])).toBe(true);
        }
        // a position of block b that block b of the last set had needs no read
        const fresh = set.reduce((sum, block, b) => sum + block.filter((p) => !(last?.[b] ?? []).includes(p)).length, 0);
        expect(reads.n).toBe(fresh * H);
        reused += pos.length - fresh;
      }
      expect(reused).toBeGreaterThan(1000);
    });
  }

  it('is still right when positions fall inside a block (they never do in a sweep): it only reads more', () => {
    const random = new Mulberry32(17);
    const { table, stride, layout } = countedLayout(4, random);
    const rows = new ReturnRows(layout, 4);
    for (let round = 0; round < 20; round++) {
      const pos = Int32Array.from({ length: 50 + random.below(50) }, () => random.below(HOURS));
      const got = rows.rowsOf(pos, pos.length, Int32Array.of(pos.length), 1);
      for (let i = 0; i < pos.length; i++) {
        for (let k = 0; k < 4; k++) expect(Object.is(got[i * 4 + k], table[pos[i] * stride + 2 + k])).toBe(true);
      }
    }
  });

  for (const H of [3, 4]) {
    it(`averages each set's rows in the pass that copies them to the bits of meanAbsOfRows (${H} horizons)`, () => {
      const random = new Mulberry32(31 + H);
      const { layout } = countedLayout(H, random);
      // one instance averaging, one copying its rows for meanAbsOfRows: both see the same sets in turn
      const [fused, plain] = [new ReturnRows(layout, H), new ReturnRows(layout, H)];
      let set: number[][] | null = null;
      let undefinedHorizons = 0;
      for (let round = 0; round < 40; round++) {
        set = round % 9 === 8 ? [] : nextSet(random, set, 1 + random.below(4));
        const pos = Int32Array.from(set.flat());
        let end = 0;
        const ends = Int32Array.from(set, (block) => (end += block.length));
        const [got, want] = [new Float64Array(H), new Float64Array(H)];
        fused.meanAbsOf(pos, pos.length, ends, set.length, got);
        meanAbsOfRows(plain.rowsOf(pos, pos.length, ends, set.length), pos.length, H, want);
        for (let k = 0; k < H; k++) expect(Object.is(got[k], want[k])).toBe(true);
        undefinedHorizons += want.filter((v) => v !== v).length;
      }
      expect(undefinedHorizons).toBeGreaterThan(0);
    });
  }

  it('averages |return| per horizon in alert order, NaN where a horizon has none', () => {
    const returns = Float64Array.of(0.1, NaN, -0.3, NaN, 0.2, NaN);
    const layout: HourLayout = { truth: new Int8Array(3), truthStride: 1, returns, returnStride: 2, returnOffset: 0 };
    const out = new Float64Array(2);
    new ReturnRows(layout, 2).meanAbsOf(Int32Array.of(0, 1, 2), 3, Int32Array.of(3), 1, out);
    expect(out[0]).toBe((0.1 + 0.3 + 0.2) / 3);
    expect(out[1]).toBeNaN();
  });
});
