/**
 * Finished runs, kept so they can be compared, reported on and served: one folder per run under the results
 * folder (default <repo>/results, or REGIME_RESULTS_DIR) with
 *   run.json          the manifest (configuration + hash, dataset manifest hash, git commit, seed, time) and
 *                     the report with its scorecard
 *   alerts.parquet    every alert (data as JSON text)
 *   features.parquet  one row per symbol-hour (when the run kept features)
 *   pnl_equity.parquet, pnl_trades.parquet  the paper P&L's hourly equity curves and trades (engine/results/pnl-files.ts)
 * Folders are written under a temp name and renamed, so a reader never sees half a run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { codeStrings, writeParquetFile } from './parquet-writer.ts';
import type { Alert } from '../pipeline/alerts.ts';
import type { PipelineConfig } from '../pipeline/config.ts';
import type { BacktestReport, BacktestResult } from '../replay/backtest.ts';
import { UserError } from '../errors.ts';
import { defaultResultsDir } from './results-dir.ts';
import { moveFile } from '../data/atomic-file.ts';
import type { PaperPnl } from '../score/pnl.ts';
import { PNL_EQUITY_FILE, PNL_TRADES_FILE, writePnlFiles } from './pnl-files.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export { defaultResultsDir };

export interface RunManifest {
  id: string;
  kind: 'backtest' | 'live';
  label: string | null;
  created_at: string;
  config_hash: string;
  dataset_manifest_sha256: string | null;
  git_commit: string | null;
  seed: number | null;
  symbols: string[];
  from: string;
  to: string;
  has_features: boolean;
}

export interface RunRecord {
  manifest: RunManifest;
  config: PipelineConfig;
  report: BacktestReport;
}

/** the checked-out commit of this repository, or null outside a git checkout */
export function gitCommit(): string | null {
  return gitCommitOf(REPO);
}

/**
 * HEAD's commit, read from the .git files (a `git rev-parse` process costs 15–40 ms of CPU and ≈ 100 ms of wall on
 * a loaded machine, every saved run and sweep); git itself answers for layouts this does not read (e.g. reftable).
 */
