/**
 * Test file order for `npm test`: longest first, so that with two workers the last file to start is a short one
 * and neither worker idles at the end while the other runs a minute-long file (vitest's default puts unknown
 * files first and then the largest by bytes, which on a fresh clone starts the slow end-to-end files last).
 * A file's expected duration is its own from vitest's results cache when this checkout has run it, else the
 * figure below (seconds on the 2-core machine, every file of 3 s or more: the fresh-clone CI run of 2026-12-04 21:11,
 * session 32), else 0 with the byte size breaking ties.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const KNOWN_SECONDS: Record<string, number> = {
  // the login, dashboard and reports browser suites in one file around one Chromium
  'web/browser.e2e.test.ts': 59,
  'engine/live/kill.test.ts': 35,
  'engine/live/parity.test.ts': 30,
  'engine/sweep/queue.test.ts': 22,
  'engine/sweep/sweep.test.ts': 19,
  'engine/sweep/incremental-rules.test.ts': 13,
  'engine/sweep/walk-forward-sweep.test.ts': 11,
  'engine/live/live.test.ts': 11,
  'engine/replay/replay.test.ts': 11,
  'engine/data/store-integrity.test.ts': 11,
  'engine/sweep/evaluate.test.ts': 10,
  'engine/report/render.test.ts': 10,
  'engine/sweep/sweep-server.test.ts': 10,
  'engine/cli/cli.test.ts': 9,
  'engine/replay/replay-data.test.ts': 9,
  'engine/live/integrity.test.ts': 8,
  'engine/live/cli.test.ts': 8,
  'scripts/cli-bundle.test.ts': 7,
  'engine/replay/sql-crosscheck.test.ts': 7,
  'engine/score/evaluator-reference.test.ts': 7,
  'engine/data/import-files.test.ts': 6,
  'engine/cli/typed-array-protector.test.ts': 6,
  'engine/replay/feature-writer.test.ts': 6,
  'engine/sweep/evaluate-reference.test.ts': 6,
  'engine/score/baseline-pool.test.ts': 6,
  'engine/data/freqtrade-directory.test.ts': 6,
  'engine/data/resample-sql.test.ts': 5,
  'engine/data/freqtrade-import.test.ts': 5,
  'engine/data/fetch-ccxt.test.ts': 5,
  'engine/data/import-fast.test.ts': 4,
  'engine/detectors/z-scores.real-data.test.ts': 4,
  'engine/sweep/metrics-reference.test.ts': 4,
  'engine/replay/replay-source.test.ts': 4,
  'web/serve-cli.test.ts': 3,
  'engine/cli/progress.test.ts': 3,
};

export default class SlowestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const expected = new Map<TestSpecification, [number, number]>();
    for (const f of files) {
      const rel = path.relative(root, f.moduleId).split(path.sep).join('/');
      const cachedMs = this.ctx.cache.getFileTestResults(`${f.project.name}:${rel}`)?.duration;
      let bytes = 0;
      try {
        bytes = fs.statSync(f.moduleId).size;
      } catch {
        // a file removed since it was listed: vitest reports it itself
      }
      expected.set(f, [cachedMs ?? (KNOWN_SECONDS[rel] ?? 0) * 1000, bytes]);
    }
    return [...files].sort((a, b) => {
      const [da, sa] = expected.get(a)!;
      const [db, sb] = expected.get(b)!;
      return db - da || sb - sa;
    });
  }
}
