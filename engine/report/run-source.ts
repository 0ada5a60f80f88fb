/**
 * Which backtest a notebook reads. A run reference is
 *
 *   auto     (default) the newest saved run that fits — same config hash, same dataset manifest, same symbols,
 *            features kept, and a range covering the notebook's from..to (as far as the data reaches) — else a
 *            fresh backtest of that range. A saved full-history run makes every window fast and its detectors
 *            are warmed up by all the history before the window; a fresh backtest warms up 16 weeks.
 *   latest   the newest saved run, whatever its range or config
 *   fresh    always a fresh backtest of the notebook's range (also `default`, in a list of runs)
 *   <id>     a saved run (a unique prefix or suffix of the id is enough)
 *   x.json   (in a list of runs) a fresh backtest with that config file
 *
 * Fresh backtests are kept in a temporary results folder for the render and never saved with the user's runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../data/store.ts';
import { manifestHash } from '../data/layout.ts';
import { queryRows } from '../data/duckdb.ts';
import type { PipelineConfig } from '../pipeline/config.ts';
import { configHash, loadConfigFile } from '../pipeline/load-config.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import { runBacktest } from '../replay/backtest.ts';
import { listRuns, loadRun, runDir, runFile, saveRun, type RunManifest } from '../results/run-store.ts';
import { UserError } from '../errors.ts';
import { parseUtcDate } from './params.ts';
import type { LoadedRun } from './run-tables.ts';

export interface RunResolveContext {
  store: Store;
  resultsDir: string;
  /** a folder for fresh runs, removed after the render */
  tmpDir: string;
  /** report range, epoch ms: [from, to) */
  from?: number;
  to?: number;
  /** the config of `auto` and `fresh` */
  config: PipelineConfig;
  needFeatures: boolean;
  permutations: number;
  seed: number;
  onProgress?: (message: string) => void;
}

/** Resolves a config file given relative to the working directory or, failing that, to the notebook's folder. */
export function resolveConfigPath(file: string, notebookDir: string): string {
  if (path.isAbsolute(file) || fs.existsSync(file)) return path.resolve(file);
  const beside = path.resolve(notebookDir, file);
  return fs.existsSync(beside) ? beside : path.resolve(file);
}

async function dataBounds(store: Store, symbols: readonly string[]): Promise<{ first: number; last: number } | null> {
  const [row] = await queryRows(
    store.conn,
    `SELECT epoch_ms(min(ts))::DOUBLE AS first, epoch_ms(max(ts))::DOUBLE AS last FROM candles_1h WHERE list_contains([${symbols.map((s) => `'${s.replaceAll("'", "''")}'`).join(', ')}]::VARCHAR[], symbol)`,
  );
  return row && row.first !== null ? { first: row.first as number, last: row.last as number } : null;
}

function fits(m: RunManifest, ctx: RunResolveContext, want: { from: number; to: number }, datasetHash: string | null): boolean {
  if (m.kind !== 'backtest' || m.config_hash !== configHash(ctx.config) || m.dataset_manifest_sha256 !== datasetHash) return false;
  if (ctx.needFeatures && !m.has_features) return false;
  if ([...m.symbols].sort().join() !== [...ctx.config.symbols].sort().join()) return false;
  const from = parseUtcDate(m.from);
  const to = parseUtcDate(m.to);
  return from !== null && to !== null && from <= want.from && to >= want.to;
}

function loadSaved(resultsDir: string, id: string, label?: string): LoadedRun {
  const record = loadRun(resultsDir, id);
  const realId = record.manifest.id;
  const alertsFile = runFile(resultsDir, realId, 'alerts.parquet');
  if (!alertsFile) throw new UserError(`run ${realId}: alerts.parquet is missing in ${runDir(resultsDir, realId)}`);
  return { label: label ?? realId, source: 'saved', record, alertsFile, featuresFile: runFile(resultsDir, realId, 'features.parquet') };
}

async function fresh(ctx: RunResolveContext, config: PipelineConfig, label: string, withFeatures: boolean): Promise<LoadedRun> {
  ctx.onProgress?.(`backtest '${label}' (${config.symbols.join(', ')})`);
  const featuresFile = withFeatures ? path.join(fs.mkdtempSync(path.join(ctx.tmpDir, 'features-')), 'features.parquet') : undefined;
  const result = await runBacktest(ctx.store, {
    config,
    from: ctx.from,
    to: ctx.to,
    featuresFile,
    score: { permutations: ctx.permutations, seed: ctx.seed },
  });
  const record = await saveRun(path.join(ctx.tmpDir, 'results'), { config, report: result.report, alerts: result.alerts, featuresFile, label, pnl: result.pnl });
  const resultsDir = path.join(ctx.tmpDir, 'results');
  return {
    label,
    source: 'fresh',
    record,
    alertsFile: runFile(resultsDir, record.manifest.id, 'alerts.parquet')!,
    featuresFile: runFile(resultsDir, record.manifest.id, 'features.parquet'),
  };
}

export async function resolveRun(ref: string, ctx: RunResolveContext): Promise<LoadedRun> {
  if (ref === 'latest') {
    const runs = listRuns(ctx.resultsDir);
    if (!runs.length) throw new UserError(`run 'latest': no saved runs in ${ctx.resultsDir} (run \`regime backtest\`, or use run=auto)`);
    return loadSaved(ctx.resultsDir, runs[runs.length - 1].id);
  }
  if (ref === 'fresh' || ref === 'default') return fresh(ctx, ctx.config, 'fresh', ctx.needFeatures);
  if (ref === 'auto') {
    const bounds = await dataBounds(ctx.store, ctx.config.symbols);
    if (bounds) {
      const want = { from: Math.max(ctx.from ?? bounds.first, bounds.first), to: Math.min((ctx.to ?? Infinity) - HOUR_MS, bounds.last) };
      const hash = manifestHash(ctx.store.datasetsDir);
      const match = listRuns(ctx.resultsDir).reverse().find((m) => fits(m, ctx, want, hash));
      if (match) return loadSaved(ctx.resultsDir, match.id);
    }
    return fresh(ctx, ctx.config, 'fresh', ctx.needFeatures);
  }
  return loadSaved(ctx.resultsDir, ref);
}

/** Several runs for a comparison; labels stay unique (a config file's name, `default`, or the run id). */
export async function resolveRuns(refs: readonly string[], ctx: RunResolveContext, notebookDir: string): Promise<LoadedRun[]> {
  const out: LoadedRun[] = [];
  const used = new Set<string>();
  const unique = (label: string) => {
    let l = label;
    for (let k = 2; used.has(l); k++) l = `${label}#${k}`;
    used.add(l);
    return l;
  };
  for (const ref of refs) {
    if (ref.endsWith('.json')) {
      const file = resolveConfigPath(ref, notebookDir);
      const config = loadConfigFile(file);
      out.push(await fresh(ctx, config, unique(path.basename(file, '.json')), ctx.needFeatures));
    } else if (ref === 'default' || ref === 'fresh') {
      out.push(await fresh(ctx, ctx.config, unique('default'), ctx.needFeatures));
    } else {
      const run = await resolveRun(ref, ctx);
      out.push({ ...run, label: unique(run.record.manifest.label ?? run.label) });
    }
  }
  return out;
}
