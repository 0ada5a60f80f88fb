// The command line as a user runs it: help everywhere, clean errors, the fetch command against a loopback fake.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { CommanderError } from 'commander';
import { FakeBinance, syntheticKlines } from '../testing/fake-binance.ts';
import { buildProgram } from './main.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['scripts/regime.mjs', ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, ...env } });

/** async so the fake server in this process can answer while the CLI runs */
function runAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/regime.mjs', ...args], { cwd: REPO });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** f over items, at most `width` at once; results in the items' order */
async function inBatches<T, R>(items: T[], width: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await f(items[i]);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
  return out;
}

describe('regime CLI', () => {
  it('has --help on every command', async () => {
    const top = run(['--help']);
    expect(top.status).toBe(0);
    const commands = [...top.stdout.matchAll(/^ {2}([a-z][a-z-]*) /gm)].map((m) => m[1]).filter((c) => c !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['start', 'data', 'import', 'fetch']));
    // a few CLIs at a time: each mostly waits on its own start-up
    const paths = [...commands, 'data summary', 'data check'];
    const results = await inBatches(paths, 4, (c) => runAsync([...c.split(' '), '--help']));
    paths.forEach((c, i) => {
      expect(results[i].status, c).toBe(0);
      expect(results[i].stdout, c).toMatch(/^Usage: regime /);
    });
  });

  it('rejects an unknown command and a bad option value with exit 2 and no stack trace', () => {
    const a = run(['nosuch']);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/unknown command 'nosuch'/);
    const b = run(['fetch', '--exchange', 'kraken', '--symbols', 'BTCUSDT', '--since', '2024-01-01']);
    expect(b.status).toBe(2);
    expect(b.stderr).toBe("error: --exchange: 'kraken' is not one of binanceus, binance, binanceusdm\n");
  });

  it('answers no command, an unknown one or a bad global option from the help table exactly as commander does with every command loaded', async () => {
    const stub = await buildProgram(['nosuch']);
    // only names: no command module was loaded to answer
    expect(stub.commands.find((c) => c.name() === 'backtest')?.options).toEqual([]);
    const cases = [['nosuch'], ['backtst'], ['--verbose', 'confg'], [], ['--bogus']];
    // the CLIs start while commander computes the reference answers here
    const answers = inBatches(cases, 2, runAsync);
    for (const [i, args] of cases.entries()) {
      let stderr = '';
      let stdout = '';
      // an output configuration makes buildProgram load every command module (the reference)
      const full = await buildProgram(['help'], { writeOut: (t) => (stdout += t), writeErr: (t) => (stderr += t), getOutHelpWidth: () => 80, getErrHelpWidth: () => 80, getOutHasColors: () => false, getErrHasColors: () => false });
      await expect(full.parseAsync(['node', 'regime', ...args])).rejects.toBeInstanceOf(CommanderError);
      const r = (await answers)[i];
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toBe(stderr);
      expect(r.stdout, args.join(' ')).toBe(stdout);
    }
    expect((await answers)[1].stderr).toMatch(/^error: unknown command 'backtst'\n\(Did you mean backtest\?\)\n\nUsage: regime /);
  });

  it('checks fetch options before loading the exchange client', () => {
    const t = run(['fetch', '--exchange', 'binanceus', '--symbols', 'BTCUSDT', '--since', '2024-01-01', '--tables', 'perp_1h']);
    expect(t.status).toBe(2);
    expect(t.stderr).toBe("error: binanceus has no table 'perp_1h' to fetch (available: candles_1h)\n");
    const s = run(['fetch', '--exchange', 'binanceus', '--symbols', 'BTCUSDT', '--since', 'yesterday-ish']);
    expect(s.status).toBe(2);
    expect(s.stderr).toMatch(/^error: .*since.*\n$/);
  });

  it('backtest --config names the offending key of a bad config', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-cli-config-'));
    const cfg = path.join(dir, 'bad.json');
    fs.writeFileSync(cfg, JSON.stringify({ volatility: { window_hours: 0, surprise: 1 } }));
    const r = run(['backtest', '--config', cfg, '--no-save', '--no-score']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${cfg}: config.volatility.surprise: unknown key`);
    expect(r.stderr).toMatch(/config\.volatility\.window_hours: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    fs.writeFileSync(cfg, '{ not json');
    const j = run(['backtest', '--config', cfg, '--no-save']);
    expect(j.status).toBe(2);
    expect(j.stderr).toMatch(/bad\.json: not valid JSON/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('data summary --json prints the bundled tables', () => {
    const r = run(['data', 'summary', '--json']);
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    const candles = s.tables.find((t: { table: string }) => t.table === 'candles_1h');
    expect(candles.series.map((x: { rows: number }) => x.rows)).toEqual([73265, 73265, 50489]);
  });

  describe('fetch against a fake exchange on 127.0.0.1', () => {
    const start = Date.UTC(2024, 0, 1);
    const fake = new FakeBinance({ spotKlines: { BTCUSDT: syntheticKlines({ start, count: 1200, seed: 7 }) }, now: () => start + 1200 * 3_600_000 + 60_000 });
    let base: string;
    let dir: string;
    beforeAll(async () => {
      base = await fake.start();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-cli-fetch-'));
    });
    afterAll(async () => {
      await fake.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('backfills, then resumes without fetching anything twice', async () => {
      const args = ['--datasets', dir, 'fetch', '--exchange', 'binanceus', '--symbols', 'BTCUSDT', '--since', '2024-01-01', '--until', String(start + 1200 * 3_600_000), '--api-base-url', base, '--json'];
      const first = await runAsync(args);
      expect(first.stderr).toBe('');
      expect(first.status).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ venue: 'binanceus', fetched: 1200, added: 1200 });
      // one Parquet file of the committed generation in the 2024 partition (g<generation>-<id>.parquet)
      expect(fs.readdirSync(path.join(dir, 'binanceus/candles_1h/symbol=BTCUSDT/year=2024')).filter((f) => f.endsWith('.parquet'))).toHaveLength(1);
      const klineRequests = fake.requestsTo('/api/v3/klines').length;
      expect(klineRequests).toBeGreaterThanOrEqual(2);
      const second = await runAsync(args);
      expect(second.status).toBe(0);
      expect(JSON.parse(second.stdout)).toMatchObject({ fetched: 0, added: 0, filesWritten: 0 });
      expect(fake.requestsTo('/api/v3/klines').length).toBe(klineRequests);
    });
  });
});
