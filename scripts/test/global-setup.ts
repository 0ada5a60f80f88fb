/**
 * vitest globalSetup: one folder for the whole `npm test` run where slow fixtures are built once and shared by
 * every test file (scripts/test/fixture-cache.ts; used by savedRun in engine/report/test-helpers.ts and makeRun
 * in web/testing.ts: the same backtest, saved once, copied per caller). Removed when the run ends.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    regimeFixtureCache: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  // Every process a test starts (the test workers, the CLI, servers, sweep and live children) talks to 127.0.0.1
  // only. A machine whose environment names an extra CA bundle (NODE_EXTRA_CA_CERTS: here the whole system store, 144
  // certificates) makes each node start parse it, ≈ 70 ms; the children are spawned after this, without it.
  delete process.env.NODE_EXTRA_CA_CERTS;
  // The worker threads the tests start in their own processes (sweep, baseline and Parquet-writer workers) start from
  // the CLI's bundle, as they do under the CLI: through tsx each thread needs a loader thread of its own and
  // transforms its modules again (a pool of two sweep workers ≈ 2.4 s of CPU to start, ≈ 0.8 s from the bundle;
  // engine/sweep/sweep.test.ts 38–41 → 21–25 s of CPU). The bundle is built from the sources as they are at the start
  // of the run, so only for a single run (`vitest run`, npm test): in watch mode the sources change between runs and
  // the workers load them through tsx as before. Without the variable the worker entries run the sources
  // (scripts/cli-bundle.test.ts starts a worker both ways).
  if (!project.vitest.config.watch) {
    // @ts-expect-error plain JavaScript module without types (it runs before tsx)
    const { ensureBundle } = (await import('../cli-bundle.mjs')) as { ensureBundle: () => Promise<string | null> };
    const bundle = await ensureBundle();
    if (bundle) process.env.REGIME_BUNDLE_DIR = bundle;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-test-fixtures-'));
  project.provide('regimeFixtureCache', dir);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
