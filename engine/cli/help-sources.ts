/**
 * The prebuilt help table (engine/cli/help.json) and the hash that says whether it is still current. Kept apart
 * from help-table.ts, which builds the table by loading every command: main.ts reads the table to answer an
 * unknown command without loading any.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** command path ('' for the top level) → its --help text; null when the table is missing, unreadable or stale */
export function currentHelpTable(): Record<string, string> | null {
  try {
    const table = JSON.parse(fs.readFileSync(HELP_TABLE_FILE, 'utf8')) as Record<string, string>;
    return table['#sources'] === helpSourcesHash() ? table : null;
  } catch {
    return null;
  }
}
