/**
 * Bench section 'features': what the default backtest's feature export and saved files cost on top of the replay,
 * in one process on the bundled data. CPU time (process.cpuUsage) so a shared machine does not inflate it; the
 * bare replay and the replay with the feature export alternate, medians of 3 each.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../data/store.ts';
import { defaultConfig } from '../pipeline/config.ts';
import { featureColumns } from '../pipeline/feature-row.ts';
import { loadReplayData } from './replay-data.ts';
import { runReplay } from './replay.ts';
import { FeatureTable } from './feature-writer.ts';
import { runBacktest } from './backtest.ts';
import { writeAlertsParquet } from '../results/run-store.ts';
import { writePnlFiles } from '../results/pnl-files.ts';
import { benchMedian } from '../testing/bench-median.ts';
import { machineShareLine, watchMachine } from '../testing/machine-share.ts';

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function cpuOf(fn: () => unknown): Promise<number> {
  const t = cpuMs();
  await fn();
  return cpuMs() - t;
}

export async function benchFeatures(): Promise<string[]> {
  const lines = ['## Feature export and saved files of the default backtest (full bundled history, CPU time, medians of 3; the bare replay, the export and its all-brotli reference alternate)'];
  const machine = watchMachine();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-features-'));
  const store = await openStore();
  try {
    const config = defaultConfig();
    const data = await loadReplayData(store, config.symbols, {});
    const columns = featureColumns(config.symbols, config.correlation);
    const bare: number[] = [];
    const withFeatures: number[] = [];
    const allBrotli: number[] = [];
    let rows = 0;
    let bytes = 0;
    let brotliBytes = 0;
    const exportCpu = async (file: string, storeIncompressible: boolean) =>
      cpuOf(async () => {
        const table = FeatureTable.open(columns, file, { storeIncompressible });
        runReplay(data, config, { onStep: (step) => table.addHour(step.features) });
        rows = table.size;
        await table.finish();
      });
    for (let round = 0; round < 3; round++) {
      bare.push(await cpuOf(() => runReplay(data, config, {})));
      const file = path.join(dir, 'features.parquet');
      withFeatures.push(await exportCpu(file, true));
      bytes = fs.statSync(file).size;
      // the reference: every chunk brotli, as the export wrote them before the noisy columns were stored
      const reference = path.join(dir, 'features-all-brotli.parquet');
      allBrotli.push(await exportCpu(reference, false));
      brotliBytes = fs.statSync(reference).size;
    }
    const extra = benchMedian(withFeatures) - benchMedian(bare);
    lines.push(
      `replay alone           ${benchMedian(bare).toFixed(0)} ms CPU`,
      `replay + features     ${benchMedian(withFeatures).toFixed(0)} ms CPU: the export costs ${extra.toFixed(0)} ms, ${((extra * 1000) / rows).toFixed(2)} µs per row (${rows.toLocaleString('en-US')} rows × ${columns.length + 1} columns, ${(bytes / 2 ** 20).toFixed(1)} MiB Parquet, noisy columns stored)`,
      `ratio                  ${(benchMedian(withFeatures) / benchMedian(bare)).toFixed(2)}× the bare replay`,
      `all-brotli reference  ${benchMedian(allBrotli).toFixed(0)} ms CPU: the export costs ${(benchMedian(allBrotli) - benchMedian(bare)).toFixed(0)} ms, ${(brotliBytes / 2 ** 20).toFixed(2)} MiB (stored noisy columns: ${(bytes / 2 ** 20).toFixed(2)} MiB, ${(((bytes - brotliBytes) / brotliBytes) * 100).toFixed(1)} %); export ratio ${((benchMedian(withFeatures) - benchMedian(bare)) / (benchMedian(allBrotli) - benchMedian(bare))).toFixed(2)}`,
    );
    const { alerts, pnl } = await runBacktest(store, { config, score: false, pnl: {} });
    const saved: number[] = [];
    for (let round = 0; round < 3; round++) {
      saved.push(
        await cpuOf(async () => {
          writeAlertsParquet(path.join(dir, 'alerts.parquet'), alerts);
          writePnlFiles(dir, pnl!);
        }),
      );
    }
    const marks = pnl!.curves.reduce((n, c) => n + c.ts.length, 0);
    lines.push(`saved files            ${benchMedian(saved).toFixed(0)} ms CPU: alerts.parquet (${alerts.length.toLocaleString('en-US')} alerts) + P&L equity (${marks.toLocaleString('en-US')} hourly marks) and trades`);
    lines.push(machineShareLine(machine()));
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}
