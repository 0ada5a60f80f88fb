/**
 * The `regime` command line: a thin shell over engine functions. Errors a user can act on print one line (no
 * stack trace unless --verbose) and exit non-zero.
 */
import { Command, CommanderError } from 'commander';
import { UserError } from '../errors.ts';
import { registerDataCommands } from './commands/data.ts';
import { registerImportCommand } from './commands/import.ts';
import { registerStartCommand } from './commands/start.ts';
import { registerFetchCommand } from './commands/fetch.ts';
import { registerBacktestCommand } from './commands/backtest.ts';
import { registerLookaheadCommand } from './commands/lookahead.ts';

export function buildProgram(): Command {
  const program = new Command('regime')
    .description('Regime Workbench: replay real crypto market history through regime detectors, score the alerts')
    .option('--datasets <dir>', 'dataset folder (default: the bundled datasets/)')
    .option('--db <file>', 'DuckDB database file (default: in memory)')
    .option('--verbose', 'debug logs and stack traces')
    .showHelpAfterError()
    .exitOverride();
  registerStartCommand(program);
  registerDataCommands(program);
  registerImportCommand(program);
  registerFetchCommand(program);
  registerBacktestCommand(program);
  registerLookaheadCommand(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  const verbose = argv.includes('--verbose');
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (verbose) console.error(err);
    else if (err instanceof UserError) console.error(`error: ${err.message}`);
    else console.error(`error: ${(err as Error).message ?? String(err)}\n(run again with --verbose for details)`);
    process.exitCode = err instanceof UserError ? err.exitCode : 1;
  }
}

await main(process.argv);
