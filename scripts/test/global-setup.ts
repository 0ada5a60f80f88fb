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

export default function setup(project: TestProject): () => void {
  // Every process a test starts (the test workers, the CLI, servers, sweep and live children) talks to 127.0.0.1
  // only. A machine whose environment names an extra CA bundle (NODE_EXTRA_CA_CERTS: here the whole system store, 144
  // certificates) makes each node start parse it, ≈ 70 ms; the children are spawned after this, without it.
  delete process.env.NODE_EXTRA_CA_CERTS;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-test-fixtures-'));
  project.provide('regimeFixtureCache', dir);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
