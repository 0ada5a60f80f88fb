import type { Command } from 'commander';
import type { LazyStore, Store } from '../data/store.ts';

export interface GlobalOptions {
  datasets?: string;
  db?: string;
  verbose?: boolean;
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** DuckDB (≈ 0.3 s of native module loading) only for the commands that open the datasets */
export async function storeFor(opts: GlobalOptions): Promise<Store> {
  const { openStore } = await import('../data/store.ts');
  return openStore({ datasetsDir: opts.datasets, dbPath: opts.db });
}

/** the store opened only if the command reads the data (store.ts lazyStore) */
export async function lazyStoreFor(opts: GlobalOptions): Promise<LazyStore> {
  const { lazyStore } = await import('../data/store.ts');
  return lazyStore({ datasetsDir: opts.datasets, dbPath: opts.db });
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
