/**
 * What else the machine did while a bench section ran. The 1-minute load average cannot tell the bench's own earlier
 * sections (which keep both cores busy for minutes) from another program's work, so a section that follows a busy
 * one read "shared machine" on an idle machine. Here: the machine's busy CPU time (/proc/stat) over the section,
 * less this process's and the children's it waited for (/proc/self/stat: utime, stime, cutime, cstime), is the
 * other work; steal (time the hypervisor gave to other guests) apart. What other guests take from the host's shared
 * caches and memory shows in neither: a slower job on an idle VM (the sweep bench's one-thread job) is that gauge.
 * Linux only; null where /proc is missing.
 */
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { procStatFields } from '../data/process-identity.ts';

/** Linux's USER_HZ, the unit of /proc's CPU times (getconf CLK_TCK; 100 on every kernel configuration node runs on) */
export const TICK_MS = 10;

export interface CpuTicks {
  /** user + nice + system + irq + softirq, all CPUs (guest time is inside user) */
  busy: number;
  steal: number;
}

/** the aggregate `cpu` line of /proc/stat */
export function parseProcStat(text: string): CpuTicks {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) throw new Error('/proc/stat: no aggregate "cpu" line');
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return { busy: user + nice + system + irq + softirq, steal: steal ?? 0 };
}

/**
 * a process's CPU time in ms from /proc/<pid>/stat: utime + stime (every thread), and with `children` the cutime +
 * cstime of the children it has waited for; null without /proc or the process
 */
export function procCpuMs(pid: number, children: boolean): number | null {
  const f = procStatFields(pid);
  if (f === null) return null;
  // fields from the third (state) on: utime, stime, cutime, cstime are fields 14–17
  return (Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0)) * TICK_MS;
}

export interface MachineShare {
  wallMs: number;
  cores: number;
  busyMs: number;
  /** this process and the children it waited for */
  ownMs: number;
  otherMs: number;
  stealMs: number;
}

function sample(): { t: number; cpu: CpuTicks; ownMs: number } | null {
  const ownMs = procCpuMs(process.pid, true);
  if (ownMs === null) return null;
  try {
    return { t: performance.now(), cpu: parseProcStat(fs.readFileSync('/proc/stat', 'utf8')), ownMs };
  } catch {
    return null;
  }
}

/** starts watching; the function returned gives what happened since (null without /proc) */
export function watchMachine(): () => MachineShare | null {
  const start = sample();
  return () => {
    const end = sample();
    if (start === null || end === null) return null;
    const busyMs = (end.cpu.busy - start.cpu.busy) * TICK_MS;
    const ownMs = end.ownMs - start.ownMs;
    return {
      wallMs: end.t - start.t,
      cores: os.availableParallelism(),
      busyMs,
      ownMs,
      otherMs: Math.max(0, busyMs - ownMs),
      stealMs: (end.cpu.steal - start.cpu.steal) * TICK_MS,
    };
  };
}

/** above this share of the machine's CPU, other work is named as inflating the section's wall times */
const BUSY_SHARE = 0.1;

/** one line for a bench section: how much of the machine other work took while it ran */
export function machineShareLine(share: MachineShare | null): string {
  const label = 'other work on machine ';
  if (share === null) return `${label} unknown (no /proc)`;
  const capacity = share.wallMs * share.cores;
  const pct = (ms: number) => `${((100 * ms) / Math.max(1, capacity)).toFixed(1)} %`;
  const other = share.otherMs / Math.max(1, capacity);
  const steal = share.stealMs > 0 ? `, steal ${pct(share.stealMs)}` : '';
  const verdict = other > BUSY_SHARE ? ' — SHARED: other programs ran beside the bench, wall figures are inflated' : ' (nothing else busy in this VM)';
  return `${label} ${pct(share.otherMs)} of ${share.cores} cores over ${(share.wallMs / 1000).toFixed(1)} s${steal} (busy ${(share.busyMs / 1000).toFixed(1)} s, of it this bench ${(share.ownMs / 1000).toFixed(1)} s)${verdict}`;
}
