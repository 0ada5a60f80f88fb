/**
 * CPU time of the calling thread (user + system), from /proc/thread-self/stat: Node 20 has no per-thread
 * cpuUsage, and a sweep's whole-process figure does not say which thread spent it. null where /proc is absent.
 */
import fs from 'node:fs';

/** clock ticks per second of /proc's utime and stime (USER_HZ: 100 on Linux) */
const TICKS_PER_SECOND = 100;

export function threadCpuMs(): number | null {
  try {
    const stat = fs.readFileSync('/proc/thread-self/stat', 'utf8');
    // fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}
