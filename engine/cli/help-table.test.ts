// The prebuilt help table: what commander prints, served by scripts/regime.mjs without tsx, never when stale.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildHelpTable, helpSourcesHash, helpTableJson, HELP_TABLE_FILE } from './help-table.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** scripts/regime.mjs, help.json and the hashed sources in a folder with no node_modules: tsx cannot load there */
function isolatedCli(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-help-'));
  fs.mkdirSync(path.join(dir, 'scripts'));
  fs.mkdirSync(path.join(dir, 'engine/cli/commands'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'scripts/regime.mjs'), path.join(dir, 'scripts/regime.mjs'));
  for (const f of ['help.json', 'main.ts']) fs.copyFileSync(path.join(ROOT, 'engine/cli', f), path.join(dir, 'engine/cli', f));
  for (const f of fs.readdirSync(path.join(ROOT, 'engine/cli/commands'))) fs.copyFileSync(path.join(ROOT, 'engine/cli/commands', f), path.join(dir, 'engine/cli/commands', f));
  return dir;
}

const run = (dir: string, ...args: string[]) => spawnSync(process.execPath, [path.join(dir, 'scripts/regime.mjs'), ...args], { encoding: 'utf8', cwd: dir });

describe('prebuilt help table', () => {
  it('is up to date: every command path, exactly as commander prints its --help (regenerate: npx tsx engine/cli/help-table.ts)', async () => {
    const table = await buildHelpTable();
    expect(fs.readFileSync(HELP_TABLE_FILE, 'utf8')).toBe(helpTableJson(table));
    expect(table['#sources']).toBe(helpSourcesHash());
    expect(Object.keys(table)).toEqual(expect.arrayContaining(['', 'backtest', 'start', 'data check', 'runs label']));
    expect(table.backtest).toMatch(/^Usage: regime backtest \[options\]/);
    expect(table.backtest).toContain('--permutations <n>');
  });

  it('is served without tsx for --help, -h, help <cmd> and global options before the command', () => {
    const dir = isolatedCli();
    try {
      const table = JSON.parse(fs.readFileSync(HELP_TABLE_FILE, 'utf8')) as Record<string, string>;
      for (const [args, key] of [
        [['--help'], ''],
        [['help'], ''],
        [['backtest', '--help'], 'backtest'],
        [['--verbose', '--db', 'x.duckdb', 'start', '-h'], 'start'],
        [['help', 'sweep'], 'sweep'],
        [['data', 'check', '--help'], 'data check'],
      ] as const) {
        const r = run(dir, ...args);
        expect(r.status, args.join(' ')).toBe(0);
        expect(r.stdout).toBe(table[key]);
      }
      // not help (or help not last): commander must decide, and without node_modules here it cannot even start
      expect(run(dir, 'backtest', '--help', '--no-save').status).not.toBe(0);
      expect(run(dir, 'nosuchcommand', '--help').status).not.toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is not served once a command module changed after it was built', () => {
    const dir = isolatedCli();
    try {
      expect(run(dir, 'backtest', '--help').status).toBe(0);
      fs.appendFileSync(path.join(dir, 'engine/cli/commands/backtest.ts'), '\n// edited\n');
      const r = run(dir, 'backtest', '--help');
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe('');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
