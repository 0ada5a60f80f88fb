/**
 * The worker threads a command will use, started before its module loads (engine/worker-threads.ts says why): only
 * where the command surely starts them, and no more than the cores its own loading leaves idle.
 */
import os from 'node:os';
import { startAhead, SWEEP_WORKER } from '../worker-threads.ts';

/** `--name value` or `--name=value`; undefined when absent */
function optionValue(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name) return args[i + 1];
    if (args[i].startsWith(`${name}=`)) return args[i].slice(name.length + 1);
  }
  return undefined;
}

export function startThreadsAhead(command: string | null, args: readonly string[]): void {
  if (args.includes('--help') || args.includes('-h')) return;
  const idle = os.availableParallelism() - 1;
  if (command === 'sweep') {
    // --queue: the configurations run in `regime worker` processes
    if (args.includes('--queue')) return;
    const given = optionValue(args, '--workers');
    const workers = given === undefined ? os.availableParallelism() : Number(given);
    // a value the command will refuse starts nothing
    if (!Number.isInteger(workers) || workers < 1) return;
    startAhead(SWEEP_WORKER, Math.min(workers, idle));
  }
  // not the backtest's baseline workers: it starts them first thing already, and starting them here too measured
  // no faster (16 alternating runs of the default backtest)
}
