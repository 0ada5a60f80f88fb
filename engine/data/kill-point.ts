/**
 * Crash-test hook. With REGIME_KILL_AT=<name> the process stops dead at that point of a commit: it announces
 * `REGIME_KILL_POINT <name>` on stderr and blocks its thread, so the harness outside can SIGKILL it exactly
 * there — a power cut at a chosen instruction, not a race. Unset (always, outside tests) it costs one env read.
 */
import fs from 'node:fs';

export const KILL_ANNOUNCE = 'REGIME_KILL_POINT';

export function killPoint(name: string): void {
  if (process.env.REGIME_KILL_AT !== name) return;
  fs.writeSync(2, `${KILL_ANNOUNCE} ${name}\n`);
  // Blocks the only thread so nothing after the point runs; if nobody kills us, end as the harness would have.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.env.REGIME_KILL_WAIT_MS ?? 60_000));
  process.kill(process.pid, 'SIGKILL');
}
