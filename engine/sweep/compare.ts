/**
 * Configurations side by side: saved runs (by id or unique prefix) keep the scorecard they were saved with;
 * config files are backtested on the same range, symbols and scorer options as the first run given (or the
 * explicit ones), so every scorecard answers the same question.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../data/store.ts';
import { UserError } from '../errors.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import { configHash } from '../pipeline/load-config.ts';
import { loadConfigFile } from '../pipeline/load-config.ts';
import { DEFAULT_WARMUP_HOURS, runBacktest } from '../replay/backtest.ts';
import { loadRun, type RunRecord } from '../results/run-store.ts';
import type { Scorecard } from '../score/types.ts';
import { comparisonRows, type ComparisonRow } from './scorecard-table.ts';
import { parseIsoHour } from '../time.ts';

export interface CompareOptions {
  resultsDir: string;
  /** range for config files when no run fixes it (epoch ms; to exclusive) */
  from?: number;
  to?: number;
  warmupHours?: number;
  symbols?: string[];
  /** scorer options for config files when no run fixes them */
  permutations?: number;
  seed?: number;
  onProgress?: (label: string, done: number, total: number) => void;
}

export interface CompareEntry {
  label: string;
  kind: 'run' | 'config';
  /** run id or config file */
  source: string;
  config_hash: string;
  symbols: string[];
  from: string;
  to: string;
  scorecard: Scorecard;
}

export interface CompareResult {
  entries: CompareEntry[];
  rows: ComparisonRow[];
  warnings: string[];
}

type Resolved = { kind: 'run'; arg: string; run: RunRecord } | { kind: 'config'; arg: string; file: string };

function resolve(arg: string, resultsDir: string): Resolved {
  if (fs.existsSync(arg) && fs.statSync(arg).isFile()) return { kind: 'config', arg, file: arg };
  if (arg.endsWith('.json') || arg.includes('/') || arg.includes(path.sep)) throw new UserError(`${arg}: no such config file`);
  return { kind: 'run', arg, run: loadRun(resultsDir, arg) };
}

/** the backtest report's 'YYYY-MM-DD HH:MM' (UTC) as epoch ms */
function uniqueLabels(labels: string[]): string[] {
  const seen = new Map<string, number>();
  return labels.map((l) => {
    const n = (seen.get(l) ?? 0) + 1;
    seen.set(l, n);
    return n === 1 ? l : `${l} (${n})`;
  });
}

function configHasSymbols(file: string): boolean {
  try {
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return json !== null && typeof json === 'object' && 'symbols' in json;
  } catch {
    return false;
  }
}

export async function compareConfigurations(args: readonly string[], openStore: () => Promise<Store>, opts: CompareOptions): Promise<CompareResult> {
  if (args.length === 0) throw new UserError('compare: give at least one run id or config file');
  const resolved = args.map((a) => resolve(a, opts.resultsDir));
  const runs = resolved.filter((r): r is Extract<Resolved, { kind: 'run' }> => r.kind === 'run');
  for (const r of runs) if (!r.run.report.scorecard) throw new UserError(`run ${r.run.manifest.id} has no scorecard (saved with --no-score); run its config again instead`);
  const ref = runs[0]?.run;
  const warnings: string[] = [];
  const range = ref
    ? { from: parseIsoHour(ref.report.from), to: parseIsoHour(ref.report.to) + HOUR_MS, warmupHours: ref.report.warmup_hours }
    : { from: opts.from, to: opts.to, warmupHours: opts.warmupHours ?? DEFAULT_WARMUP_HOURS };
  if (ref && (opts.from !== undefined || opts.to !== undefined)) warnings.push(`--from/--to ignored: config files run on the range of run ${ref.manifest.id}`);
  const score = ref?.report.scorecard?.options ?? { permutations: opts.permutations ?? 1000, seed: opts.seed ?? 1 };

  let store: Store | null = null;
  const entries: CompareEntry[] = [];
  const labels = uniqueLabels(resolved.map((r) => (r.kind === 'run' ? r.run.manifest.label ?? r.run.manifest.id : path.basename(r.file, '.json'))));
  try {
    for (let i = 0; i < resolved.length; i++) {
      const r = resolved[i];
      if (r.kind === 'run') {
        const rep = r.run.report;
        entries.push({ label: labels[i], kind: 'run', source: r.run.manifest.id, config_hash: rep.config_hash, symbols: rep.symbols, from: rep.from, to: rep.to, scorecard: rep.scorecard! });
        continue;
      }
      const symbols = opts.symbols ?? (ref && !configHasSymbols(r.file) ? ref.report.symbols : undefined);
      const config = loadConfigFile(r.file, symbols ? { symbols } : {});
      store ??= await openStore();
      const result = await runBacktest(store, {
        config,
        from: range.from,
        to: range.to,
        warmupHours: range.warmupHours,
        score,
        onProgress: opts.onProgress && ((done, total) => opts.onProgress!(labels[i], done, total)),
      });
      const rep = result.report;
      entries.push({ label: labels[i], kind: 'config', source: r.file, config_hash: rep.config_hash, symbols: rep.symbols, from: rep.from, to: rep.to, scorecard: rep.scorecard! });
    }
  } finally {
    store?.close();
  }
  const first = entries[0];
  for (const e of entries.slice(1)) {
    if (e.from !== first.from || e.to !== first.to || e.symbols.join() !== first.symbols.join()) {
      warnings.push(`${e.label} covers ${e.symbols.join(',')} ${e.from} → ${e.to}, ${first.label} ${first.symbols.join(',')} ${first.from} → ${first.to}: the scorecards are not like for like`);
    }
  }
  return { entries, rows: comparisonRows(entries.map((e) => ({ label: e.label, card: e.scorecard }))), warnings };
}

/** default chart file: named by what is compared, so the same comparison overwrites its own chart */
export function defaultChartFile(resultsDir: string, entries: readonly CompareEntry[]): string {
  const id = configHash(entries.map((e) => [e.source, e.config_hash, e.from, e.to]));
  return path.join(resultsDir, 'compare', `compare-${id}.svg`);
}
