/**
 * Test fixtures: a real backtest of a short range of the bundled data, saved as a run the way `regime
 * backtest` saves it (features kept), in a throwaway results folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../engine/data/store.ts';
import type { Alert } from '../engine/pipeline/alerts.ts';
import { defaultConfig } from '../engine/pipeline/config.ts';
import { runBacktest } from '../engine/replay/backtest.ts';
import { saveRun, type RunRecord } from '../engine/results/run-store.ts';
import { buildOnceInto } from '../scripts/test/fixture-cache.ts';

export interface FixtureRun {
  resultsDir: string;
  record: RunRecord;
  alerts: Alert[];
}

/** March 2026 by default: BTC has (aggregated) liquidation coverage then, ETH and SOL have none */
export async function makeRun(resultsDir: string, from = '2026-03-01T00:00:00Z', to = '2026-04-01T00:00:00Z', label: string | null = null): Promise<FixtureRun> {
  // several test files serve the same run: within one `npm test` it is backtested once and copied to each
  const { record, alerts } = await buildOnceInto(`make-run_${from}_${to}_${label ?? ''}`, resultsDir, (dir) => backtestAndSave(dir, from, to, label));
  return { resultsDir, record, alerts };
}

async function backtestAndSave(resultsDir: string, from: string, to: string, label: string | null): Promise<Omit<FixtureRun, 'resultsDir'>> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-web-features-'));
  const featuresFile = path.join(tmp, 'features.parquet');
  const store = await openStore();
  try {
    const config = defaultConfig();
    const result = await runBacktest(store, { config, from: Date.parse(from), to: Date.parse(to), featuresFile, score: { permutations: 10, seed: 1 } });
    const record = await saveRun(resultsDir, { config, report: result.report, alerts: result.alerts, featuresFile, label });
    return { record, alerts: result.alerts };
  } finally {
    store.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export function tempResultsDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'regime-web-results-'));
}
