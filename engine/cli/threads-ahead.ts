/**
 * The worker threads a command will use, started before its module loads (engine/worker-threads.ts says why): only
 * where the command surely starts them, and no more than the cores its own loading leaves idle.
 */
import os from 'node:os';
import { startAhead, SWEEP_WORKER, type ThreadsAhead } from '../worker-threads.ts';
import { asPositiveInt } from './args.ts';

/** the last `--name value` or `--name=value`, as commander reads a repeated option; undefined when absent */
function optionValue(args: readonly string[], name: string): string | undefined {
  for (let i = args.length - 1; i >= 0; i--) {
    if (args[i] === name) return args[i + 1];
    if (args[i].startsWith(`${name}=`)) return args[i].slice(name.length + 1);
  }
  return undefined;
}

/** the threads started, or null */
export function startThreadsAhead(command: string | null, args: readonly string[]): ThreadsAhead | null {
  if (command !== 'sweep' || args.includes('--help') || args.includes('-h')) return null;
  // --server: the sweep runs on the server's workers; this process only relays
  if (args.some((a) => a === '--server' || a.startsWith('--server='))) return null;
  // not the backtest's baseline workers: its command starts them first thing already, and starting them here too
  // measured no faster (16 alternating runs of the default backtest)
  const idle = os.availableParallelism() - 1;
  // --queue: the configurations run in `regime worker` processes; the sweep keeps one worker of its own
  if (optionValue(args, '--queue') !== undefined) return startAhead(SWEEP_WORKER, Math.min(1, idle));
  const given = optionValue(args, '--workers');
  const workers = given === undefined ? os.availableParallelism() : asPositiveInt(given);
  // a value the command will refuse starts nothing
  return workers === null ? null : startAhead(SWEEP_WORKER, Math.min(workers, idle));
}
