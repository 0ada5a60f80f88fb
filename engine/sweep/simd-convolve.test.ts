// The SIMD convolution against the textbook scatter loop, bit for bit, on seeded random arrays.
import { describe, expect, it } from 'vitest';
import { asOperand, convolutionScratch, convolveRange } from './simd-convolve.ts';

function scatter(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length - 1);
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) out[i + j] += a[i] * b[j];
  return out;
}

const seeded = (seed: number) => () => (seed = (seed * 16807) % 2147483647) / 2147483647;

/** non-negative entries spanning many magnitudes, with zeros and subnormals among them */
function entries(n: number, rnd: () => number): Float64Array {
  return Float64Array.from({ length: n }, () => {
    const u = rnd();
    if (u < 0.05) return 0;
    if (u < 0.1) return rnd() * 1e-310;
    return rnd() * 10 ** Math.floor(-40 * rnd());
  });
}

/** a and b placed in the kernel's memory (b as an operand, with stale non-zero entries around it), and an output */
function place(a: Float64Array, b: Float64Array) {
  const [sa, sb, out] = convolutionScratch([a.length, b.length + 20, a.length + b.length + 5]);
  sa.set(a);
  sb.fill(0.5);
  sb.set(b, 10);
  out.fill(Number.NaN);
  return { a: sa, b: asOperand(sb, 10, 9 + b.length), out };
}

describe('convolveRange', () => {
  it('equals the scatter loop bit for bit: every size up to 30 × 30, and long ones', () => {
    const rnd = seeded(5);
    const sizes: [number, number][] = [];
    for (let la = 1; la <= 30; la++) for (let lb = 1; lb <= 30; lb++) sizes.push([la, lb]);
    sizes.push([490, 500], [700, 385], [1, 900], [900, 1], [257, 3]);
    for (const [la, lb] of sizes) {
      const a = entries(la, rnd);
      const b = entries(lb, rnd);
      const want = scatter(a, b);
      const { a: pa, b: pb, out } = place(a, b);
      convolveRange(pa, pb, out, 0, want.length - 1);
      for (let m = 0; m < want.length; m++) expect(Object.is(out[m], want[m]), `${la}×${lb} entry ${m}`).toBe(true);
    }
  });

  it('computes exactly the entries asked for, each with the same bits', () => {
    const rnd = seeded(9);
    for (let c = 0; c < 200; c++) {
      const a = entries(1 + Math.floor(rnd() * 60), rnd);
      const b = entries(1 + Math.floor(rnd() * 60), rnd);
      const want = scatter(a, b);
      const from = Math.floor(rnd() * want.length);
      const to = from + Math.floor(rnd() * (want.length - from));
      const { a: pa, b: pb, out } = place(a, b);
      convolveRange(pa, pb, out, from, to);
      for (let m = 0; m < want.length; m++) {
        expect(Object.is(out[m], m >= from && m <= to ? want[m] : Number.NaN), `entry ${m} of ${from}..${to}`).toBe(true);
      }
    }
  });

  it('keeps every view valid and its gaps zero when the memory grows', () => {
    const [small] = convolutionScratch([4]);
    small.set([1, 2, 3, 4]);
    const [a, big, out] = convolutionScratch([3, 500_000, 500_004]);
    a.set([1, 2, 3]);
    big.fill(1);
    const b = asOperand(big, 0, 1);
    convolveRange(a, b, out, 0, 3);
    expect(Array.from(out.subarray(0, 4))).toEqual([1, 3, 5, 3]);
  });

  it('refuses arrays outside its memory, and an operand without zeros beside it', () => {
    const [a, b, out] = convolutionScratch([4, 20, 30]);
    a.fill(1);
    b.fill(1);
    expect(() => convolveRange(new Float64Array(4), asOperand(b, 8, 11), out, 0, 6)).toThrow(/convolutionScratch/);
    b.fill(1);
    expect(() => convolveRange(a, b.subarray(8, 12), out, 0, 6)).toThrow(/asOperand/);
  });
});
