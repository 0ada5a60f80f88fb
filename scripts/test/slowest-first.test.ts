import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TestSpecification, Vitest } from 'vitest/node';
import SlowestFirstSequencer from './slowest-first.ts';

describe('test file order', () => {
  it('runs the longest expected first: cached duration, else the known figure, else the larger file', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-seq-'));
    const write = (rel: string, bytes: number) => {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), 'x'.repeat(bytes));
    };
    write('engine/sweep/queue.test.ts', 10); // known: 22 s
    write('engine/live/kill.test.ts', 10); // known 35 s, but this checkout measured 90 s
    write('a/small.test.ts', 100);
    write('a/large.test.ts', 5000);
    write('a/measured.test.ts', 10); // not known, measured 15 s
    const cached: Record<string, number> = { ':engine/live/kill.test.ts': 90_000, ':a/measured.test.ts': 15_000 };
    const ctx = { config: { root }, cache: { getFileTestResults: (key: string) => (key in cached ? { duration: cached[key], failed: false } : undefined) } };
    const spec = (rel: string) => ({ moduleId: path.join(root, rel), project: { name: '' } }) as unknown as TestSpecification;
    const files = ['a/small.test.ts', 'a/measured.test.ts', 'engine/sweep/queue.test.ts', 'a/large.test.ts', 'engine/live/kill.test.ts'].map(spec);
    const sorted = await new SlowestFirstSequencer(ctx as unknown as Vitest).sort(files);
    expect(sorted.map((f) => path.relative(root, f.moduleId))).toEqual(['engine/live/kill.test.ts', 'engine/sweep/queue.test.ts', 'a/measured.test.ts', 'a/large.test.ts', 'a/small.test.ts']);
    fs.rmSync(root, { recursive: true, force: true });
  });
});
