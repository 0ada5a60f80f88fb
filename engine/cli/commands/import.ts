import type { Command } from 'commander';
import { assertFilesExist, importFiles, type ImportOptions } from '../../data/import-files.ts';
import { DEFAULT_DATASETS_DIR } from '../../data/layout.ts';
import { DEFAULT_IMPORT_LIMITS } from '../../data/read-text.ts';
import { TABLE_NAMES, type TableName } from '../../data/tables.ts';
import { UserError } from '../../errors.ts';
import { emitJson, globals } from '../context.ts';
import { createProgress } from '../progress.ts';
import { formatFreqtradeReport, freqtradeInputs, importFreqtrade } from '../../data/freqtrade-import.ts';

export const order = 30;

export function register(program: Command): void {
  program
    .command('import')
    .description('import CSV files (the ../shared/market-data layout, or Binance public-archive klines) into the dataset')
    .argument('[files...]', '.csv, .csv.gz, single-file .zip, or freqtrade .feather')
    .option('--freqtrade <dir>', 'a freqtrade data directory (user_data/data or one exchange folder): 1h spot, futures, mark and funding_rate .feather files')
    .option('--format <format>', 'auto | csv | binance-archive', 'auto')
    .option('--table <table>', `target table (${TABLE_NAMES.join(', ')}); guessed from the file name when omitted`)
    .option('--symbol <symbol>', 'e.g. BTCUSDT; guessed from the file name when omitted')
    .option('--venue <venue>', 'dataset folder, e.g. binance, binanceus, binanceusdm (default: the table\'s)')
    .option('--kind <kind>', 'liquidations: observed | aggregated | modelled')
    .option('--source <source>', 'liquidations/funding: where the rows come from')
    .option('--period <period>', 'open interest: 4h | 1d')
    .option('--note <text>', 'provenance recorded in the manifest for this venue/table')
    .option('--max-rows <n>', `per-file row limit (default ${DEFAULT_IMPORT_LIMITS.maxRows})`)
    .option('--max-bytes <n>', `per-file limit on decompressed bytes (default ${DEFAULT_IMPORT_LIMITS.maxBytes})`)
    .option('--json [file]', 'print (or write) the import report as JSON')
    .action(async (files: string[], opts: ImportOptions & { json?: string | boolean; freqtrade?: string; maxRows?: string; maxBytes?: string }, cmd: Command) => {
      const freqtrade = freqtradeInputs(files, opts);
      if (freqtrade) {
        const report = await importFreqtrade(globals(cmd).datasets ?? DEFAULT_DATASETS_DIR, freqtrade, { venue: opts.venue, note: opts.note });
        if (opts.json) return emitJson(opts.json, report);
        return formatFreqtradeReport(report).forEach((line) => console.log(line));
      }
      if (files.length === 0) throw new UserError('import: name at least one file (or --freqtrade DIR)');
      if (opts.table && !(TABLE_NAMES as string[]).includes(opts.table)) {
        throw new UserError(`--table: unknown table '${opts.table}' (known: ${TABLE_NAMES.join(', ')})`);
      }
      if (opts.format && !['auto', 'csv', 'binance-archive'].includes(opts.format)) {
        throw new UserError(`--format: '${opts.format}' is not one of auto, csv, binance-archive`);
      }
      const limit = (raw: string | undefined, flag: string) => {
        if (raw === undefined) return undefined;
        if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new UserError(`${flag}: '${raw}' is not a positive whole number`);
        return Number(raw);
      };
      const limits = { maxRows: limit(opts.maxRows, '--max-rows') ?? DEFAULT_IMPORT_LIMITS.maxRows, maxBytes: limit(opts.maxBytes, '--max-bytes') ?? DEFAULT_IMPORT_LIMITS.maxBytes };
      assertFilesExist(files);
      const progress = createProgress();
      const onProgress: ImportOptions['onProgress'] = (e) => {
        if (e.phase === 'commit') return progress.phase('writing partitions and the manifest');
        progress.start(e.total, 'parsing files');
        progress.update(e.done);
      };
      let report;
      try {
        report = await importFiles(globals(cmd).datasets ?? DEFAULT_DATASETS_DIR, files, { ...opts, table: opts.table as TableName | undefined, limits, onProgress });
      } finally {
        progress.stop();
      }
      if (opts.json) return emitJson(opts.json, report);
      for (const f of report.files) console.log(`${f.file} → ${f.venue}/${f.table} ${f.symbol}: ${f.rows} rows (${f.format}${f.notes.length ? '; ' + f.notes.join('; ') : ''})`);
      const c = report.commit;
      console.log(`added ${c.added}, replaced ${c.replaced}, unchanged ${c.unchanged}; ${c.filesWritten} partition files written`);
    });
}
