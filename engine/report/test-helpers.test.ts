// The shared saved-run fixture: built once per test run, every caller gets its own identical copy.
import { describe, expect, inject, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { savedRun } from './test-helpers.ts';

function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const p = path.join(dir, f);
    if (fs.statSync(p).isFile()) out[f] = fs.readFileSync(p).toString('base64');
  }
  return out;
}

describe('savedRun fixture cache', () => {
  it('runs the backtest once and hands each caller a separate copy of the same saved run', async () => {
    const a = await savedRun('2022-11-01', '2022-11-04', 5);
    const b = await savedRun('2022-11-01', '2022-11-04', 5);
    try {
      expect(a.resultsDir).not.toBe(b.resultsDir);
      // a second backtest would have saved a run with another id
      expect(b.run.manifest.id).toBe(a.run.manifest.id);
      expect(b.run).toEqual(a.run);
      const content = files(a.resultsDir);
      expect(Object.keys(content).some((f) => f.endsWith('features.parquet'))).toBe(true);
      expect(files(b.resultsDir)).toEqual(content);
      // a caller writing into its copy does not touch the other's
      fs.writeFileSync(path.join(a.resultsDir, 'mine.txt'), 'x');
      expect(fs.existsSync(path.join(b.resultsDir, 'mine.txt'))).toBe(false);
      const cache = inject('regimeFixtureCache');
      expect(fs.readdirSync(cache).filter((f) => f.startsWith('saved-run_2022-11-01_2022-11-04_5'))).toEqual(['saved-run_2022-11-01_2022-11-04_5']);
    } finally {
      for (const d of [a.resultsDir, b.resultsDir]) fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
