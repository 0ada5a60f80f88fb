import type { Command } from 'commander';
import path from 'node:path';
import { positiveInt } from '../args.ts';
import { globals } from '../context.ts';

interface SweepServerCliOptions {
  socket?: string;
  workers?: string;
}

export const order = 57;

export function register(program: Command): void {
  program
    .command('sweep-server')
    .description('keep sweep workers running between sweeps: `regime sweep --server` then starts at once, its code already compiled')
    .option('--socket <path>', 'Unix socket to listen on (default sweep-server.sock in results/ or REGIME_RESULTS_DIR; each sweep names its own results folder)')
    .option('--workers <n>', 'worker threads kept (default: the CPU count)')
    .addHelpText(
      'after',
      `
Sweeps sent with \`regime sweep --spec s.json --server [socket]\` run here one at a time, exactly as \`regime sweep\`
runs them (same results folder, resume, feature cache, report, exit code); the client prints the progress and the
report. A 1,000-configuration sweep spends about a third of its CPU starting up and warming the JIT in a process of
its own: here only the first sweep pays that. The socket is its user's alone (mode 600). The server refuses a sweep
from a command whose code, --datasets or --db differ from its own (restart it after the sources change). A client
that stops (Ctrl-C) does not stop its sweep: its results are kept and the same command resumes or reads them.
SIGINT/SIGTERM: the server stops at once, removing its socket; a sweep it was running resumes when run again.`,
    )
    .action(async (opts: SweepServerCliOptions, cmd: Command) => {
      const [{ startSweepServer, closeOnSignals }, { defaultSocket }, { createLogger }] = await Promise.all([
        import('../../sweep/sweep-server.ts'),
        import('../../sweep/server-protocol.ts'),
        import('../../log.ts'),
      ]);
      const workers = opts.workers === undefined ? undefined : positiveInt(opts.workers, '--workers');
      const g = globals(cmd);
      const server = await startSweepServer({
        socket: path.resolve(opts.socket ?? defaultSocket()),
        workers,
        datasets: g.datasets,
        db: g.db,
        // a line per sweep served (or failed) by default: a long-running process is watched through its log
        log: createLogger(g.verbose ? 'debug' : (process.env.LOG_LEVEL ?? 'info')),
      });
      console.error(`regime sweep-server: ${server.workers} workers, listening on ${server.socket}; Ctrl-C stops`);
      closeOnSignals(server, () => process.exit(0));
    });
}
