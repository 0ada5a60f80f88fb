/**
 * The help text of every command, prebuilt into engine/cli/help.json so `regime --help` and
 * `regime <cmd> --help` print without starting tsx or loading any command (scripts/regime.mjs serves them).
 * Each entry is exactly what commander prints for that command's --help at the non-terminal width of 80
 * columns; help-table.test.ts fails when the file is stale. Regenerate: `npx tsx engine/cli/help-table.ts`.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommanderError, type Command } from 'commander';
import { buildProgram } from './main.ts';

const CLI_DIR = path.dirname(fileURLToPath(import.meta.url));
export const HELP_TABLE_FILE = path.join(CLI_DIR, 'help.json');

/**
 * sha256 of main.ts and the command modules (sorted by name), as scripts/regime.mjs computes it: a table built
 * from other sources is not served. (Option text imported from elsewhere is caught by the test instead.)
 */
export function helpSourcesHash(): string {
  const hash = createHash('sha256');
  const commands = fs.readdirSync(path.join(CLI_DIR, 'commands')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort();
  for (const f of ['main.ts', ...commands.map((c) => `commands/${c}`)]) hash.update(f).update('\0').update(fs.readFileSync(path.join(CLI_DIR, f))).update('\0');
  return hash.digest('hex');
}

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
