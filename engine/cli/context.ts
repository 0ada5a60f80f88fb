import type { Command } from 'commander';
import { openStore, type Store } from '../data/store.ts';
import { createLogger, type Logger } from '../log.ts';

export interface GlobalOptions {
  datasets?: string;
  db?: string;
  verbose?: boolean;
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

export function loggerFor(opts: GlobalOptions): Logger {
  return createLogger(opts.verbose ? 'debug' : process.env.LOG_LEVEL ?? 'warn');
}

export function storeFor(opts: GlobalOptions): Promise<Store> {
  return openStore({ datasetsDir: opts.datasets, dbPath: opts.db });
}

/** `--json` with no file prints to stdout; with a file writes it (atomically). */
export async function emitJson(target: string | boolean | undefined, value: unknown): Promise<void> {
  const text = JSON.stringify(value, null, 1) + '\n';
  if (typeof target === 'string') {
    const { writeFileAtomic } = await import('../data/atomic-file.ts');
    writeFileAtomic(target, text);
  } else {
    process.stdout.write(text);
  }
}
