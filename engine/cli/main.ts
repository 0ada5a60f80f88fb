/**
 * The `regime` command line: a thin shell over engine functions. Every module in ./commands exports
 * `register(program)` (and an `order` for the help listing), so a new command is a new file named after it. Errors a user can
 * act on print one line (no stack trace unless --verbose) and exit non-zero.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, CommanderError, type OutputConfiguration } from 'commander';
import { errorLine, exitCodeOf } from '../errors.ts';
import { currentHelpTable } from './help-sources.ts';
import { startThreadsAhead } from './threads-ahead.ts';

interface CommandModule {
  register(program: Command): void;
  order?: number;
}

/** command name → module file, where they differ */
const MODULE_OF: Record<string, string> = { 'check-lookahead': 'lookahead' };
/** global options that take a value, to find the command word in argv */
const GLOBAL_WITH_VALUE = new Set(['--datasets', '--db']);

function commandWord(args: readonly string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    if (GLOBAL_WITH_VALUE.has(args[i])) i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return null;
}

/**
 * Registers the commands. With `args`, only the module of the command being run is loaded: every module pulls
 * its engine in (ccxt alone costs about a second), and `regime backtest` should not pay for `regime live`.
 * `help` loads them all; no command or an unknown one is answered from the help table while it is current.
 */
export async function buildProgram(args: readonly string[] = [], output?: OutputConfiguration): Promise<Command> {
  const program = new Command('regime')
    .description('Regime Workbench: replay real crypto market history through regime detectors, score the alerts')
    .option('--datasets <dir>', 'dataset folder (default: the bundled datasets/)')
    .option('--db <file>', 'DuckDB database file (default: in memory)')
    .option('--verbose', 'debug logs and stack traces')
    .showHelpAfterError()
    .exitOverride();
  // before any command is added: subcommands copy the output settings when they are created
  if (output) program.configureOutput(output);
  const self = fileURLToPath(import.meta.url);
  // the command modules beside this one: .ts sources, or .js when the CLI runs from its bundle (scripts/cli-bundle.mjs)
  const ext = path.extname(self);
  const dir = path.join(path.dirname(self), 'commands');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(ext) && !f.endsWith(`.test${ext}`));
  const word = commandWord(args);
  const only = word === null ? null : `${MODULE_OF[word] ?? word}${ext}`;
  if (output === undefined && word !== 'help' && (only === null || !files.includes(only))) {
    const table = currentHelpTable();
    if (table) return withTableHelp(program, table);
  }
  const chosen = only !== null && files.includes(only) && word !== 'help' ? [only] : files;
  const modules = await Promise.all(chosen.map(async (f) => (await import(pathToFileURL(path.join(dir, f)).href)) as CommandModule));
  modules
    .filter((m) => typeof m.register === 'function')
    .sort((a, b) => (a.order ?? 100) - (b.order ?? 100))
    .forEach((m) => m.register(program));
  return program;
}

/**
 * No command, or one that does not exist: commander only needs the command names (for its "Did you mean"
 * suggestion) and the top-level help, both of which the prebuilt table has, so no command module is loaded
 * (loading them all costs seconds of CPU for a one-line error).
 */
function withTableHelp(program: Command, table: Record<string, string>): Command {
  for (const name of Object.keys(table)) {
    if (name === '' || name.startsWith('#') || name.includes(' ')) continue;
    program.command(name).action(() => {
      throw new Error(`internal: '${name}' was registered from the help table only`);
    });
  }
  program.helpInformation = () => table[''];
  return program;
}

/** runs the CLI (scripts/regime.mjs calls it; importing this module runs nothing) */
export async function main(argv: string[]): Promise<void> {
  const verbose = argv.includes('--verbose');
  try {
    const args = argv.slice(2);
    // before the command's module loads: the threads it will use start on the cores that loading leaves idle
    startThreadsAhead(commandWord(args), args);
    const program = await buildProgram(args);
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    console.error(verbose ? err : errorLine(err));
    process.exitCode = exitCodeOf(err);
  }
}

