/**
 * `npm run bench -- pnl`: the paper P&L on the full bundled history with the default configuration — the time
 * it takes (1,000 random-entry draws per strategy row) and the time to save its curves and trades — and the
 * table itself, since its figures are what the README quotes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openStore } from '../data/store.ts';
import { defaultConfig } from '../pipeline/config.ts';
import { loadReplayData } from '../replay/replay-data.ts';
import { runReplay } from '../replay/replay.ts';
import { pricesOf, toScorable } from '../replay/score-alerts.ts';
import { writePnlFiles } from '../results/pnl-files.ts';
import { formatPnl } from './format.ts';
import { paperPnl } from './pnl.ts';

export async function benchPnl(): Promise<string[]> {
  const store = await openStore();
  try {
    const config = defaultConfig();
    const data = await loadReplayData(store, config.symbols);
    const replay = runReplay(data, config, { emitFrom: data.firstHour });
    const prices = pricesOf(data, replay.emitFrom);
    const alerts = replay.alerts.map(toScorable);
    const times: number[] = [];
    const cpu: number[] = [];
    let pnl = paperPnl(prices, alerts, { random_entries: 1000, seed: 1 });
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      pnl = paperPnl(prices, alerts, { random_entries: 1000, seed: 1 });
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    const load = os.loadavg()[0];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-bench-pnl-'));
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    writePnlFiles(dir, pnl);
    const c = process.cpuUsage(c0);
    const write = performance.now() - t0;
    const writeCpu = (c.user + c.system) / 1000;
    const size = fs.readdirSync(dir).reduce((a, f) => a + fs.statSync(path.join(dir, f)).size, 0);
    fs.rmSync(dir, { recursive: true, force: true });
    const trades = pnl.summary.rows.reduce((a, r) => a + r.strategy.trades, 0);
    const hours = pnl.curves.reduce((a, c) => a + c.ts.length, 0);
    return [
      `## Paper P&L: default config, full bundled history (${alerts.length.toLocaleString('en-US')} alerts, ${pnl.summary.rows.length} strategy rows)`,
      `machine load average ${load.toFixed(1)} on ${os.cpus().length} cores (wall times move with it; CPU time less so)`,
      `paperPnl, 1,000 random-entry draws per row   median ${times[1].toFixed(0)} ms wall, ${cpu[1].toFixed(0)} ms CPU; best ${times[0].toFixed(0)} ms (${trades.toLocaleString('en-US')} trades over all rows)`,
      `pnl_equity + pnl_trades Parquet             ${write.toFixed(0)} ms wall, ${writeCpu.toFixed(0)} ms CPU (all DuckDB threads), ${(size / 1e6).toFixed(1)} MB (${hours.toLocaleString('en-US')} hourly marks)`,
      '',
      formatPnl(pnl.summary),
    ];
  } finally {
    store.close();
  }
}
