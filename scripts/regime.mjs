#!/usr/bin/env node
// The `regime` command: the TypeScript sources run from a bundle rebuilt whenever they change (scripts/cli-bundle.mjs),
// or through tsx with REGIME_BUNDLE=0, so there is no build step between a clone and a run.
// Help is served from the prebuilt table (engine/cli/help.json) before any TypeScript is loaded (≈ a bare node start).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const GLOBAL_FLAGS = new Set(['--verbose']);
const GLOBAL_WITH_VALUE = new Set(['--datasets', '--db']);
const CLI_DIR = new URL('../engine/cli/', import.meta.url);

/** `[globals] [cmd…] --help`, `[globals] help [cmd…]` → the table key; anything else → null (commander decides) */
function helpKey(args) {
  const words = [];
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (GLOBAL_WITH_VALUE.has(a)) i++;
    else if (GLOBAL_FLAGS.has(a)) continue;
    else if (a === '--help' || a === '-h') {
      if (i !== args.length - 1) return null;
      help = true;
    } else if (a.startsWith('-')) return null;
    else words.push(a);
  }
  if (!help && words[0] === 'help') return words.slice(1).join(' ');
  return help ? words.join(' ') : null;
}

/** the table, unless main.ts or a command module changed since it was built (then commander is the truth) */
function helpTable() {
  try {
    const table = JSON.parse(fs.readFileSync(new URL('help.json', CLI_DIR), 'utf8'));
    const hash = createHash('sha256');
    const commands = fs.readdirSync(new URL('commands/', CLI_DIR)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).sort();
    for (const f of ['main.ts', ...commands.map((c) => `commands/${c}`)]) hash.update(f).update('\0').update(fs.readFileSync(new URL(f, CLI_DIR))).update('\0');
    return hash.digest('hex') === table['#sources'] ? table : null;
  } catch {
    return null;
  }
}

// REGIME_HELP_TABLE=0 always asks commander (the bench's reference, and a way to check the table by eye)
const key = process.env.REGIME_HELP_TABLE === '0' ? null : helpKey(process.argv.slice(2));
const text = key === null ? undefined : helpTable()?.[key];
if (text !== undefined) {
  process.stdout.write(text);
} else {
  // from the bundle of the sources (scripts/cli-bundle.mjs), rebuilt when a source changed; tsx when bundling is off
  const { ensureBundle } = await import('./cli-bundle.mjs');
  const bundle = await ensureBundle(() => {
    if (process.stderr.isTTY) process.stderr.write('regime: sources changed, bundling them (once)…\n');
  });
  // stack traces name the TypeScript lines (they are printed only with --verbose)
  if (process.argv.includes('--verbose')) process.setSourceMapsEnabled(true);
  let main;
  if (bundle) {
    // the worker threads' entries start from the same bundle (importEntry)
    process.env.REGIME_BUNDLE_DIR = bundle;
    ({ main } = await import(pathToFileURL(path.join(bundle, 'engine/cli/main.js')).href));
  } else {
    // from the sources, worker threads included: not from a bundle a parent process named (importEntry)
    delete process.env.REGIME_BUNDLE_DIR;
    const { register } = await import('tsx/esm/api');
    register();
    ({ main } = await import('../engine/cli/main.ts'));
  }
  await main(process.argv);
}
