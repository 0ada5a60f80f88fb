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
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-test-fixtures-'));
  project.provide('regimeFixtureCache', dir);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
