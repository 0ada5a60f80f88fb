/**
 * Each alert's forward returns, horizons side by side, for an alert set scored right after a similar one (a
 * sweep's next configuration on its locality path keeps most alerts of the last: 77 % on the bench's spec). In a
 * sweep's worker, reading an alert's returns from the market's table is a cache miss (the table is several MB, the
 * alerts hours apart, and the rules' own tables evict it between configurations): ≈ 100 ns an alert, a fifth of
 * the worker's time. The rows of the alerts the last set also had are copied from its rows, read in order; only the
 * new alerts are read from the table. The values are the table's own, so every sum over them is the same. (With a
 * warm cache, as in a loop over nothing but scoring, the plain reads are faster: 0.1 against 0.2 ms for the
 * bench's 10,000 alerts a configuration.)
 */
import type { HourLayout } from './evaluator.ts';

export class ReturnRows {
  /** the last set's grid indices and rows, and its blocks' ends (as given to rowsOf) */
  private lastPos = new Int32Array(0);
  private lastRows = new Float64Array(0);
  private lastEnds = new Int32Array(0);
  private lastBlocks = 0;
  /** the buffers the next rowsOf writes: swapped with the last set's after each call */
  private nextPos = new Int32Array(0);
  private nextRows = new Float64Array(0);
  private nextEnds = new Int32Array(0);

  constructor(
    private readonly layout: HourLayout,
    private readonly horizons: number,
  ) {
    this.sums = new Float64Array(8 + 2 * horizons);
  }

  /**
   * rows[i * horizons + k]: the return at horizon k of the alert at grid index pos[i], for i < n. The alerts come in
   * blocks (ends[b]: the end of block b, for b < blocks; together they cover 0 .. n) whose grid indices never
   * decrease within a block: a block is matched against the last set's block of the same number. The result is
   * valid until the next call.
   */
  rowsOf(pos: Int32Array, n: number, ends: Int32Array, blocks: number): Float64Array {
    this.copy(pos, n, ends, blocks);
    return this.keep(pos, n, ends, blocks);
  }

  /**
   * out[k] = the mean |return| at horizon k over the alerts' rows (NaN without any return there), summed in the
   * pass that copies them: added in alert order, as evaluate()'s forward metrics add them, so the two agree to the
   * last bit
   */
  meanAbsOf(pos: Int32Array, n: number, ends: Int32Array, blocks: number, out: Float64Array): void {
    const H = this.horizons;
    const sums = this.sums;
    this.copy(pos, n, ends, blocks);
    this.keep(pos, n, ends, blocks);
    // 0 / 0 is the NaN of a horizon without returns
    if (H === 4) for (let k = 0; k < 4; k++) out[k] = sums[k] / sums[4 + k];
    else for (let k = 0; k < H; k++) out[k] = sums[8 + k] / sums[8 + H + k];
  }

  /** copyRows' Σ|return| and count per horizon: four horizons' in 0 … 7, any other number's from 8 on */
  private readonly sums: Float64Array;

  private copy(pos: Int32Array, n: number, ends: Int32Array, blocks: number): void {
    const H = this.horizons;
    this.reserve(n, blocks);
    this.sums.fill(0);
    const { returns, returnStride, returnOffset } = this.layout;
    copyRows(pos, ends, blocks, this.lastPos, this.lastRows, this.lastEnds, this.lastBlocks, returns, returnStride, returnOffset, H, this.nextRows, this.sums);
  }

  private reserve(n: number, blocks: number): void {
    const H = this.horizons;
    if (this.nextPos.length < n) {
      this.nextPos = new Int32Array(n + (n >> 2));
      this.nextRows = new Float64Array((n + (n >> 2)) * H);
    }
    if (this.nextEnds.length < blocks) this.nextEnds = new Int32Array(blocks);
  }

  /** the rows just written become the last set's; returns them */
  private keep(pos: Int32Array, n: number, ends: Int32Array, blocks: number): Float64Array {
    this.nextPos.set(pos.subarray(0, n));
    this.nextEnds.set(ends.subarray(0, blocks));
    // the rows just written become the last set's
    [this.lastPos, this.nextPos] = [this.nextPos, this.lastPos];
    [this.lastRows, this.nextRows] = [this.nextRows, this.lastRows];
    [this.lastEnds, this.nextEnds] = [this.nextEnds, this.lastEnds];
    this.lastBlocks = blocks;
    return this.lastRows;
  }
}

/** above every grid index */
const END = 0x7fffffff;

/**
 * rowsOf's rows into `rows`: block by block, each alert's row from the last set's rows where its block had the same
 * grid index, else from the table (`returns`, a row every `stride` from `offset`); each alert's |returns| added up
 * as they are copied, in alert order (ReturnRows.sums' layout). Four horizons (the default) are
 * copied and summed without a loop: a loop over them was a third of the time. A function that ends at its loop, its
 * sums stored after it with no comparison: inside its caller the loop was compiled on stack and the code after it,
 * not yet run, threw that code away, and V8 kept re-entering compiled code only to fail at a comparison after its loop
 * (--trace-deopt)
 */
function copyRows(
  pos: Int32Array,
  ends: Int32Array,
  blocks: number,
  lastPos: Int32Array,
  lastRows: Float64Array,
  lastEnds: Int32Array,
  lastBlocks: number,
  returns: Float64Array,
  stride: number,
  offset: number,
  H: number,
  rows: Float64Array,
  sums: Float64Array,
): void {
  let count0 = 0;
  let sumAbs0 = 0;
  let count1 = 0;
  let sumAbs1 = 0;
  let count2 = 0;
  let sumAbs2 = 0;
  let count3 = 0;
  let sumAbs3 = 0;
  let start = 0;
  let lastStart = 0;
  for (let b = 0; b < blocks; b++) {
    const end = ends[b];
    const lastEnd = b < lastBlocks ? lastEnds[b] : lastStart;
    let j = lastStart;
    // the last set's position at j, or one above every position once its block is used up
    let q = j < lastEnd ? lastPos[j] : END;
    for (let i = start; i < end; i++) {
      const p = pos[i];
      while (q < p) q = ++j < lastEnd ? lastPos[j] : END;
      // j stays on a match: an alert at the same hour and symbol as the one before takes the same row again
      const from = q === p ? lastRows : returns;
      const at = q === p ? j * H : p * stride + offset;
      const into = i * H;
      if (H === 4) {
        const r0 = from[at];
        const r1 = from[at + 1];
        const r2 = from[at + 2];
        const r3 = from[at + 3];
        rows[into] = r0;
        rows[into + 1] = r1;
        rows[into + 2] = r2;
        rows[into + 3] = r3;
        if (r0 === r0) {
          count0++;
          sumAbs0 += Math.abs(r0);
        }
        if (r1 === r1) {
          count1++;
          sumAbs1 += Math.abs(r1);
        }
        if (r2 === r2) {
          count2++;
          sumAbs2 += Math.abs(r2);
        }
        if (r3 === r3) {
          count3++;
          sumAbs3 += Math.abs(r3);
        }
      } else {
        for (let k = 0; k < H; k++) {
          const r = from[at + k];
          rows[into + k] = r;
          if (r === r) {
            sums[8 + H + k]++;
            sums[8 + k] += Math.abs(r);
          }
        }
      }
    }
    start = end;
    lastStart = lastEnd;
  }
  sums[0] = sumAbs0;
  sums[1] = sumAbs1;
  sums[2] = sumAbs2;
  sums[3] = sumAbs3;
  sums[4] = count0;
  sums[5] = count1;
  sums[6] = count2;
  sums[7] = count3;
}
