/**
 * Price levels where liquidations clustered over a trailing lookback: the hourly close of every hour with
 * liquidations, weighted by liquidated USD, in log-spaced bins (each bin spans the same percentage). Updated
 * per pushed hour and per evicted hour, never rescanned: bins live in slots kept sorted by USD, and a bin's
 * slot is found by direct indexing into an array re-based around the live bins when price leaves its range.
 */

export interface SupportZone {
  /** liquidation-weighted mean close of the hours in the bin */
  price: number;
  low: number;
  high: number;
  usd: number;
  /** usd / all liquidated usd in the lookback */
  share: number;
}

const NO_BIN = -0x80000000;
const EMPTY: readonly SupportZone[] = Object.freeze([]);

export class LiquidationZones {
  readonly lookbackHours: number;
  readonly topN: number;
  private readonly logWidth: number;
  // per hour in the lookback
  private readonly hourPrice: Float64Array;
  private readonly hourUsd: Float64Array;
  private readonly hourBin: Int32Array;
  private head = 0;
  private filled = 0;
  private valid = 0;
  private total = 0;
  // per live bin (slot)
  private binKey = new Int32Array(16);
  private binUsd = new Float64Array(16);
  private binPriceUsd = new Float64Array(16);
  private binHours = new Int32Array(16);
  private order = new Int32Array(16);
  private pos = new Int32Array(16);
  private live = 0;
  private slotsUsed = 0;
  private freeSlots: number[] = [];
  // bin → slot + 1 (0 = none) for bins in [base, base + length)
  private base = 0;
  private slotOfBin = new Int32Array(0);
  private dirty = false;
  private cached: readonly SupportZone[] = EMPTY;

  constructor(lookbackHours: number, binWidthPct: number, topN: number) {
    this.lookbackHours = lookbackHours;
    this.topN = topN;
    this.logWidth = Math.log1p(binWidthPct / 100);
    this.hourPrice = new Float64Array(lookbackHours);
    this.hourUsd = new Float64Array(lookbackHours).fill(NaN);
    this.hourBin = new Int32Array(lookbackHours).fill(NO_BIN);
  }

  /** hours with liquidation data in the lookback / lookback hours */
  get coverage(): number {
    return this.valid / this.lookbackHours;
  }

  /** One clock hour: usd NaN when the hour has no liquidation data, price NaN when it has no close. */
  push(price: number, usd: number): void {
    const h = this.head;
    if (this.filled === this.lookbackHours) {
      if (this.hourUsd[h] === this.hourUsd[h]) this.valid--;
      const oldBin = this.hourBin[h];
      if (oldBin !== NO_BIN) this.remove(oldBin, this.hourPrice[h], this.hourUsd[h]);
    } else this.filled++;
    this.hourUsd[h] = usd;
    this.hourPrice[h] = price;
    this.hourBin[h] = NO_BIN;
    if (usd === usd) {
      this.valid++;
      if (usd > 0 && price > 0) {
        const bin = Math.floor(Math.log(price) / this.logWidth) | 0;
        this.hourBin[h] = bin;
        this.add(bin, price, usd);
      }
    }
    this.head = h + 1 === this.lookbackHours ? 0 : h + 1;
  }

  /** the top N zones by USD, rebuilt only after a change */
  zones(): readonly SupportZone[] {
    if (!this.dirty) return this.cached;
    this.dirty = false;
    const n = Math.min(this.topN, this.live);
    if (n === 0) return (this.cached = EMPTY);
    const zones = new Array<SupportZone>(n);
    const w = this.logWidth;
    for (let i = 0; i < n; i++) {
      const s = this.order[i];
      const usd = this.binUsd[s];
      zones[i] = {
        price: this.binPriceUsd[s] / usd,
        low: Math.exp(this.binKey[s] * w),
        high: Math.exp((this.binKey[s] + 1) * w),
        usd,
        share: usd / this.total,
      };
    }
    return (this.cached = zones);
  }

  private add(bin: number, price: number, usd: number): void {
    let slot = this.slotOf(bin);
    if (slot < 0) {
      slot = this.newSlot();
      this.binKey[slot] = bin;
      this.binUsd[slot] = 0;
      this.binPriceUsd[slot] = 0;
      this.binHours[slot] = 0;
      this.order[this.live] = slot;
      this.pos[slot] = this.live++;
      this.setSlotOf(bin, slot);
    }
    this.binUsd[slot] += usd;
    this.binPriceUsd[slot] += price * usd;
    this.binHours[slot]++;
    this.total += usd;
    this.reorder(slot);
    this.dirty = true;
  }

  private remove(bin: number, price: number, usd: number): void {
    const slot = this.slotOf(bin);
    this.dirty = true;
    if (--this.binHours[slot] === 0) {
      // below every live bin, so reorder moves it to the end where it is dropped
      this.binUsd[slot] = -1;
      this.reorder(slot);
      this.live--;
      this.slotOfBin[bin - this.base] = 0;
      this.freeSlots.push(slot);
      // the last hour of the last bin leaves: reset instead of carrying subtraction error
      if (this.live === 0) this.total = 0;
      else this.total -= usd;
      return;
    }
    this.binUsd[slot] -= usd;
    this.binPriceUsd[slot] -= price * usd;
    this.total -= usd;
    this.reorder(slot);
  }

  /** moves a slot whose usd changed to its place in the descending order */
  private reorder(slot: number): void {
    const order = this.order;
    const pos = this.pos;
    const usd = this.binUsd;
    const u = usd[slot];
    let p = pos[slot];
    while (p > 0 && usd[order[p - 1]] < u) {
      order[p] = order[p - 1];
      pos[order[p]] = p;
      p--;
    }
    while (p + 1 < this.live && usd[order[p + 1]] > u) {
      order[p] = order[p + 1];
      pos[order[p]] = p;
      p++;
    }
    order[p] = slot;
    pos[slot] = p;
  }

  private slotOf(bin: number): number {
    const i = bin - this.base;
    return i >= 0 && i < this.slotOfBin.length ? this.slotOfBin[i] - 1 : -1;
  }

  private setSlotOf(bin: number, slot: number): void {
    let i = bin - this.base;
    if (i < 0 || i >= this.slotOfBin.length) {
      this.rebase(bin);
      i = bin - this.base;
    }
    this.slotOfBin[i] = slot + 1;
  }

  /** re-centres the bin index on the live bins plus `bin`, with as much room again on either side */
  private rebase(bin: number): void {
    let lo = bin;
    let hi = bin;
    for (let p = 0; p < this.live; p++) {
      const k = this.binKey[this.order[p]];
      if (k < lo) lo = k;
      if (k > hi) hi = k;
    }
    const span = hi - lo + 1;
    const length = Math.max(64, span * 2);
    this.base = lo - ((length - span) >> 1);
    this.slotOfBin = new Int32Array(length);
    for (let p = 0; p < this.live; p++) {
      const s = this.order[p];
      this.slotOfBin[this.binKey[s] - this.base] = s + 1;
    }
  }

  private newSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    if (this.slotsUsed === this.binKey.length) {
      const n = this.slotsUsed * 2;
      this.binKey = growInt(this.binKey, n);
      this.binHours = growInt(this.binHours, n);
      this.order = growInt(this.order, n);
      this.pos = growInt(this.pos, n);
      this.binUsd = growFloat(this.binUsd, n);
      this.binPriceUsd = growFloat(this.binPriceUsd, n);
    }
    return this.slotsUsed++;
  }
}

function growInt(a: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

function growFloat(a: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}
