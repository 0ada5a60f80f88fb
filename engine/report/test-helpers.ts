/**
 * Fixtures for the report tests: a saved run on a short stretch of the bundled data, a synthetic sweep results
 * file in the sweep module's layout, and the check that a page loads nothing from outside.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { openStore } from '../data/store.ts';
import { openDuckDB, sqlString } from '../data/duckdb.ts';
import { defaultConfig } from '../pipeline/config.ts';
import { runBacktest } from '../replay/backtest.ts';
import { saveRun, type RunRecord } from '../results/run-store.ts';
import { buildOnceInto } from '../../scripts/test/fixture-cache.ts';

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * A saved run with features over [from, to) of the bundled data, in a fresh results folder. Within one
 * `npm test` run the backtest is done once per (from, to, permutations) and each caller gets its own copy of
 * the saved folder (scripts/test/fixture-cache.ts): the same run id and files, so nothing a test asserts changes.
 */
export async function savedRun(from: string, to: string, permutations = 30): Promise<{ resultsDir: string; run: RunRecord }> {
  const resultsDir = tempDir('regime-report-results-');
  const run = await buildOnceInto(`saved-run_${from}_${to}_${permutations}`, resultsDir, (dir) => buildSavedRun(dir, from, to, permutations));
  return { resultsDir, run };
}

/** backtests [from, to) and saves the run into resultsDir (which exists) */
async function buildSavedRun(resultsDir: string, from: string, to: string, permutations: number): Promise<RunRecord> {
  const store = await openStore();
  try {
    const featuresFile = path.join(tempDir('regime-report-features-'), 'features.parquet');
    const config = defaultConfig();
    const result = await runBacktest(store, { config, from: Date.parse(`${from}T00:00:00Z`), to: Date.parse(`${to}T00:00:00Z`), featuresFile, score: { permutations, seed: 1 } });
    const run = await saveRun(resultsDir, { config, report: result.report, alerts: result.alerts, featuresFile, label: 'test fixture' });
    fs.rmSync(path.dirname(featuresFile), { recursive: true, force: true });
    return run;
  } finally {
    store.close();
  }
}

/** A synthetic sweep in engine/sweep's results.parquet layout: 5 × 5 grid over two config keys, one invalid row. */
export async function syntheticSweep(resultsDir: string, id = 'synthetic-grid'): Promise<string> {
  const file = path.join(resultsDir, 'sweeps', id, 'results.parquet');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const { instance, conn } = await openDuckDB();
  try {
    await conn.run(`COPY (
      SELECT 'cfg' || lpad((row_number() OVER (ORDER BY z, v))::VARCHAR, 3, '0') AS config_id,
        CASE WHEN z = 1.0 AND v = 2.0 THEN 'invalid' ELSE 'ok' END AS status, NULL::VARCHAR AS error,
        '{"rules.funding_abs_z":' || z || ',"volatility.thresholds.high_vol":' || v || '}' AS params,
        'fk' AS feature_key, 'columns' AS mode,
        0.30 + 0.05 * z - 0.04 * v AS train_precision, 0.90 - 0.15 * z - 0.10 * v AS train_recall,
        0.40 + 0.01 * z - 0.02 * v AS train_f1, 20 - 4 * z - 3 * v AS train_false_alarms_per_week,
        0.28 + 0.05 * z - 0.03 * v AS holdout_precision, 0.85 - 0.14 * z - 0.10 * v AS holdout_recall,
        0.38 + 0.01 * z - 0.02 * v AS holdout_f1, 22 - 4 * z - 3.5 * v AS holdout_false_alarms_per_week
      FROM (SELECT unnest([1.0, 1.5, 2.0, 2.5, 3.0]) AS z) CROSS JOIN (SELECT unnest([0.8, 1.0, 1.2, 1.5, 2.0]) AS v)
    ) TO ${sqlString(file)} (FORMAT parquet)`);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  return file;
}

/**
 * The page must work offline: no external src/href, no stylesheet or script from anywhere, no CSS url(), and —
 * outside the inlined library code, whose strings include XML namespace names it never fetches — no
 * http(s) URL at all.
 */
export function expectOffline(html: string): void {
  expect(html).not.toMatch(/<script[^>]*\ssrc\s*=/i);
  expect(html).not.toMatch(/<link\b/i);
  expect(html).not.toMatch(/@import/i);
  expect(html).not.toMatch(/url\(\s*["']?\s*(https?:)?\/\//i);
  const refs = [...html.matchAll(/\s(?:src|href|srcset|poster|action|data)\s*=\s*["']([^"']*)["']/gi)].map((m) => m[1]);
  for (const r of refs) expect(r, 'attribute URL').not.toMatch(/^\s*([a-z][a-z0-9+.-]*:)?\/\//i);
  const outsideLibraries = html.replace(/<script>[\s\S]*?<\/script>/g, '');
  expect(outsideLibraries).not.toMatch(/https?:\/\//i);
}
