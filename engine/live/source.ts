/**
 * The live loop as a DashboardSource (web/source.ts): everything is read from the live store, so the same
 * source serves a running loop (pass the runner: updates are pushed, the scorecard is the newest) or a stopped
 * one (pass only the results folder).
 */
import path from 'node:path';
import type { DashboardSource, EventQuery, LiquidationCoverage } from '../../web/source.ts';
import type { Alert } from '../pipeline/alerts.ts';
import type { FeatureRow } from '../pipeline/feature-row.ts';
import { HOUR_MS } from '../pipeline/input.ts';
import type { Scorecard } from '../score/index.ts';
import { defaultResultsDir } from '../results/run-store.ts';
import type { LiveRunner } from './runner.ts';
import { liveStatus } from './status.ts';
import { LiveStore } from './store.ts';

export interface LiveSourceOptions {
  /** a running loop: its store, its update events, its stream state */
  runner?: LiveRunner;
  /** the live results folder (default results/live) when no runner is given */
  resultsDir?: string;
}

export function defaultLiveDir(): string {
  return path.join(defaultResultsDir(), 'live');
}

const stripStored = ({ paper: _p, late: _l, created_at: _c, ...a }: Alert & { paper: boolean; late: boolean; created_at: number }): Alert => a;

export async function createLiveSource(opts: LiveSourceOptions = {}): Promise<DashboardSource & { close(): Promise<void> }> {
  const runner = opts.runner;
  const store = runner?.store ?? (await LiveStore.open(opts.resultsDir ?? defaultLiveDir(), { readOnly: true }));
  const meta = await store.meta();
  const symbols: string[] = runner ? [...runner.symbols] : meta.symbols ? (JSON.parse(meta.symbols) as string[]) : [];
  let range: { first: number; last: number } | null = null;
  let card: Scorecard | null = null;
  const refresh = async () => {
    const [r] = await store.query(`SELECT min(ts)::DOUBLE AS first, max(ts)::DOUBLE AS last FROM hours`);
    range = r && r.first !== null ? { first: Number(r.first), last: Number(r.last) } : null;
    card = runner?.scorecard() ?? (((await store.scorecard())?.scorecard as Scorecard | undefined) ?? null);
  };
  await refresh();
  const unsub: (() => void)[] = [];
  if (runner) {
    const onUpdate = () => void refresh().catch(() => undefined);
    runner.on('update', onUpdate);
    unsub.push(() => runner.off('update', onUpdate));
  }
  const current = (at?: number) => {
    const last = range?.last ?? -Infinity;
    return at === undefined ? last : Math.min(at, last);
  };

  const source: DashboardSource & { close(): Promise<void> } = {
    kind: 'live',
    id: 'live',
    symbols,
    range: () => range,
    async latestFeatures(at?: number): Promise<FeatureRow[]> {
      const end = current(at);
      const rows = await store.features({ from: end - 48 * HOUR_MS, to: end });
      const latest = new Map<string, FeatureRow>();
      for (const r of rows) latest.set(String(r.symbol), r);
      return symbols.map((s) => latest.get(s)).filter((r): r is FeatureRow => r !== undefined);
    },
    async featureHistory(symbol: string, hours: number, at?: number): Promise<FeatureRow[]> {
      const end = current(at);
      return store.features({ symbol, from: end - hours * HOUR_MS + HOUR_MS, to: end });
    },
    async events(q: EventQuery): Promise<Alert[]> {
      const rows = await store.events({ since: q.since, until: current(q.at), type: q.type, severity: q.severity, symbol: q.symbol, limit: q.limit });
      return rows.map(stripStored);
    },
    scorecard: () => card,
    async liquidationCoverage(): Promise<LiquidationCoverage[]> {
      const hours = await store.hours();
      return symbols.map((s) => {
        const covered = hours.filter((h) => h.liq[s] !== undefined && h.liq[s] !== null);
        return {
          symbol: s,
          kinds: covered.length ? ['observed'] : [],
          first: covered[0]?.ts ?? null,
          last: covered.length ? covered[covered.length - 1].ts : null,
          hours_with_data: covered.length,
        };
      });
    },
    async status(): Promise<Record<string, unknown>> {
      const s = await liveStatus(store);
      const { scorecard: _omit, ...rest } = s;
      return {
        ...rest,
        running: runner?.running ?? false,
        next_hour: runner && Number.isFinite(runner.cursor) ? new Date(runner.cursor).toISOString() : null,
        stream: runner?.streamState() ?? null,
      };
    },
    onUpdate(listener: () => void): () => void {
      if (!runner) return () => undefined;
      runner.on('update', listener);
      return () => runner.off('update', listener);
    },
    async close(): Promise<void> {
      for (const u of unsub) u();
      if (!runner) await store.close();
    },
  };
  return source;
}
