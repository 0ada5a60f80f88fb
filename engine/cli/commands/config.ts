import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../errors.ts';
import { writeFileAtomic } from '../../data/atomic-file.ts';
import { configJsonSchemaText, effectiveConfig, PRESETS, scaffoldConfig } from '../../pipeline/config-scaffold.ts';

export const order = 15;

export function register(program: Command): void {
  const config = program.command('config').description('config files: write one from a preset, print the JSON Schema, show the effective config');
  config
    .command('init')
    .description('write a complete config (every key, with a $schema reference for editor completion and validation)')
    .option('--preset <name>', `${PRESETS.join(' | ')}: the defaults, the original system's absolute cascade thresholds, or more alerts`, 'default')
    .option('--out <file>', 'write here instead of printing')
    .option('--live', 'add the live loop\'s `live` and `webhooks` sections (defaults; nothing from the environment)')
    .option('--force', 'overwrite an existing --out file')
    .action((opts: { preset: string; out?: string; live?: boolean; force?: boolean }) => {
      const dir = opts.out ? path.dirname(path.resolve(opts.out)) : process.cwd();
      const text = JSON.stringify(scaffoldConfig(opts.preset, dir, opts.live), null, 2) + '\n';
      if (!opts.out) return void process.stdout.write(text);
      if (fs.existsSync(opts.out) && !opts.force) throw new UserError(`--out: ${opts.out} exists (pass --force to overwrite)`);
      writeFileAtomic(opts.out, text);
      console.log(`wrote ${opts.out} (preset ${opts.preset})`);
    });
  config
    .command('schema')
    .description('print the JSON Schema of config files, generated from the validators')
    .option('--out <file>', 'write here instead of printing')
    .action((opts: { out?: string }) => {
      const text = configJsonSchemaText();
      if (!opts.out) return void process.stdout.write(text);
      writeFileAtomic(opts.out, text);
      console.log(`wrote ${opts.out}`);
    });
  config
    .command('show')
    .description('print the effective config after defaults (live sections with URLs and secrets redacted)')
    .option('--config <file>', 'config file (default: the defaults)')
    .option('--live', 'include the live loop\'s sections even if the file has none (reads WEBHOOKS_* from the environment)')
    .action((opts: { config?: string; live?: boolean }) => {
      process.stdout.write(JSON.stringify(effectiveConfig(opts.config, opts.live), null, 2) + '\n');
    });
}
