import type { Command } from 'commander';
import { loadConfigFile } from '../../pipeline/load-config.ts';
import { loadReplayData } from '../../replay/replay-data.ts';
import { checkLookahead } from '../../replay/lookahead.ts';
import { parseTimeArg } from '../../time.ts';
import { emitJson, globals, storeFor } from '../context.ts';
import { createProgress } from '../progress.ts';
import { positiveInt, symbolList } from '../args.ts';
import { thousands } from '../../thousands.ts';


export const order = 60;

export function register(program: Command): void {
  program
    .command('check-lookahead')
    .description('prove the detectors use no future data: replays truncated at random hours must agree with the full run; reports each detector\'s warm-up')
    .option('--config <file>', 'JSON config')
    .option('--symbols <list>', 'comma-separated symbols (overrides the config)')
    .option('--from <time>', 'start of the data used (default: all)')
    .option('--to <time>', 'end of the data used, exclusive')
    .option('--samples <n>', 'random truncation hours', '50')
    .option('--seed <n>', 'seed of the random hours', '42')
    .option('--warmup-starts <n>', 'later starts tried for the warm-up measurement', '2')
    .option('--json [file]', 'print (or write) the report as JSON')
    .action(async (opts: { config?: string; symbols?: string; from?: string; to?: string; samples: string; seed: string; warmupStarts: string; json?: string | boolean }, cmd: Command) => {
      const symbols = symbolList(opts.symbols);
      const config = loadConfigFile(opts.config, symbols ? { symbols } : {});
      const store = await storeFor(globals(cmd));
      const progress = createProgress();
      let report;
      try {
        progress.phase('loading data');
        const data = await loadReplayData(store, config.symbols, {
          from: opts.from === undefined ? undefined : parseTimeArg(opts.from, '--from'),
          to: opts.to === undefined ? undefined : parseTimeArg(opts.to, '--to'),
        });
        report = checkLookahead(data, config, {
          samples: positiveInt(opts.samples, '--samples'),
          seed: Number(opts.seed),
          warmupStarts: positiveInt(opts.warmupStarts, '--warmup-starts'),
          onProgress: (done, total) => {
            progress.start(total, 'lookahead (replays)');
            progress.update(done);
          },
        });
      } finally {
        progress.stop();
        store.close();
      }
      if (opts.json) await emitJson(opts.json, report);
      if (opts.json !== true) {
        console.log(`Truncation check: ${report.samples} cut hours (half random, half hours with alerts; seed ${report.seed}), ${thousands(report.values_compared)} feature values and ${report.alerts_compared} alerts compared`);
        if (report.passed) console.log('PASSED: every detector output at every cut hour equals the full run\'s.');
        else {
          console.log(`FAILED: ${report.mismatches.length} differences, e.g.`);
          for (const m of report.mismatches.slice(0, 10)) console.log(`  ${m.hour} ${m.symbol} ${m.column}: full ${JSON.stringify(m.full)} vs truncated ${JSON.stringify(m.truncated)}`);
        }
        console.log(`\nWarm-up (hours after a later start until the output equals the full run's; starts ${report.warmup_starts.join(', ')}):`);
        for (const [d, h] of Object.entries(report.warmup_hours)) console.log(`  ${d.padEnd(24)} ${h === null ? 'did not converge in the window' : `${h} h (${(h / 24).toFixed(1)} days)`}`);
      }
      if (!report.passed) process.exitCode = 1;
    });
}
