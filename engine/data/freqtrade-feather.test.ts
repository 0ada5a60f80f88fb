// readFeather's timestamps against the exact BigInt arithmetic, on synthetic Arrow files written here (fixtures, not
// market data): every unit, sub-millisecond rests, values either side of a step of the 64-bit value's high half.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Table, tableToIPC, TimestampMicrosecond, TimestampMillisecond, TimestampNanosecond, TimestampSecond, makeVector, type DataType } from 'apache-arrow';
import { readFeather } from './freqtrade-feather.ts';
import { seededRandom } from '../detectors/synthetic.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-feather-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** the value the old reader computed: BigInt division, the rest as a fraction */
function exactMs(v: bigint, perMs: bigint | null): number {
  if (perMs === null) return Number(v) * 1000;
  return Number(v / perMs) + Number(v % perMs) / Number(perMs);
}

describe('readFeather timestamps', () => {
  const units: [string, DataType, bigint | null][] = [
    ['s', new TimestampSecond('UTC'), null],
    ['ms', new TimestampMillisecond('UTC'), 1n],
    ['us', new TimestampMicrosecond('UTC'), 1000n],
    ['ns', new TimestampNanosecond('UTC'), 1_000_000n],
  ];
  it.each(units)('%s: every value as the BigInt arithmetic gives it', (unit, type, perMs) => {
    const scale = perMs === null ? 1n : perMs;
    // 2009 .. 2100 in the unit, with rests below the millisecond and values around each 2^32 step of the low half
    const rand = seededRandom(12345);
    const values: bigint[] = [];
    for (let i = 0; i < 2000; i++) {
      const ms = BigInt(Date.UTC(2009, 0, 1) + Math.floor(rand() * 91 * 365.25 * 86_400_000));
      const base = perMs === null ? ms / 1000n : ms * scale;
      values.push(base + (perMs === null ? 0n : BigInt(Math.floor(rand() * Number(scale)))));
    }
    const step = 2n ** 32n;
    const near = (values[0] / step) * step;
    values.push(near - 1n, near, near + 1n, BigInt(Date.UTC(2024, 0, 1)) * (perMs ?? 1n) / (perMs === null ? 1000n : 1n));
    const data = BigInt64Array.from(values);
    const table = new Table({ date: makeVector({ type, data, length: data.length, nullCount: 0 } as never) });
    const file = path.join(dir, `t-${unit}.feather`);
    fs.writeFileSync(file, tableToIPC(table, 'file'));
    const got = readFeather(file).columns.get('date')!.values;
    expect(got).toBeInstanceOf(Float64Array);
    expect([...got]).toEqual(values.map((v) => exactMs(v, perMs)));
  });
});
