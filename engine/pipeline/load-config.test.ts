import { describe, expect, it } from 'vitest';
import { seededRandom } from '../detectors/synthetic.ts';
import { stableStringify } from './load-config.ts';
import { parseConfig } from './config.ts';

/** the map/join form stableStringify had before it appended to one string: the text it must keep producing */
function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj).sort().map((k) => `${JSON.stringify(k)}:${reference(obj[k])}`).join(',')}}`;
}

describe('stableStringify', () => {
  it('gives the same text as the map/join form for any nested value, holes and undefined included', () => {
    const rand = seededRandom(20261202);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    const text = () => pick(['', 'a', 'b', 'key', '"q"', 'é', '\n', '10', '__proto_', 'Z']);
    const leaf = () => pick<unknown>([rand() * 1e6 - 5e5, Math.floor(rand() * 100), text(), true, false, null, undefined, -0, Number.NaN, 1e-300, Infinity]);
    const node = (depth: number): unknown => {
      const r = rand();
      if (depth > 3 || r < 0.4) return leaf();
      const n = Math.floor(rand() * 5);
      if (r < 0.7) {
        const a: unknown[] = [];
        // some slots left as holes
        for (let i = 0; i < n; i++) if (rand() < 0.85) a[i] = node(depth + 1);
        a.length = n;
        return a;
      }
      const o: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) o[text()] = node(depth + 1);
      return o;
    };
    for (let i = 0; i < 3000; i++) {
      const v = node(0);
      expect(stableStringify(v)).toBe(reference(v));
    }
  });

  it('keeps the holes of sparse arrays and sorts keys that need escaping', () => {
    // eslint-disable-next-line no-sparse-arrays
    const sparse = [1, , undefined, null, () => 0];
    const value = { 'z"q': sparse, a: { 'é\n': [[], {}], b: undefined } };
    expect(stableStringify(value)).toBe(reference(value));
    expect(stableStringify(value)).toBe('{"a":{"b":undefined,"é\\n":[[],{}]},"z\\"q":[1,,,null,]}');
  });

  it('sorts objects of a shape seen before, and of the same keys in another order, as the map/join form does', () => {
    // the same keys in two insertion orders, the same first key with other keys, and a shape seen many times
    const shapes = [{ b: 1, a: 2, c: 3 }, { a: 2, b: 1, c: 3 }, { b: 1, z: 0 }, { b: 1, a: 2 }, { b: [{ y: 1, x: 2 }, { x: 2, y: 1 }], a: { d: 1 } }];
    for (let round = 0; round < 3; round++) for (const v of shapes) expect(stableStringify(v)).toBe(reference(v));
    const many = Array.from({ length: 40 }, (_, i) => ({ k: i, [`key${i % 20}`]: i, a: -i }));
    for (const v of [...many, ...many]) expect(stableStringify(v)).toBe(reference(v));
  });

  it('names the default configuration as before', () => {
    const config = parseConfig({});
    expect(stableStringify(config)).toBe(reference(config));
  });
});
