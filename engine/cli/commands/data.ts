import type { Command } from 'commander';
import { checkData, type DataCheckReport } from '../../data/check.ts';
import { summarizeDataset, type DatasetSummary } from '../../data/summary.ts';
import { emitJson, globals, storeFor } from '../context.ts';
import { renderTable } from '../format.ts';

export function printSummary(s: DatasetSummary): void {
  console.log(`Dataset ${s.datasets_dir} (manifest sha256 ${s.manifest_sha256?.slice(0, 12) ?? 'none'})\n`);
  const rows = s.tables.flatMap((t) =>
    t.series.map((x) => [t.table, t.venue, x.symbol, x.rows, x.first, x.last, x.kinds ?? '']),
  );
  console.log(renderTable(['table', 'venue', 'symbol', 'rows', 'first (UTC)', 'last (UTC)', 'liq kind'], rows));
}

export function printCheck(r: DataCheckReport): void {
  const rows = r.tables.flatMap((t) =>
    t.series.map((s) => [
      t.table, s.symbol, s.rows,
      s.missing_hours ?? '', s.gap_runs?.length ?? '', s.duplicates, s.non_monotonic,
      s.non_positive_prices ?? '', s.high_below_low ?? '', s.zero_volume_placeholders?.length ?? '',
      s.funding_interval_changes?.length ?? '',
    ]),
  );
  console.log(renderTable(['table', 'symbol', 'rows', 'missing h', 'gap runs', 'dup', 'non-mono', 'price<=0', 'high<low', 'zero-vol', 'fund. iv chg'], rows));
  if (r.warnings.length) console.log(`\nFindings:\n${r.warnings.map((w) => `  - ${w}`).join('\n')}`);
  console.log(r.errors.length ? `\nERRORS:\n${r.errors.map((e) => `  - ${e}`).join('\n')}` : '\nNo errors: no duplicates, no rows out of order, no impossible prices.');
}

export const order = 20;

export function register(program: Command): void {
  const data = program.command('data').description('inspect the dataset');
  data
    .command('summary')
    .description('tables, symbols, row counts and ranges of the dataset')
    .option('--json [file]', 'print (or write) the summary as JSON')
    .action(async (opts: { json?: string | boolean }, cmd: Command) => {
      const store = await storeFor(globals(cmd));
      try {
        const s = await summarizeDataset(store);
        if (opts.json) await emitJson(opts.json, s);
        else printSummary(s);
      } finally {
        store.close();
      }
    });
  data
    .command('check')
    .description('data-quality report: gaps, duplicates, order, impossible prices, placeholder bars, funding intervals, liquidation coverage')
    .option('--json [file]', 'print (or write) the report as JSON')
    .action(async (opts: { json?: string | boolean }, cmd: Command) => {
      const store = await storeFor(globals(cmd));
      try {
        const r = await checkData(store);
        if (opts.json) await emitJson(opts.json, r);
        else printCheck(r);
        if (r.errors.length > 0) process.exitCode = 1;
      } finally {
        store.close();
      }
    });
}
