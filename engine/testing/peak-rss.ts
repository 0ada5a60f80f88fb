/**
 * This process's own peak RSS for the benches' child processes. Not process.resourceUsage().maxRSS: on Linux a child
 * started by fork and exec keeps, as its maxRSS, the RSS its forked copy of the parent had before the exec (a bench
 * child started by a 300 MB bench process reported ≥ 300 MB whatever it used). /proc/self/status's VmHWM is the
 * high-water mark of this program's own memory.
 */
import fs from 'node:fs';

export function ownPeakRssMb(): number {
  // no /proc: the rusage figure, right when the parent is smaller than the child
  return peakRssMbOf('self') ?? process.resourceUsage().maxRSS / 1024;
}

/** a process's VmHWM in MiB (another process's too, e.g. a server a bench started), null without /proc */
export function peakRssMbOf(pid: number | 'self'): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}
