import type { Command } from 'commander';
import { addBacktestOptions, backtestFromCli, printBacktest, type BacktestCliOptions } from './backtest.ts';
import { emitJson } from '../context.ts';

/** The main job on the bundled data (`npm start`): the backtest with the default configuration. */
export const order = 10;

export function register(program: Command): void {
  addBacktestOptions(program.command('start').description('the main job: backtest the bundled data with the default configuration (same options as backtest)'))
    .action(async (opts: BacktestCliOptions, cmd: Command) => {
      const result = await backtestFromCli(opts, cmd);
      if (opts.json) await emitJson(opts.json, { run_id: result.run?.manifest.id ?? null, ...result.report, alerts: result.alerts });
      if (opts.json !== true) {
        printBacktest(result);
        if (result.run) console.log(`\nSaved run ${result.run.manifest.id}`);
        console.log('\nMore: `npx regime data check` (data quality), `npx regime backtest --help`, `npx regime check-lookahead`.');
      }
    });
}
