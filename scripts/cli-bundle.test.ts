/**
 * The CLI's bundle (scripts/cli-bundle.mjs): built once, reused while the sources are unchanged, rebuilt when one
 * changes, and the same answers as running the sources through tsx — for the CLI and for a worker thread.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript module without types (it runs before tsx)
import { ensureBundle } from './cli-bundle.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
let cache: string;
const envBefore = process.env.REGIME_BUNDLE_CACHE;

beforeAll(() => {
  // inside the project: the bundle imports its packages from node_modules above it
  fs.mkdirSync(path.join(REPO, 'node_modules/.cache'), { recursive: true });
  cache = fs.mkdtempSync(path.join(REPO, 'node_modules/.cache/regime-cli-test-'));
  process.env.REGIME_BUNDLE_CACHE = cache;
});
afterAll(() => {
  if (envBefore === undefined) delete process.env.REGIME_BUNDLE_CACHE;
  else process.env.REGIME_BUNDLE_CACHE = envBefore;
  fs.rmSync(cache, { recursive: true, force: true });
});

describe('CLI bundle', () => {
  it('is built once, reused while the sources are unchanged and rebuilt when one changes', async () => {
    let builds = 0;
    const first: string = await ensureBundle(() => builds++);
    expect(builds).toBe(1);
    for (const entry of ['engine/cli/main.js', 'engine/cli/commands/backtest.js', 'engine/score/baseline-worker.js', 'engine/sweep/worker.js']) {
      expect(fs.existsSync(path.join(first, entry)), entry).toBe(true);
    }
    expect(await ensureBundle(() => builds++)).toBe(first);
    expect(builds).toBe(1);
    // zod's namespace imported as `import * as z`, so esbuild drops what no schema uses: `import { z }` kept all of
    // zod, its 60-odd locales among it (≈ 0.5 MB that every process and worker thread parsed)
    const bundled = fs.readdirSync(first).filter((f) => f.endsWith('.js')).map((f) => fs.readFileSync(path.join(first, f), 'utf8'));
    const locales = new Set(bundled.flatMap((text) => [...text.matchAll(/^\/\/ node_modules\/zod\/v4\/locales\/([\w-]+)\.js$/gm)].map((m) => m[1])));
    expect([...locales]).toEqual(['en']);

    // a source of the bundle saved again (new mtime): the next start rebuilds
    const source = path.join(REPO, 'engine/time.ts');
    const { atime, mtime } = fs.statSync(source);
    try {
      fs.utimesSync(source, atime, new Date(mtime.getTime() + 5_000));
      const second: string = await ensureBundle(() => builds++);
      expect(builds).toBe(2);
      expect(second).not.toBe(first);
    } finally {
      fs.utimesSync(source, atime, mtime);
    }
  });

  it('runs the CLI with the same output as the sources through tsx', () => {
    const args = ['scripts/regime.mjs', 'backtest', '--from', '2024-08-01', '--to', '2024-08-10', '--permutations', '50', '--no-save', '--json'];
    const run = (env: Record<string, string>) => {
      const r = spawnSync(process.execPath, args, { cwd: REPO, encoding: 'utf8', env: { ...process.env, REGIME_BUNDLE_CACHE: cache, LOG_LEVEL: 'warn', ...env } });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { report?: { elapsed_ms?: unknown }; elapsed_ms?: unknown };
      delete out.elapsed_ms;
      if (out.report) delete out.report.elapsed_ms;
      return out;
    };
    const bundled = run({ REGIME_BUNDLE: '1' });
    const sources = run({ REGIME_BUNDLE: '0' });
    expect((bundled as { alerts_total: number }).alerts_total).toBeGreaterThan(0);
    expect(bundled).toEqual(sources);
  });

  it('starts a worker thread from the bundle the CLI runs from', async () => {
    const dir: string = await ensureBundle();
    const before = process.env.REGIME_BUNDLE_DIR;
    process.env.REGIME_BUNDLE_DIR = dir;
    const worker = new Worker(new URL('../engine/score/baseline-worker.mjs', import.meta.url));
    try {
      const prices = [{ symbol: 'SYNTH', ts: Float64Array.from({ length: 400 }, (_, i) => i * 3_600_000), close: new Float64Array(400).fill(1) }];
      const reply = await new Promise<{ type: string }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.postMessage({ type: 'init', prices, options: {} });
      });
      expect(reply.type).toBe('ready');
    } finally {
      await worker.terminate();
      if (before === undefined) delete process.env.REGIME_BUNDLE_DIR;
      else process.env.REGIME_BUNDLE_DIR = before;
    }
  });

  it('a worker entry runs the bundled file when the CLI runs from a bundle, the sources otherwise', async () => {
    // a stand-in bundle whose baseline worker only says where it came from
    const fake = fs.mkdtempSync(path.join(cache, 'fake-'));
    fs.mkdirSync(path.join(fake, 'engine/score'), { recursive: true });
    fs.writeFileSync(path.join(fake, 'engine/score/baseline-worker.js'), "import { parentPort } from 'node:worker_threads'; parentPort.postMessage({ type: 'from-bundle' });\n");
    const first = (env: NodeJS.ProcessEnv) =>
      new Promise<{ type: string }>((resolve, reject) => {
        const worker = new Worker(new URL('../engine/score/baseline-worker.mjs', import.meta.url), { env });
        worker.once('error', reject);
        worker.once('message', (m: { type: string }) => {
          void worker.terminate();
          resolve(m);
        });
        // the real worker answers init with 'ready'; the stand-in speaks first
        worker.postMessage({ type: 'init', prices: [{ symbol: 'SYNTH', ts: Float64Array.from({ length: 400 }, (_, i) => i * 3_600_000), close: new Float64Array(400).fill(1) }], options: {} });
      });
    expect((await first({ ...process.env, REGIME_BUNDLE_DIR: fake })).type).toBe('from-bundle');
    const withoutBundle = { ...process.env };
    delete withoutBundle.REGIME_BUNDLE_DIR;
    expect((await first(withoutBundle)).type).toBe('ready');
  });
});
