/**
 * Which saved run `regime serve` opens without --run: the newest of the widest-range runs made with the
 * default configuration (what `npm start` saves), not merely the newest run, which is often a one-month test.
 * Without any default-config run, the newest run with features; then the newest run.
 */
import { configHash } from '../engine/pipeline/load-config.ts';
import { defaultConfig } from '../engine/pipeline/config.ts';
import { listRuns, type RunManifest } from '../engine/results/run-store.ts';
import { parseIsoHour } from '../engine/time.ts';

export interface DefaultRunChoice {
  manifest: RunManifest;
  why: string;
}

const span = (m: RunManifest) => parseIsoHour(m.to) - parseIsoHour(m.from);

export function chooseDefaultRun(runs: readonly RunManifest[], defaultHash: string): DefaultRunChoice | null {
  // listRuns is oldest first; later entries win ties
  const pick = (xs: readonly RunManifest[], better: (a: RunManifest, b: RunManifest) => boolean) => xs.reduce<RunManifest | null>((best, m) => (best === null || better(m, best) ? m : best), null);
  const usable = runs.filter((m) => m.kind === 'backtest' && m.has_features);
  const byDefault = usable.filter((m) => m.config_hash === defaultHash);
  const widest = pick(byDefault, (a, b) => span(a) >= span(b));
  if (widest) return { manifest: widest, why: 'the newest full-range run of the default config' };
  const newest = pick(usable, () => true) ?? pick(runs, () => true);
  return newest ? { manifest: newest, why: 'the newest run (none uses the default config)' } : null;
}

export function defaultRun(resultsDir: string): DefaultRunChoice | null {
  return chooseDefaultRun(listRuns(resultsDir), configHash(defaultConfig()));
}

/** "label · id" where a run is named */
export function runName(m: Pick<RunManifest, 'id' | 'label'>): string {
  return m.label ? `${m.label} · ${m.id}` : m.id;
}
