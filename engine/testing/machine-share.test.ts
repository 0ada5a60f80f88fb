import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { machineShareLine, parseProcStat, procCpuMs, watchMachine } from './machine-share.ts';

describe('machine share', () => {
  it('reads the aggregate cpu line of /proc/stat, skipping idle and iowait, steal apart', () => {
    const text = 'cpu  100 5 30 9000 40 2 3 7 0 0\ncpu0 50 2 15 4500 20 1 1 3 0 0\nintr 1 2 3\n';
    expect(parseProcStat(text)).toEqual({ busy: 100 + 5 + 30 + 2 + 3, steal: 7 });
    expect(() => parseProcStat('cpu0 1 2 3\n')).toThrow(/aggregate "cpu" line/);
  });

  it.runIf(fs.existsSync('/proc/self/stat'))('counts a child this process waited for as its own work', () => {
    const watch = watchMachine();
    const before = procCpuMs(process.pid, true)!;
    // a child that burns ≈ 300 ms of CPU; this process waits for it, so its time lands in cutime
    const r = spawnSync(process.execPath, ['-e', 'const t = Date.now(); while (Date.now() - t < 300);']);
    expect(r.status).toBe(0);
    const after = procCpuMs(process.pid, true)!;
    const share = watch()!;
    expect(after - before).toBeGreaterThanOrEqual(250);
    expect(share.ownMs).toBeGreaterThanOrEqual(250);
    // the machine was at least as busy as this process and its child
    expect(share.busyMs + 2 * 10 * share.cores).toBeGreaterThanOrEqual(share.ownMs);
    expect(share.otherMs).toBe(Math.max(0, share.busyMs - share.ownMs));
  });

  it('names other work as inflating walls only above a tenth of the machine', () => {
    const base = { wallMs: 10_000, cores: 2, busyMs: 12_000, ownMs: 11_000, stealMs: 0 };
    expect(machineShareLine({ ...base, otherMs: 1_000 })).toMatch(/^other work on machine +5\.0 % of 2 cores over 10\.0 s \(busy 12\.0 s, of it this bench 11\.0 s\) \(nothing else busy in this VM\)$/);
    expect(machineShareLine({ ...base, busyMs: 15_000, otherMs: 4_000, stealMs: 500 })).toMatch(/20\.0 % of 2 cores over 10\.0 s, steal 2\.5 % .*SHARED/);
    expect(machineShareLine(null)).toMatch(/unknown/);
  });
});
