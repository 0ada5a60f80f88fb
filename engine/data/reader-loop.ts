/**
 * A reader process for the concurrency tests and the bench: opens the store, counts rows, closes, over and
 * over, until the stop file appears; prints how many times it opened. Run: node --import tsx reader-loop.ts DS STOP
 */
import fs from 'node:fs';
import { openStore } from './store.ts';
import { queryRows } from './duckdb.ts';

const [datasetsDir, stopFile] = process.argv.slice(2);
let opens = 0;
while (!fs.existsSync(stopFile)) {
  const store = await openStore({ datasetsDir });
  try {
    await queryRows(store.conn, 'SELECT count(*) AS n FROM candles_1h');
  } finally {
    store.close();
  }
  opens++;
  if (opens === 1) process.stdout.write('open\n');
}
process.stdout.write(`opens ${opens}\n`);
