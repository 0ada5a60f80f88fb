import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { buildOnceInto } from './fixture-cache.ts';

describe('build-once fixture folders', () => {
  it('builds once per key, copies the files to each caller, and returns the meta with every double exact', async () => {
    const key = `fixture-cache-test-${process.pid}-${Date.now()}`;
    let builds = 0;
    const build = async (dir: string) => {
      builds++;
      fs.mkdirSync(path.join(dir, 'runs', 'r1'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'runs', 'r1', 'run.json'), '{"id":"r1"}');
      return { id: 'r1', values: [Number.NaN, -0, Infinity, -Infinity, 0.1 + 0.2], none: null };
    };
    const a = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-fc-a-'));
    const b = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-fc-b-'));
    fs.writeFileSync(path.join(b, 'already-here.txt'), 'kept');
    try {
      const ma = await buildOnceInto(key, a, build);
      const mb = await buildOnceInto(key, b, build);
      expect(builds).toBe(1);
      expect(inject('regimeFixtureCache')).toBeTruthy();
      for (const m of [ma, mb]) {
        expect(m.values[0]).toBeNaN();
        expect(Object.is(m.values[1], -0)).toBe(true);
        expect(m.values.slice(2)).toEqual([Infinity, -Infinity, 0.1 + 0.2]);
        expect(m.none).toBeNull();
      }
      expect(ma).not.toBe(mb);
      for (const d of [a, b]) expect(fs.readFileSync(path.join(d, 'runs', 'r1', 'run.json'), 'utf8')).toBe('{"id":"r1"}');
      // copied into the caller's folder beside what was there; one caller's writes stay its own
      expect(fs.readFileSync(path.join(b, 'already-here.txt'), 'utf8')).toBe('kept');
      fs.writeFileSync(path.join(a, 'runs', 'r1', 'run.json'), 'changed');
      expect(fs.readFileSync(path.join(b, 'runs', 'r1', 'run.json'), 'utf8')).toBe('{"id":"r1"}');
    } finally {
      for (const d of [a, b]) fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
