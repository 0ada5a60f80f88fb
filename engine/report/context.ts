/**
 * The database a notebook's SQL runs in: the store's views (candles_1h, funding, perp_1h, mark_1h,
 * open_interest, liquidations_1h) plus what the notebook's parameters ask for — a run (run_* views), several
 * runs (runs_* tables) or a sweep (sweep_* views). Parameters with special meaning, by type:
 *
 *   run     one backtest: see run-source.ts for auto | latest | fresh | <id>
 *   runs    several, for comparisons
 *   config  pipeline config file for auto/fresh backtests ('' = the defaults)
 *   sweep   threshold-sweep results: latest | <id> | <file.parquet>
 *
 * and by name: `from`/`to` (dates) bound fresh backtests, `permutations` sets their random baseline
 * (default 200), `x`, `y`, `metric`, `pareto_x`, `pareto_y` choose sweep columns and `period` (train | holdout) the
 * sweep period whose metrics are shown.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '../data/store.ts';
import { defaultConfig, type PipelineConfig } from '../pipeline/config.ts';
import { loadConfigFile } from '../pipeline/load-config.ts';
import { UserError } from '../errors.ts';
import type { ParamValues } from './params.ts';
import type { FrontMatter } from './params.ts';
import { resolveConfigPath, resolveRun, resolveRuns } from './run-source.ts';
import { registerRunTables, type LoadedRun } from './run-tables.ts';
import { registerSweep, SWEEP_AXES, type SweepAxes } from './sweep-source.ts';

export const DEFAULT_PERMUTATIONS = 200;

export interface ContextOptions {
  datasetsDir?: string;
  dbPath?: string;
  resultsDir: string;
  notebookDir: string;
  onProgress?: (message: string) => void;
}

export interface NotebookContext {
  store: Store;
  runs: LoadedRun[];
  /** 'run' | 'runs' | null: which run parameter the notebook has */
  runMode: 'run' | 'runs' | null;
  close(): void;
}

function paramOfType(front: FrontMatter, type: string): string | null {
  return Object.entries(front.params).find(([, s]) => s.type === type)?.[0] ?? null;
}

function loadConfigParam(front: FrontMatter, params: ParamValues, notebookDir: string): PipelineConfig {
  const name = paramOfType(front, 'config');
  const v = name ? params[name] : undefined;
  if (!v || typeof v.value !== 'string' || v.value === '') return defaultConfig();
  try {
    return loadConfigFile(resolveConfigPath(v.value, notebookDir));
  } catch (err) {
    throw new UserError(`param ${name}: ${(err as Error).message}`);
  }
}

const num = (params: ParamValues, name: string): number | undefined => {
  const v = params[name];
  return v && (v.type === 'date' || v.type === 'integer' || v.type === 'number') ? v.value : undefined;
};

export async function openNotebookContext(front: FrontMatter, params: ParamValues, opts: ContextOptions): Promise<NotebookContext> {
  const store = await openStore({ datasetsDir: opts.datasetsDir, dbPath: opts.dbPath });
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-report-'));
  const close = () => {
    store.close();
    fs.rmSync(tmpDir, { recursive: true, force: true });
  };
  try {
    const runParam = paramOfType(front, 'run');
    const runsParam = paramOfType(front, 'runs');
    const sweepParam = paramOfType(front, 'sweep');
    let runs: LoadedRun[] = [];
    if (runParam || runsParam) {
      const from = num(params, 'from');
      const to = num(params, 'to');
      if (from !== undefined && to !== undefined && to <= from) throw new UserError(`param to (${new Date(to).toISOString().slice(0, 16)}) must be after param from`);
      const ctx = {
        store,
        resultsDir: opts.resultsDir,
        tmpDir,
        from,
        to,
        config: loadConfigParam(front, params, opts.notebookDir),
        // a comparison reads scorecards and alerts only; skipping features saves most of a backtest's time
        needFeatures: runParam !== null,
        permutations: num(params, 'permutations') ?? DEFAULT_PERMUTATIONS,
        seed: num(params, 'seed') ?? 1,
        onProgress: opts.onProgress,
      };
      if (runParam) {
        runs = [await resolveRun(String(params[runParam].value), ctx)];
      } else {
        runs = await resolveRuns(params[runsParam!].value as string[], ctx, opts.notebookDir);
      }
      await registerRunTables(store.conn, runs, runParam !== null);
    }
    if (sweepParam) {
      const axes: Partial<Record<keyof SweepAxes, string>> = {};
      for (const k of SWEEP_AXES) if (params[k] && typeof params[k].value === 'string') axes[k] = params[k].value as string;
      const period = params.period && typeof params.period.value === 'string' ? params.period.value : undefined;
      await registerSweep(store.conn, String(params[sweepParam].value), { resultsDir: opts.resultsDir, notebookDir: opts.notebookDir, axes, period });
    }
    return { store, runs, runMode: runParam ? 'run' : runsParam ? 'runs' : null, close };
  } catch (err) {
    close();
    throw err;
  }
}

/** Names a SQL cell may not take: they would hide a table the notebook relies on. */
export async function reservedNames(store: Store): Promise<Set<string>> {
  const reader = await store.conn.runAndReadAll(`SELECT table_name FROM information_schema.tables`);
  return new Set(reader.getRowObjectsJS().map((r) => String(r.table_name).toLowerCase()));
}
