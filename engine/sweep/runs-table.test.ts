import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RunsTable } from './runs-table.ts';

const REPO = path.resolve(import.meta.dirname, '../..');

/** what another process finds when it opens the file read-write: its row count, or its error's first line */
function openedElsewhere(file: string): string {
  const script = `import { DuckDBInstance } from '@duckdb/node-api';\ntry { const i = await DuckDBInstance.create(${JSON.stringify(file)}); const c = await i.connect(); const r = await c.runAndReadAll('SELECT count(*)::INTEGER FROM runs'); console.log(String(r.getRows()[0][0])); } catch (e) { console.log(String(e.message).split('\\n')[0]); }`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO, encoding: 'utf8' }).stdout.trim();
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function table(): Promise<{ t: RunsTable; file: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-runs-'));
  dirs.push(dir);
  const file = path.join(dir, 'runs.duckdb');
  return { t: await RunsTable.open(file, ['alerts', 'nab']), file };
}

describe('RunsTable', () => {
  it('checkpoints the committed and the pending rows into the database file, and goes on appending after', async () => {
    const { t, file } = await table();
    const row = (id: string) => ({ config_id: id, status: 'ok' as const, error: null, params: '{}', feature_key: 'f', mode: 'columns', metrics: {}, values: Float64Array.of(1, 2, 3, 4) });
    await t.append(row('a'));
    t.flush();
    await t.append(row('b'));
    await t.checkpoint();
    // nothing left in the write-ahead log: the file alone holds both rows
    expect(fs.existsSync(`${file}.wal`) ? fs.statSync(`${file}.wal`).size : 0).toBe(0);
    await t.append(row('c'));
    await t.close();
    const again = await RunsTable.open(file, ['alerts', 'nab']);
    expect([...(await again.finishedIds())].sort()).toEqual(['a', 'b', 'c']);
    await again.close();
  });

  it('checkpoints without choosing a compression per column (the last stretch of a sweep waits for the checkpoint)', async () => {
    const { t } = await table();
    for (let i = 0; i < 300; i++) {
      await t.append({ config_id: `id${i}`, status: 'ok', error: null, params: `{"x":${i}}`, feature_key: 'f', mode: 'columns', metrics: {}, values: Float64Array.of(i, i / 7, Math.round(i * 1.37) / 100, -i) });
    }
    await t.checkpoint();
    const kinds = await t.rows(`SELECT DISTINCT compression FROM pragma_storage_info('runs') WHERE segment_type <> 'VALIDITY' ORDER BY 1`);
    // by default DuckDB picks ALP, bit-packing, dictionaries … per column; a constant column is always stored as one value
    expect(kinds.map((k) => k.compression).filter((c) => c !== 'Constant')).toEqual(['Uncompressed']);
    await t.close();
  });

  it('stores text, numbers and NULLs (null text, NaN, ±Infinity, missing metrics) from both row forms', async () => {
    const { t } = await table();
    await t.append({ config_id: 'a', status: 'ok', error: null, params: '{"x":1}', feature_key: 'f', mode: 'columns', metrics: {}, values: Float64Array.of(3, NaN, 1.5, Infinity) });
    await t.append({ config_id: 'b', status: 'invalid', error: "it's bad: explosive ≥ extreme — ünïcödé, 中文, 📉", params: '{}', feature_key: null, mode: null, metrics: {} });
    await t.append({ config_id: 'c', status: 'ok', error: null, params: '{}', feature_key: 'f', mode: 'replay', metrics: { train_alerts: 7, train_nab: null, holdout_alerts: -Infinity, holdout_nab: -2.25 } });
    t.flush();
    const rows = await t.rows('SELECT * FROM runs ORDER BY config_id');
    expect(rows).toEqual([
      { config_id: 'a', status: 'ok', error: null, params: '{"x":1}', feature_key: 'f', mode: 'columns', train_alerts: 3, train_nab: null, holdout_alerts: 1.5, holdout_nab: null },
      { config_id: 'b', status: 'invalid', error: "it's bad: explosive ≥ extreme — ünïcödé, 中文, 📉", params: '{}', feature_key: null, mode: null, train_alerts: null, train_nab: null, holdout_alerts: null, holdout_nab: null },
      { config_id: 'c', status: 'ok', error: null, params: '{}', feature_key: 'f', mode: 'replay', train_alerts: 7, train_nab: null, holdout_alerts: null, holdout_nab: -2.25 },
    ]);
    await t.close();
  });

  it('commits every row of a batch larger than one data chunk, each flush on its own, and refuses a short row', async () => {
    const { t, file } = await table();
    const n = 5000;
    for (let i = 0; i < n; i++) {
      await t.append({ config_id: `id${i}`, status: 'ok', error: i % 3 === 0 ? null : `e${i}`, params: '{}', feature_key: 'f', mode: 'columns', metrics: {}, values: Float64Array.of(i, i % 7 === 0 ? NaN : i / 2, -i, i * 1e-3) });
      if (i === 2999) t.flush();
    }
    await expect(t.append({ config_id: 'short', status: 'ok', error: null, params: '{}', feature_key: 'f', mode: 'columns', metrics: {}, values: Float64Array.of(1) })).rejects.toThrow(/1 values for 4 metric columns/);
    await t.close();
    // read back by a new connection: the rows were committed
    const again = await RunsTable.open(file, ['alerts', 'nab']);
    const cols = await again.numbers('SELECT train_alerts, train_nab, holdout_alerts FROM runs ORDER BY train_alerts');
    expect(cols.train_alerts.length).toBe(n);
    for (let i = 0; i < n; i++) {
      expect(cols.train_alerts[i]).toBe(i);
      expect(cols.holdout_alerts[i]).toBe(-i);
      if (i % 7 === 0) expect(Number.isNaN(cols.train_nab[i])).toBe(true);
      else expect(cols.train_nab[i]).toBe(i / 2);
    }
    expect(await again.count('error IS NULL')).toBe(Math.ceil(n / 3));
    expect((await again.rows(`SELECT error FROM runs WHERE config_id = 'id4999'`))[0].error).toBe('e4999');
    await again.close();
  });

  it('holds the file while open and frees it for another process once close() resolves', async () => {
    const { t, file } = await table();
    await t.append({ config_id: 'a', status: 'ok', error: null, params: '{}', feature_key: 'f', mode: 'columns', metrics: {}, values: Float64Array.of(1, 2, 3, 4) });
    t.flush();
    expect(openedElsewhere(file)).toMatch(/lock/i);
    await t.append({ config_id: 'b', status: 'ok', error: null, params: '{}', feature_key: 'f', mode: 'columns', metrics: {}, values: Float64Array.of(1, 2, 3, 4) });
    await t.close();
    // the pending row committed, and the file released before the engine itself is closed (on the next turn)
    expect(openedElsewhere(file)).toBe('2');
  });

  it('writes the results file and, when asked, checkpoints in the same call', async () => {
    const { t, file } = await table();
    const row = (id: string) => ({ config_id: id, status: 'ok' as const, error: null, params: '{}', feature_key: 'f', mode: 'columns', metrics: {}, values: Float64Array.of(1, 2, 3, 4) });
    const wal = () => (fs.existsSync(`${file}.wal`) ? fs.statSync(`${file}.wal`).size : 0);
    await t.append(row('b'));
    await t.append(row('a'));
    const out = path.join(path.dirname(file), 'results.parquet');
    await t.writeParquet(out);
    // the rows committed but not yet in the database file
    expect(wal()).toBeGreaterThan(0);
    await t.append(row('c'));
    await t.writeParquet(out, undefined, { checkpoint: true });
    expect(wal()).toBe(0);
    expect((await t.rows(`SELECT config_id FROM read_parquet('${out}')`)).map((r) => r.config_id)).toEqual(['a', 'b', 'c']);
    expect(fs.readdirSync(path.dirname(file)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    await t.close();
  });
});
