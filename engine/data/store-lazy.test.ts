// A store opened on first use (lazyStore): nothing started until something reads, the same checks as openStore.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../errors.ts';
import { lazyStore, storeOf } from './store.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-lazy-store-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('lazyStore', () => {
  it('starts no database until open(), then hands out one store that reads the datasets', async () => {
    const db = path.join(tmp, 'one.duckdb');
    const lazy = lazyStore({ dbPath: db });
    expect(fs.existsSync(db)).toBe(false);
    const store = await storeOf(lazy);
    expect(fs.existsSync(db)).toBe(true);
    expect(await lazy.open()).toBe(store);
    const reader = await store.conn.runAndReadAll("SELECT count(*)::DOUBLE AS n FROM candles_1h WHERE symbol = 'BTCUSDT'");
    expect(Number(reader.getRowObjects()[0].n)).toBeGreaterThan(70_000);
    lazy.close();
  });

  it('closed without being opened, it never opened anything', () => {
    const db = path.join(tmp, 'never.duckdb');
    lazyStore({ dbPath: db }).close();
    expect(fs.existsSync(db)).toBe(false);
  });

  it('names a missing or wrong datasets folder at once, as openStore does', () => {
    const missing = path.join(tmp, 'no-such-folder');
    expect(() => lazyStore({ datasetsDir: missing })).toThrow(new UserError(`datasets folder ${missing} does not exist`));
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, '');
    expect(() => lazyStore({ datasetsDir: file })).toThrow(/is a file, not a folder/);
  });
});
