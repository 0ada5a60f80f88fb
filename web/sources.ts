/**
 * Which source a request reads: the one the server was started with, or a saved run picked with `?run=`.
 * Picked runs are loaded once and kept in a small LRU (a full 2018–2026 run is ~80 MB in memory).
 */
import fs from 'node:fs';
import path from 'node:path';
import { listRuns, type RunManifest } from '../engine/results/run-store.ts';
import { notFound } from './http-errors.ts';
import { createRunSource } from './run-source.ts';
import type { DashboardSource } from './source.ts';

export class SourceRegistry {
  private readonly cache = new Map<string, Promise<DashboardSource>>();
  private runsCache: { key: string; runs: RunManifest[] } | null = null;

  constructor(
    readonly main: DashboardSource,
    readonly resultsDir: string | null,
    private readonly maxRuns = 2,
  ) {}

  /** saved runs, oldest first; re-read only when the runs folder changed */
  runs(): RunManifest[] {
    if (!this.resultsDir) return [];
    const dir = path.join(this.resultsDir, 'runs');
    let key: string;
    try {
      const st = fs.statSync(dir);
      key = `${st.mtimeMs}:${fs.readdirSync(dir).length}`;
    } catch {
      return [];
    }
    if (this.runsCache?.key !== key) this.runsCache = { key, runs: listRuns(this.resultsDir) };
    return this.runsCache.runs;
  }

  /** an exact id, `latest`, or a unique prefix/suffix of one */
  resolveId(run: string): string {
    const runs = this.runs();
    if (run === 'latest') {
      if (runs.length === 0) throw notFound('no saved runs');
      return runs[runs.length - 1].id;
    }
    if (runs.some((r) => r.id === run)) return run;
    const match = runs.filter((r) => r.id.startsWith(run) || r.id.endsWith(run));
    if (match.length === 1) return match[0].id;
    throw notFound(match.length > 1 ? `run '${run}' is ambiguous (${match.length} runs match)` : `no saved run '${run}'`);
  }

  async get(run: string | undefined): Promise<DashboardSource> {
    if (run === undefined || run === this.main.id) return this.main;
    if (!this.resultsDir) throw notFound('this server has no saved runs to pick from');
    const id = this.resolveId(run);
    if (id === this.main.id) return this.main;
    let p = this.cache.get(id);
    if (p) {
      // most recently used last
      this.cache.delete(id);
      this.cache.set(id, p);
      return p;
    }
    const src = createRunSource(this.resultsDir, id);
    p = src.ready().then(() => src);
    // a failed load must not stay cached
    p.catch(() => this.cache.delete(id));
    this.cache.set(id, p);
    while (this.cache.size > this.maxRuns) this.cache.delete(this.cache.keys().next().value!);
    return p;
  }
}
