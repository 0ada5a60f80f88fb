/**
 * Who owns a lock or a reader pin: a pid alone is not enough, because pids are reused. On Linux the process
 * start time (field 22 of /proc/<pid>/stat) tells a reused pid from the original owner.
 */
import fs from 'node:fs';
import os from 'node:os';

export interface ProcessIdentity {
  pid: number;
  host: string;
  /** /proc start time in clock ticks; '' where /proc is not available */
  started: string;
}

/** /proc/<pid>/stat's fields from the third on (state, ppid, …), or null where there is no such process or no /proc */
export function procStatFields(pid: number): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: count fields after the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

function startTicks(pid: number): string | null {
  return procStatFields(pid)?.[19] ?? null;
}

let self: ProcessIdentity | null = null;

export function selfIdentity(): ProcessIdentity {
  self ??= { pid: process.pid, host: os.hostname(), started: startTicks(process.pid) ?? '' };
  return self;
}

/** false only when the owner is certainly gone; an owner on another host is assumed alive. */
export function isAlive(owner: ProcessIdentity): boolean {
  if (owner.host !== os.hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (owner.started === '') return true;
  const now = startTicks(owner.pid);
  return now === null ? true : now === owner.started;
}
