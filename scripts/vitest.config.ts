import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
import SlowestFirstSequencer from './test/slowest-first.ts';

// Lives in scripts/ to keep the top level to the agreed layout; `npm test` points at it.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['engine/**/*.test.ts', 'web/**/*.test.ts', 'scripts/**/*.test.ts', 'notebooks/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The machine has 2 cores; DuckDB and child processes already use both.
    maxWorkers: 2,
    // each worker process runs its files one after another without re-importing the modules they share (DuckDB,
    // ccxt, fastify, the engine): 31 short files took 79 s of CPU isolated, 51 s shared. Tests restore what they
    // change in the process (environment variables, net guard, spies, fake timers) in their own after-hooks;
    // `--isolate` on the command line runs each file in a fresh process again, to rule a leak in or out.
    isolate: false,
    // longest files first (scripts/test/slowest-first.ts), so the run does not end on one worker alone
    sequence: { sequencer: SlowestFirstSequencer },
    // slow fixtures (a saved backtest) built once per run and shared across test files
    globalSetup: ['scripts/test/global-setup.ts'],
    // BullMQ can reject an internal command with ioredis' "Connection is closed." after a test has deliberately
    // killed its Redis and the queue was closed (taskforcesh/bullmq#1228, #1231): only that error, from those two
    // libraries, is not counted; every other unhandled error still fails the run
    onUnhandledError(error) {
      const stack = String(error.stack ?? '');
      return !(error.message === 'Connection is closed.' && /node_modules\/(ioredis|bullmq)\//.test(stack));
    },
  },
});
