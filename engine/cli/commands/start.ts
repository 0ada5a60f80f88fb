import type { Command } from 'commander';
import type { RunRecord } from '../../results/run-store.ts';
import { addBacktestOptions, backtestAction, type BacktestCliOptions } from './backtest.ts';

export const order = 10;

/** What to try after the main job: the commands that look at the run just saved. */
export function nextSteps(run: RunRecord | null): string {
  const lines = ['Next:'];
  if (run) {
    lines.push(
      `  npx regime serve                        the dashboard over this run at http://127.0.0.1:3000/`,
      `  npx regime report backtest-overview     an offline HTML report of it (results/reports/)`,
      `  npx regime runs                         every saved run; \`regime runs label ${run.manifest.id.slice(0, 15)} "my label"\` names one`,
    );
  } else {
    lines.push('  npx regime start                        again without --no-save, to keep the run for serve and report');
  }
  lines.push('  npx regime data check                   data quality', '  npx regime check-lookahead              the proof of no lookahead');
  return lines.join('\n');
}

/** The main job on the bundled data (`npm start`): the backtest with the default configuration. */
export function register(program: Command): void {
  addBacktestOptions(program.command('start').description('the main job: backtest the bundled data with the default configuration (same options as backtest)'))
    .action((opts: BacktestCliOptions, cmd: Command) => backtestAction(opts, cmd, nextSteps));
}