export function gitCommitOf(repo: string): string | null {
  const read = readHead(repo);
  if (read !== undefined) return read;
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** the commit, null when there is no .git, undefined when the layout is not one this reads */
function readHead(repo: string): string | null | undefined {
  try {
    let gitDir = path.join(repo, '.git');
    if (!fs.existsSync(gitDir)) return null;
    if (fs.statSync(gitDir).isFile()) {
      // a linked worktree or submodule: .git names the real folder
      const target = /^gitdir: (.+)$/m.exec(fs.readFileSync(gitDir, 'utf8'))?.[1];
      if (!target) return undefined;
      gitDir = path.resolve(repo, target.trim());
    }
    const head = fs.readFileSync(path.join(gitDir, 'HEAD'), 'utf8').trim();
    if (OBJECT_ID.test(head)) return head;
    const ref = /^ref: (refs\/\S+)$/.exec(head)?.[1];
    if (!ref) return undefined;
    const commonFile = path.join(gitDir, 'commondir');
    const common = fs.existsSync(commonFile) ? path.resolve(gitDir, fs.readFileSync(commonFile, 'utf8').trim()) : gitDir;
    for (const dir of [gitDir, common]) {
      const file = path.join(dir, ref);
      if (fs.existsSync(file)) {
        const id = fs.readFileSync(file, 'utf8').trim();
        return OBJECT_ID.test(id) ? id : undefined;
      }
    }
    const packed = path.join(common, 'packed-refs');
    if (fs.existsSync(packed)) {
      for (const line of fs.readFileSync(packed, 'utf8').split('\n')) {
        const [id, name] = line.trim().split(' ');
        if (name === ref && OBJECT_ID.test(id)) return id;
      }
    }
    return undefined;
  } catch {
    return undefined;
  }
}

function runsDir(resultsDir: string): string {
  return path.join(resultsDir, 'runs');
}

export function runDir(resultsDir: string, id: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new UserError(`run id '${id}' is not valid`);
  return path.join(runsDir(resultsDir), id);
}

export interface SaveRunOptions {
  config: PipelineConfig;
  report: BacktestReport;
  alerts: readonly Alert[];
  /** a features Parquet file already written by the backtest; moved into the run */
  featuresFile?: string | null;
  /** the backtest's paper P&L: curves and trades go to Parquet files beside run.json (unless written.pnlFilesDir has them) */
  pnl?: PaperPnl | null;
  /** files the backtest already wrote (BacktestResult.written): moved into the run instead of written */
  written?: BacktestResult['written'];
  label?: string | null;
  kind?: RunManifest['kind'];
}

/** ids sort by time and stay unique: 20261124-053012-<config hash prefix>-<random> */
function newRunId(configHash: string): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${t}-${configHash.slice(0, 8)}-${randomUUID().slice(0, 4)}`;
}

export async function saveRun(resultsDir: string, opts: SaveRunOptions): Promise<RunRecord> {
  const id = newRunId(opts.report.config_hash);
  const finalDir = runDir(resultsDir, id);
  const tmpDir = `${finalDir}.tmp`;
  fs.mkdirSync(tmpDir, { recursive: true });
  try {
    const manifest: RunManifest = {
      id,
      kind: opts.kind ?? 'backtest',
      label: opts.label ?? null,
      created_at: new Date().toISOString(),
      config_hash: opts.report.config_hash,
      dataset_manifest_sha256: opts.report.dataset_manifest_sha256,
      git_commit: gitCommit(),
      seed: opts.report.scorecard?.options.seed ?? null,
      symbols: opts.report.symbols,
      from: opts.report.from,
      to: opts.report.to,
      has_features: Boolean(opts.featuresFile),
    };
    const record: RunRecord = { manifest, config: opts.config, report: opts.report };
    fs.writeFileSync(path.join(tmpDir, 'run.json'), JSON.stringify(record, null, 1) + '\n');
    const { alertsFile, pnlFilesDir } = opts.written ?? { alertsFile: null, pnlFilesDir: null };
    if (alertsFile) moveFile(alertsFile, path.join(tmpDir, 'alerts.parquet'));
    else writeAlertsParquet(path.join(tmpDir, 'alerts.parquet'), opts.alerts);
    if (pnlFilesDir) for (const f of [PNL_EQUITY_FILE, PNL_TRADES_FILE]) moveFile(path.join(pnlFilesDir, f), path.join(tmpDir, f));
    else if (opts.pnl) writePnlFiles(tmpDir, opts.pnl);
    if (opts.featuresFile) moveFile(opts.featuresFile, path.join(tmpDir, 'features.parquet'));
    fs.renameSync(tmpDir, finalDir);
    return record;
  } catch (err) {
    fs.rmSync(tmpDir, { recursive: true, force: true });
    throw err;
  }
}

/** alerts.parquet: every alert ordered by (ts_ms, id), data as JSON text */
export function writeAlertsParquet(file: string, alerts: readonly Alert[]): void {
  const sorted = [...alerts].sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const n = sorted.length;
  const ts = new Float64Array(n);
  const direction = new Float64Array(n);
  sorted.forEach((a, i) => {
    ts[i] = a.ts;
    direction[i] = a.direction ?? NaN;
  });
  const text = (pick: (a: Alert) => string) => codeStrings(sorted.map(pick));
  writeParquetFile(
    file,
    [
      { name: 'id', kind: 'string' },
      { name: 'ts', kind: 'timestamp' },
      { name: 'ts_ms', kind: 'int64' },
      { name: 'symbol', kind: 'string' },
      { name: 'event_type', kind: 'string' },
      { name: 'severity', kind: 'string' },
      { name: 'source', kind: 'string' },
      { name: 'direction', kind: 'int8' },
      { name: 'title', kind: 'string' },
      { name: 'description', kind: 'string' },
      { name: 'data', kind: 'json' },
    ],
    n,
    [
      text((a) => a.id),
      ts,
      ts,
      text((a) => a.symbol),
      text((a) => a.event_type),
      text((a) => a.severity),
      text((a) => a.source),
      direction,
      text((a) => a.title),
      text((a) => a.description),
      text((a) => JSON.stringify(a.data)),
    ],
  );
}

export function listRuns(resultsDir: string): RunManifest[] {
  const dir = runsDir(resultsDir);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((d) => !d.endsWith('.tmp') && fs.existsSync(path.join(dir, d, 'run.json')))
    .map((d) => (JSON.parse(fs.readFileSync(path.join(dir, d, 'run.json'), 'utf8')) as RunRecord).manifest)
    // oldest first by creation time (ms): ids carry whole seconds and a random suffix, so two runs saved within one
    // second would otherwise sort by chance and "latest" could name the older one
    .sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function loadRun(resultsDir: string, id: string): RunRecord {
  const file = path.join(runDir(resultsDir, id), 'run.json');
  if (!fs.existsSync(file)) {
    const known = listRuns(resultsDir).map((r) => r.id);
    const match = known.filter((k) => k.startsWith(id) || k.endsWith(id));
    if (match.length === 1) return loadRun(resultsDir, match[0]);
    throw new UserError(`no run '${id}' in ${resultsDir}${known.length ? ` (latest: ${known.slice(-3).join(', ')})` : ' (no runs yet: run `regime backtest --save`)'}`);
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as RunRecord;
}

export function latestRun(resultsDir: string): RunManifest | null {
  const runs = listRuns(resultsDir);
  return runs.length ? runs[runs.length - 1] : null;
}

export function runFile(resultsDir: string, id: string, name: 'alerts.parquet' | 'features.parquet' | typeof PNL_EQUITY_FILE | typeof PNL_TRADES_FILE): string | null {
  const f = path.join(runDir(resultsDir, id), name);
  return fs.existsSync(f) ? f : null;
}
