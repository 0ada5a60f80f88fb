import type { Command } from 'commander';
import { positiveInt } from '../args.ts';
import { globals, storeFor } from '../context.ts';
import { loggerFor } from '../logger.ts';

interface WorkerCliOptions {
  queue: string;
  lockMs?: string;
  stallCheckMs?: string;
}

export const order = 56;

export function register(program: Command): void {
  program
    .command('worker')
    .description('compute sweep configurations from a Redis queue (the other half of `regime sweep --queue`); any number, on any machines')
    .requiredOption('--queue <redis-url>', 'redis://[:password@]host:port/db, or rediss:// for TLS')
    .option('--lock-ms <ms>', 'a job whose worker stops renewing its lock for this long goes to another worker (default 30000)')
    .option('--stall-check-ms <ms>', 'how often to look for jobs whose lock lapsed (default half of --lock-ms, at least 500)')
    .addHelpText(
      'after',
      `
The worker needs the same dataset (checked by the manifest hash) and the same code (checked by a hash of the
sources) as the coordinator; a job from a coordinator that differs is put back in the queue and the worker stops
with an error saying which differs. One worker computes one job at a time: start one per CPU core.
SIGINT/SIGTERM: the current job finishes, then the worker exits.`,
    )
    .action(async (opts: WorkerCliOptions, cmd: Command) => {
      const { runQueueWorker, workerName } = await import('../../sweep/queue-worker.ts');
      const { parseRedisUrl } = await import('../../queue/redis-url.ts');
      const lockMs = opts.lockMs === undefined ? undefined : positiveInt(opts.lockMs, '--lock-ms');
      const stallCheckMs = opts.stallCheckMs === undefined ? undefined : positiveInt(opts.stallCheckMs, '--stall-check-ms');
      const shown = parseRedisUrl(opts.queue).shown;
      const g = globals(cmd);
      const store = await storeFor(g);
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const onReady = () => process.stderr.write(`worker ${workerName()}: taking sweep jobs from ${shown}\n`);
        const done = await runQueueWorker(store, { queue: opts.queue, lockMs, stallCheckMs, logger: loggerFor(g), signal: stop.signal, onReady });
        process.stderr.write(`worker ${workerName()}: stopped after ${done.jobs} jobs, ${done.computed} configurations\n`);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        store.close();
      }
    });
}
