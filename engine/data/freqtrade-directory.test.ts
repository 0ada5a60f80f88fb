// The whole real freqtrade directory (../shared/freqtrade-user-data) through the command line as a user runs it:
// import into a scratch dataset, a backtest over all 8 spot symbols, and the dashboard API listing them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { buildServer } from '../../web/server.ts';
import { createRunSource } from '../../web/run-source.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const FT = path.resolve(REPO, '../shared/freqtrade-user-data');
const SPOT = ['ADAUSDT', 'AVAXUSDT', 'BCHUSDT', 'BTCUSDT', 'DOGEUSDT', 'DOTUSDT', 'ETHUSDT', 'SOLUSDT'];
const run = (args: string[]) => spawnSync(process.execPath, ['scripts/regime.mjs', ...args], { cwd: REPO, encoding: 'utf8' });

let dir: string;
let ds: string;
let results: string;
let imported: ReturnType<typeof run>;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-freqtrade-dir-'));
  ds = path.join(dir, 'datasets');
  results = path.join(dir, 'results');
  imported = run(['--datasets', ds, 'import', '--freqtrade', FT, '--json']);
}, 600_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('regime import --freqtrade on the real directory', () => {
  it('imports every 1h file into its table and skips the 5m and 4h files, saying why', () => {
    expect(imported.stderr).toBe('');
    expect(imported.status).toBe(0);
    const report = JSON.parse(imported.stdout) as { files: { table: string; symbol: string; venue: string }[]; skipped: { file: string; reason: string }[] };
    const by = (table: string) => report.files.filter((f) => f.table === table).map((f) => `${f.venue}:${f.symbol}`).sort();
    expect(by('candles_1h')).toEqual(SPOT.map((s) => `binance:${s}`));
    for (const t of ['perp_1h', 'mark_1h', 'funding']) expect(by(t)).toEqual(['binanceusdm:ADAUSDT', 'binanceusdm:BTCUSDT', 'binanceusdm:DOGEUSDT']);
    expect(report.skipped.map((s) => [path.basename(s.file), s.reason.split(':')[0]])).toEqual([
      ['XRP_USDT-5m.feather', 'timeframe 5m'],
      ['BTC_USDT_USDT-4h-futures.feather', 'timeframe 4h'],
    ]);
    const again = run(['--datasets', ds, 'import', '--freqtrade', FT]);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/added 0, replaced 0, unchanged \d+; 0 partition files written/);
  });

  it('a backtest over all 8 spot symbols runs, and the dashboard API lists them with their candles', async () => {
    const out = path.join(dir, 'bt.json');
    const bt = run(['--datasets', ds, 'backtest', '--symbols', SPOT.join(','), '--from', '2025-01-01', '--to', '2025-02-01', '--no-score', '--results', results, '--json', out]);
    expect(bt.stderr).toBe('');
    expect(bt.status).toBe(0);
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as { symbols: string[]; hours: number; symbol_hours: number };
    expect(report.symbols).toEqual(SPOT);
    expect(report.hours).toBe(744);
    expect(report.symbol_hours).toBe(8 * 744); // no spot gap in January 2025

    const source = createRunSource(results, 'latest');
    await source.ready();
    const app = await buildServer({ source, resultsDir: results, datasetsDir: ds, logger: false });
    try {
      const features = (await app.inject({ url: '/api/features' })).json() as { symbols: string[] };
      expect(features.symbols).toEqual(SPOT);
      const prices = await app.inject({ url: '/api/prices?symbol=AVAXUSDT&hours=24' });
      expect(prices.statusCode).toBe(200);
      const history = (prices.json() as { symbols: { symbol: string; history: { ts: number; open?: number }[] }[] }).symbols[0];
      expect(history.symbol).toBe('AVAXUSDT');
      expect(history.history.length).toBe(24);
    } finally {
      await app.close();
    }
  });
});
