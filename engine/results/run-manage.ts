/**
 * Managing saved runs: find one by a unique id prefix, label it, remove it. Beside run-store.ts, which writes
 * and reads them. Every change is atomic: run.json is rewritten through a temp file and a rename, and a removed
 * run is first renamed out of the listing, so a reader (the server, a report) sees the run whole or not at all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { UserError } from '../errors.ts';
import { parseIsoHour } from '../time.ts';
import { listRuns, runDir, type RunManifest, type RunRecord } from './run-store.ts';

/** The run's hours in epoch ms: first and last hour reported (run.json keeps them as UTC ISO hours). */
export function runRangeMs(m: Pick<RunManifest, 'from' | 'to'>): { first: number; last: number } {
  return { first: parseIsoHour(m.from), last: parseIsoHour(m.to) };
}

/** The one run whose id starts with `prefix`; a prefix that fits several, or none, is an error naming them. */
export function resolveRunId(resultsDir: string, prefix: string): string {
  const ids = listRuns(resultsDir).map((r) => r.id);
  if (ids.includes(prefix)) return prefix;
  const matches = ids.filter((id) => id.startsWith(prefix));
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) {
    throw new UserError(`run '${prefix}' is ambiguous: it starts ${matches.length} runs (${matches.slice(0, 5).join(', ')}${matches.length > 5 ? ', …' : ''}); give more of the id`);
  }
  throw new UserError(`no run '${prefix}' in ${resultsDir}${ids.length ? ` (newest: ${ids.slice(-3).join(', ')}; \`regime runs\` lists them)` : ' (no runs yet: `regime backtest` saves one)'}`);
}

function readRecord(resultsDir: string, id: string): RunRecord {
  return JSON.parse(fs.readFileSync(path.join(runDir(resultsDir, id), 'run.json'), 'utf8')) as RunRecord;
}

/** Sets (or, with an empty text, clears) a run's label; returns the updated manifest. */
export function setRunLabel(resultsDir: string, prefix: string, label: string): RunManifest {
  const id = resolveRunId(resultsDir, prefix);
  const text = label.trim();
  if (text.length > 200) throw new UserError(`label: ${text.length} characters, at most 200`);
  if (/[\u0000-\u001f\u007f]/.test(text)) throw new UserError('label: control characters (newlines, tabs) are not allowed');
  const record = readRecord(resultsDir, id);
  record.manifest.label = text === '' ? null : text;
  const file = path.join(runDir(resultsDir, id), 'run.json');
  const tmp = `${file}.${randomUUID().slice(0, 8)}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(record, null, 1) + '\n');
  fs.renameSync(tmp, file);
  return record.manifest;
}

/**
 * Removes runs by id or unique prefix. Every prefix is resolved before anything is removed, so one ambiguous
 * or unknown prefix removes nothing.
 */
export function removeRuns(resultsDir: string, prefixes: readonly string[]): RunManifest[] {
  const ids = [...new Set(prefixes.map((p) => resolveRunId(resultsDir, p)))];
  const removed: RunManifest[] = [];
  for (const id of ids) {
    const manifest = readRecord(resultsDir, id).manifest;
    const dir = runDir(resultsDir, id);
    // out of the listing first (listRuns skips *.tmp), then gone
    const doomed = `${dir}.${randomUUID().slice(0, 8)}.rm.tmp`;
    fs.renameSync(dir, doomed);
    fs.rmSync(doomed, { recursive: true, force: true });
    removed.push(manifest);
  }
  return removed;
}

/** Alerts count of a run, from its report (0 when the report has none, e.g. a live run's manifest). */
export function runAlerts(resultsDir: string, id: string): number | null {
  try {
    return readRecord(resultsDir, id).report?.alerts_total ?? null;
  } catch {
    return null;
  }
}
