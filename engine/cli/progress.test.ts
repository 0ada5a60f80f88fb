// Progress bars: drawn in place on a terminal with counts that advance, erased completely when done, and absent
// on a pipe. The pseudo-TTY cases run the real CLI under util-linux `script`.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration, progressLine } from './progress.ts';

const run = promisify(execFile);
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = ['/usr/bin/script', '/bin/script'].find((f) => fs.existsSync(f));
const { CI: _ci, ...envWithoutCi } = process.env;

function fakeStream(isTTY: boolean) {
  const out: string[] = [];
  return { out, stream: { isTTY, columns: 120, write: (s: string) => out.push(s) } };
}

describe('createProgress', () => {
  it('draws intermediate counts, an ETA once it has a rate, and erases the line on stop', () => {
    const { out, stream } = fakeStream(true);
    let t = 0;
    const p = createProgress({ stream, env: {}, now: () => t });
    p.start(1000, 'replay');
    for (let i = 100; i <= 1000; i += 100) {
      t += 1000;
      p.start(1000, 'replay'); // callers repeat start with every update: the clock must not restart
      p.update(i);
    }
    p.stop();
    expect(out[0]).toContain('replay [------------------------] 0% 0/1,000');
    expect(out.some((l) => l.includes('50% 500/1,000 · ETA 5s'))).toBe(true);
    expect(out.at(-2)).toContain('100% 1,000/1,000');
    expect(out.at(-1)).toBe('\r\x1b[2K');
  });

  it('skips redraws that would show the same percentage within 250 ms', () => {
    const { out, stream } = fakeStream(true);
    const p = createProgress({ stream, env: {}, now: () => 0 });
    p.start(100_000, 'x');
    for (let i = 1; i <= 500; i++) p.update(i);
    expect(out).toHaveLength(1);
  });

  it('writes nothing on a pipe or in CI', () => {
    for (const [isTTY, env] of [[false, {}], [true, { CI: 'true' }]] as const) {
      const { out, stream } = fakeStream(isTTY);
      const p = createProgress({ stream, env });
      p.start(10, 'x');
      p.update(5);
      p.phase('saving');
      p.stop();
      expect(out).toEqual([]);
    }
  });

  it('formats durations and lines', () => {
    expect(formatDuration(65_000)).toBe('1m05s');
    expect(formatDuration(7_260_000)).toBe('2h01m');
    expect(progressLine('scoring', 3, 4, 200)).toBe('scoring [##################------] 75% 3/4');
  });
});

const cli = ['scripts/regime.mjs', 'backtest', '--symbols', 'BTCUSDT', '--from', '2024-01-01', '--to', '2024-03-01', '--no-save', '--permutations', '50'];

describe.skipIf(!SCRIPT)('the backtest on a pseudo-terminal and on a pipe', () => {
  it('a terminal sees the replay advance through intermediate counts, then clean output', async () => {
    const cmd = ['node', ...cli].join(' ');
    const { stdout } = await run(SCRIPT!, ['-qfc', cmd, '/dev/null'], { cwd: REPO, env: envWithoutCi, maxBuffer: 1 << 24 });
    const pcts = [...stdout.matchAll(/replay \(hours\) \[[#-]{24}\] (\d+)% ([\d,]+)\/([\d,]+)/g)].map((m) => Number(m[1]));
    expect(pcts.filter((p) => p > 0 && p < 100).length).toBeGreaterThanOrEqual(2);
    expect(pcts).toEqual([...pcts].sort((a, b) => a - b));
    expect(stdout).toContain('scoring (random baseline)');
    // the line is erased before the report starts: nothing of the bar shares a line with it
    expect(stdout).toMatch(/\r\x1b\[2KBacktest BTCUSDT/);
  }, 120_000);

  it('a pipe gets no bar and no escape codes', async () => {
    const { stdout, stderr } = await run('node', cli, { cwd: REPO, env: envWithoutCi, maxBuffer: 1 << 24 });
    expect(stdout).toContain('Backtest BTCUSDT');
    expect(stderr + stdout).not.toMatch(/\x1b\[|replay \(hours\)|scoring \(random/);
  }, 120_000);
});

describe.skipIf(!SCRIPT)('import on a pseudo-terminal', () => {
  it('counts the files parsed, then names the commit phase, and leaves clean output', async () => {
    const dir = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'regime-import-progress-'));
    try {
      // synthetic candles, three files in the shared market-data layout
      const files = ['AAAUSDT', 'BBBUSDT', 'CCCUSDT'].map((symbol, k) => {
        const f = path.join(dir, `candles_1h_${symbol}.csv`);
        const rows = Array.from({ length: 48 }, (_, i) => `${Date.UTC(2024, 0, 1) + i * 3_600_000},${100 + k},${101 + k},${99 + k},${100.5 + k},10`);
        fs.writeFileSync(f, ['ts_ms,open,high,low,close,volume', ...rows].join('\n') + '\n');
        return f;
      });
      const cmd = ['node', 'scripts/regime.mjs', '--datasets', path.join(dir, 'ds'), 'import', ...files].join(' ');
      const { stdout } = await run(SCRIPT!, ['-qfc', cmd, '/dev/null'], { cwd: REPO, env: envWithoutCi, maxBuffer: 1 << 24 });
      expect(stdout).toMatch(/parsing files \[[#-]{24}\] \d+% [0-2]\/3/);
      expect(stdout).toContain('writing partitions and the manifest');
      expect(stdout).toMatch(/\r\x1b\[2K[^\r]*candles_1h_AAAUSDT\.csv → /);
      // a pipe: no progress at all
      const piped = await run('node', ['scripts/regime.mjs', '--datasets', path.join(dir, 'ds2'), 'import', ...files], { cwd: REPO, env: envWithoutCi });
      expect(piped.stdout + piped.stderr).not.toMatch(/\x1b\[|parsing files/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
