/**
 * The walk-forward figure for `npm run bench`: the example spec notebooks/sweeps/walk-forward.json end to end
 * (every configuration scored on every fold, per-fold selection, the stitched scorecard with its baseline).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openStore } from '../data/store.ts';
import { loadSweepSpec } from './spec.ts';
import { runSweep } from './sweep.ts';

const SPEC_FILE = path.resolve(import.meta.dirname, '../../notebooks/sweeps/walk-forward.json');

export async function benchWalkForward(): Promise<string[]> {
  const spec = loadSweepSpec(SPEC_FILE);
  const resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-bench-wf-'));
  const store = await openStore();
  try {
    const t0 = performance.now();
    const r = await runSweep(store, spec, { resultsDir });
    const wall = performance.now() - t0;
    const wf = r.walk_forward!;
    const s = r.run.stages_ms;
    return [
      `spec                    notebooks/sweeps/walk-forward.json: ${r.configurations.tried} configurations (${r.configurations.invalid} invalid), ${wf.folds.length} folds, ${r.run.workers} workers on ${os.availableParallelism()} CPUs`,
      `walk-forward wall       ${(wall / 1000).toFixed(2)} s end to end (load ${(s.load / 1000).toFixed(2)} s, markets ${(s.markets / 1000).toFixed(2)} s, evaluate ${(s.evaluate / 1000).toFixed(2)} s, selection + stitched scorecard + Parquet ${(s.report / 1000).toFixed(2)} s)`,
      `result                  OOS/IS ${wf.oos_is_ratio === null ? '—' : wf.oos_is_ratio.toFixed(2)}; ${wf.folds_surviving_fdr} of ${wf.folds.filter((f) => f.chosen).length} chosen configurations survive FDR ${wf.fdr_level * 100} %`,
    ];
  } finally {
    store.close();
    fs.rmSync(resultsDir, { recursive: true, force: true });
  }
}
