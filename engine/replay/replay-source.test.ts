// A backtest's data read from the store or from the copy an earlier run kept, on a copy of the bundled datasets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { openStore, type Store } from '../data/store.ts';
import { manifestHash } from '../data/layout.ts';
import { loadReplayData, type ReplayData } from './replay-data.ts';
import { cachedSource, dataCacheFile } from './replay-source.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const SYMBOLS = ['BTCUSDT', 'ETHUSDT'];
const RANGE = { from: Date.UTC(2022, 10, 1), to: Date.UTC(2022, 10, 15) };

let tmp: string;
let datasets: string;

/** every column of every series, bit for bit */
function sameData(a: ReplayData, b: ReplayData): boolean {
  if (JSON.stringify([a.symbols, a.firstHour, a.lastHour]) !== JSON.stringify([b.symbols, b.firstHour, b.lastHour])) return false;
  return a.series.every((s, i) => {
    const t = b.series[i];
    return (['candles', 'funding', 'liquidations'] as const).every((table) => {
      const x = s[table] as unknown as Record<string, Float64Array>;
      const y = t[table] as unknown as Record<string, Float64Array>;
      const keys = Object.keys(x).sort();
      if (JSON.stringify(keys) !== JSON.stringify(Object.keys(y).sort())) return false;
      return keys.every((k) => Buffer.from(x[k].buffer, x[k].byteOffset, x[k].byteLength).equals(Buffer.from(y[k].buffer, y[k].byteOffset, y[k].byteLength)));
    });
  });
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-source-'));
  datasets = path.join(tmp, 'datasets');
  fs.cpSync(path.join(REPO, 'datasets'), datasets, { recursive: true, filter: (src) => !src.includes(`${path.sep}.readers`) });
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('cached replay data', () => {
  it('reads the store once, then the copy: the same data bit for bit, the same manifest, no store opened', async () => {
    const cache = path.join(tmp, 'cache-a');
    let opened = 0;
    const open = (): Promise<Store> => {
      opened++;
      return openStore({ datasetsDir: datasets });
    };
    const first = cachedSource(cache, datasets, open);
    const a = await first.load(SYMBOLS, RANGE);
    expect(first.hit).toBe(false);
    expect(opened).toBe(1);
    await first.settled();
    expect(fs.readdirSync(cache).filter((f) => f.endsWith('.data'))).toHaveLength(1);

    const second = cachedSource(cache, datasets, open);
    const b = await second.load(SYMBOLS, RANGE);
    expect(second.hit).toBe(true);
    expect(opened).toBe(1);
    expect(b.datasetHash).toBe(a.datasetHash);
    expect(b.datasetHash).toBe(manifestHash(datasets));

    const store = await openStore({ datasetsDir: datasets });
    try {
      const direct = await loadReplayData(store, SYMBOLS, RANGE);
      expect(sameData(a.data, direct)).toBe(true);
      expect(sameData(b.data, direct)).toBe(true);
      // the comparison sees a difference
      const changed = { ...direct, series: [{ ...direct.series[0], candles: { ...direct.series[0].candles, close: direct.series[0].candles.close.map((c, i) => (i === 5 ? c + 1e-9 : c)) } }, direct.series[1]] };
      expect(sameData(b.data, changed)).toBe(false);
    } finally {
      store.close();
    }
  });

  it('another range, other symbols or a new manifest read the store again; an unreadable copy is read past', async () => {
    const cache = path.join(tmp, 'cache-b');
    let opened = 0;
    const source = () =>
      cachedSource(cache, datasets, () => {
        opened++;
        return openStore({ datasetsDir: datasets });
      });
    const load = async (symbols: string[], range: { from: number; to: number }) => {
      const s = source();
      await s.load(symbols, range);
      await s.settled();
      return s.hit;
    };
    expect(await load(SYMBOLS, RANGE)).toBe(false);
    expect(await load(SYMBOLS, RANGE)).toBe(true);
    expect(await load(SYMBOLS, { ...RANGE, to: RANGE.to + 3_600_000 })).toBe(false);
    expect(await load(['BTCUSDT'], RANGE)).toBe(false);
    expect(opened).toBe(3);

    // a copy cut short (a full disk, a crash before the rename never leaves one, but a disk can go bad) is not used
    const file = dataCacheFile(cache, manifestHash(datasets)!, SYMBOLS, RANGE);
    fs.truncateSync(file, fs.statSync(file).size - 8);
    expect(await load(SYMBOLS, RANGE)).toBe(false);
    expect(await load(SYMBOLS, RANGE)).toBe(true);

    // an import writes a new manifest: the copy of the old generation is not the data any more
    const manifest = path.join(datasets, 'manifest.json');
    fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8') + '\n');
    expect(await load(SYMBOLS, RANGE)).toBe(false);
    expect(opened).toBe(5);
  });

  it('regime backtest keeps the copy beside its results and reports the same run from it', () => {
    const results = path.join(tmp, 'results');
    const args = (out: string) => ['scripts/regime.mjs', '--datasets', datasets, 'backtest', '--symbols', 'BTCUSDT', '--from', '2024-08-01', '--to', '2024-08-10', '--no-save', '--permutations', '50', '--results', results, '--json', out];
    const run = (out: string, env: Record<string, string> = {}) => {
      const r = spawnSync(process.execPath, args(out), { cwd: REPO, encoding: 'utf8', env: { ...process.env, ...env } });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const report = JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, unknown>;
      delete report.elapsed_ms;
      return report;
    };
    const cold = run(path.join(tmp, 'cold.json'));
    const dir = path.join(results, 'cache', 'backtest-data');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.data'))).toHaveLength(1);
    const warm = run(path.join(tmp, 'warm.json'));
    const direct = run(path.join(tmp, 'direct.json'), { REGIME_DATA_CACHE: '0' });
    expect(warm).toEqual(cold);
    expect(direct).toEqual(cold);
    expect(cold.dataset_manifest_sha256).toBe(manifestHash(datasets));
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.data'))).toHaveLength(1);
  });
});
