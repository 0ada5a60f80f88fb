import path from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../data/atomic-file.ts';
import { parseTimeArg } from '../../time.ts';
import { UserError } from '../../errors.ts';
import { defaultResultsDir } from '../../results/run-store.ts';
import { compareConfigurations, defaultChartFile } from '../../sweep/compare.ts';
import { formatComparison } from '../../sweep/scorecard-table.ts';
import { emitJson, globals, storeFor } from '../context.ts';
import { createProgress } from '../progress.ts';
import { symbolList, wholeNumber } from '../args.ts';

interface CompareCliOptions {
  out?: string;
  json?: string | boolean;
  results?: string;
  from?: string;
  to?: string;
  warmup?: string;
  symbols?: string;
  permutations?: string;
  seed?: string;
}


export const order = 56;

export function register(program: Command): void {
  program
    .command('compare')
    .description('scorecards of saved runs and/or config files side by side, plus a chart (precision, recall, NAB per configuration)')
    .argument('<run-or-config...>', 'saved run ids (a unique prefix is enough) or config JSON files (backtested on the first run\'s range)')
    .option('--out <file>', 'chart file, .svg or .png (default results/compare/compare-<id>.svg)')
    .option('--json [file]', 'print (or write) the entries, their scorecards and the comparison rows as JSON')
    .option('--results <dir>', 'results folder (default results/ or REGIME_RESULTS_DIR)')
    .option('--from <time>', 'range for config files when no run is given')
    .option('--to <time>', 'end (exclusive) for config files when no run is given')
    .option('--warmup <hours>', 'warm-up hours for config files when no run is given')
    .option('--symbols <list>', 'symbols for config files (default: the config\'s, else the first run\'s)')
    .option('--permutations <n>', 'random-baseline permutations for config files when no run is given', '1000')
    .option('--seed <n>', 'baseline seed for config files when no run is given', '1')
    .action(async (items: string[], opts: CompareCliOptions, cmd: Command) => {
      const out = opts.out;
      if (out && !/\.(svg|png)$/i.test(out)) throw new UserError(`--out: '${out}' must end in .svg or .png`);
      const resultsDir = opts.results ?? defaultResultsDir();
      const progress = createProgress();
      let result;
      try {
        result = await compareConfigurations(items, () => storeFor(globals(cmd)), {
          resultsDir,
          from: opts.from === undefined ? undefined : parseTimeArg(opts.from, '--from'),
          to: opts.to === undefined ? undefined : parseTimeArg(opts.to, '--to'),
          warmupHours: wholeNumber(opts.warmup, '--warmup'),
          symbols: symbolList(opts.symbols),
          permutations: wholeNumber(opts.permutations, '--permutations'),
          seed: wholeNumber(opts.seed, '--seed'),
          onProgress: (label, done, total) => {
            progress.start(total, `backtest ${label}`);
            progress.update(done);
          },
        });
      } finally {
        progress.stop();
      }
      const chartFile = path.resolve(out ?? defaultChartFile(resultsDir, result.entries));
      // vega and resvg load only when a chart is drawn, not on every start of the CLI
      const { comparisonChartSpec, renderChart } = await import('../../sweep/chart.ts');
      const chart = await renderChart(comparisonChartSpec(result.rows), chartFile.toLowerCase().endsWith('.png') ? 'png' : 'svg');
      writeFileAtomic(chartFile, chart);
      if (opts.json) await emitJson(opts.json, { ...result, chart: chartFile });
      if (opts.json !== true) {
        for (const e of result.entries) console.log(`${e.label}: ${e.kind} ${e.source}, config ${e.config_hash}, ${e.symbols.join(',')} ${e.from} → ${e.to} UTC`);
        for (const w of result.warnings) console.log(`WARNING: ${w}`);
        console.log('');
        console.log(formatComparison(result.rows));
        console.log(`\nChart written to ${chartFile}`);
      }
    });
}
