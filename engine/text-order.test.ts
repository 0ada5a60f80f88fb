import { describe, expect, it } from 'vitest';
import { byText, textHead } from './text-order.ts';

/** a seeded generator of short texts over a small alphabet: many shared prefixes, prefixes of one another, empties */
function texts(seed: number, n: number): string[] {
  let x = seed >>> 0;
  const next = () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  // the units at the alphabet's edges: 0, the largest BMP unit, a lone surrogate of each kind, a pair
  const alphabet = ['a', 'b', 'A', '\u0000', '\uffff', '\ud800', '\udfff', '\ud83d\ude00', 'é', '0'];
  return Array.from({ length: n }, () => Array.from({ length: Math.floor(next() * 6) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(''));
}

describe('textHead', () => {
  it('orders texts as byText does wherever it tells two apart, and ties only texts that share their first three units', () => {
    const wrong: string[][] = [];
    for (let seed = 1; seed <= 4; seed++) {
      const xs = texts(seed, 250);
      for (const a of xs) {
        for (const b of xs) {
          const byHead = Math.sign(textHead(a) - textHead(b));
          if (byHead !== 0 ? byHead !== byText(a, b) : a.slice(0, 3) !== b.slice(0, 3)) wrong.push([a, b]);
        }
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('sorts, with byText breaking its ties, exactly as byText alone', () => {
    const xs = texts(7, 2000);
    const expected = xs.slice().sort(byText);
    expect(xs.slice().sort((a, b) => textHead(a) - textHead(b) || byText(a, b))).toEqual(expected);
  });
});
