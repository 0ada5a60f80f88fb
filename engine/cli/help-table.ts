/**
 * The help text of every command, prebuilt into engine/cli/help.json so `regime --help` and
 * `regime <cmd> --help` print without starting tsx or loading any command (scripts/regime.mjs serves them).
 * Each entry is exactly what commander prints for that command's --help at the non-terminal width of 80
 * columns; help-table.test.ts fails when the file is stale. Regenerate: `npx tsx engine/cli/help-table.ts`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommanderError, type Command } from 'commander';
import { buildProgram } from './main.ts';
import { HELP_TABLE_FILE, helpSourcesHash } from './help-sources.ts';

export { HELP_TABLE_FILE, helpSourcesHash };

function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return [prefix, ...cmd.commands.flatMap((sub) => commandPaths(sub, [...prefix, sub.name()]))];
}

/** command path ('' for the top level, 'data check' for a subcommand) → its --help output */
export async function buildHelpTable(): Promise<Record<string, string>> {
  const table: Record<string, string> = { '#sources': helpSourcesHash() };
  for (const words of commandPaths(await buildProgram(['help']))) {
    let out = '';
    const program = await buildProgram(['help'], { writeOut: (s) => (out += s), writeErr: (s) => (out += s), getOutHelpWidth: () => 80, getErrHelpWidth: () => 80, getOutHasColors: () => false, getErrHasColors: () => false });
    try {
      await program.parseAsync(['node', 'regime', ...words, '--help']);
    } catch (err) {
      if (!(err instanceof CommanderError) || err.exitCode !== 0) throw err;
    }
    table[words.join(' ')] = out;
  }
  return table;
}

export function helpTableJson(table: Record<string, string>): string {
  return `${JSON.stringify(table, null, 1)}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const tmp = `${HELP_TABLE_FILE}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, helpTableJson(await buildHelpTable()));
  fs.renameSync(tmp, HELP_TABLE_FILE);
  console.log(`wrote ${path.relative(process.cwd(), HELP_TABLE_FILE)}`);
}
