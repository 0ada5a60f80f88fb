import type { Command } from 'commander';
import { addBacktestOptions, backtestAction, type BacktestCliOptions } from './backtest.ts';

export const order = 10;

/** The main job on the bundled data (`npm start`): the backtest with the default configuration. */
export function register(program: Command): void {
  addBacktestOptions(program.command('start').description('the main job: backtest the bundled data with the default configuration (same options as backtest)'))
    .action((opts: BacktestCliOptions, cmd: Command) =>
      backtestAction(opts, cmd, 'More: `npx regime data check` (data quality), `npx regime backtest --help`, `npx regime check-lookahead`.'),
    );
}
