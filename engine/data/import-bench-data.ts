/**
 * SYNTHETIC inputs for the import bench (never market data): seeded random-walk hourly candles for N symbols,
 * written in the three forms users import — Binance public-archive monthly .zip files, one CSV per symbol in the
 * ../shared/market-data layout, and a freqtrade data directory of LZ4-compressed Feather files. The same walk
 * feeds all three, so the imports can be compared with each other.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CompressionType, Float64, Table, TimestampMillisecond, compressionRegistry, tableToIPC, vectorFromArray } from 'apache-arrow';
import { Mulberry32 } from '../score/prng.ts';
import { makeSingleEntryZip } from './zip.ts';
import { xxh32 } from './freqtrade-lz4.ts';

const H = 3_600_000;

export interface SyntheticBar {
  t: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  quoteVolume: string;
  trades: number;
  takerBase: string;
  takerQuote: string;
}

export const syntheticSymbol = (i: number): string => `SYN${String.fromCharCode(65 + (i % 26))}${i >= 26 ? String(Math.floor(i / 26)) : ''}USDT`;

/** One month of bars per call, the walk continuing across calls; prices printed with 4 decimals as the archive does. */
export class SyntheticWalk {
  private readonly rng: Mulberry32;
  private price = 100;
  constructor(seed: number) {
    this.rng = new Mulberry32(seed);
  }
  bars(start: number, end: number): SyntheticBar[] {
    const out: SyntheticBar[] = [];
    for (let t = start; t < end; t += H) {
      const open = this.price;
      this.price = Math.max(0.01, this.price * Math.exp((this.rng.next() - 0.5) * 0.02));
      const high = Math.max(open, this.price) * (1 + this.rng.next() * 0.005);
      const low = Math.min(open, this.price) * (1 - this.rng.next() * 0.005);
      const vol = 10 + this.rng.next() * 100;
      out.push({
        t,
        open: open.toFixed(4),
        high: high.toFixed(4),
        low: low.toFixed(4),
        close: this.price.toFixed(4),
        volume: vol.toFixed(3),
        quoteVolume: (vol * this.price).toFixed(2),
        trades: 50 + Math.floor(this.rng.next() * 500),
        takerBase: (vol / 2).toFixed(3),
        takerQuote: ((vol / 2) * this.price).toFixed(2),
      });
    }
    return out;
  }
}

function months(firstYear: number, years: number): { start: number; end: number; label: string }[] {
  const out = [];
  for (let y = firstYear; y < firstYear + years; y++) {
    for (let m = 0; m < 12; m++) out.push({ start: Date.UTC(y, m, 1), end: Date.UTC(y, m + 1, 1), label: `${y}-${String(m + 1).padStart(2, '0')}` });
  }
  return out;
}

function archiveLine(b: SyntheticBar): string {
  // the spot archive switched to microseconds in 2025: so do the synthetic files
  const f = new Date(b.t).getUTCFullYear() >= 2025 ? 1000 : 1;
  return `${b.t * f},${b.open},${b.high},${b.low},${b.close},${b.volume},${(b.t + H) * f - 1},${b.quoteVolume},${b.trades},${b.takerBase},${b.takerQuote},0`;
}

export interface SyntheticSpec {
  symbols: number;
  years: number;
  firstYear?: number;
  seed?: number;
}

/** Binance archive: one deflated single-entry .zip per symbol-month. */
export function writeArchiveZips(dir: string, spec: SyntheticSpec): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let s = 0; s < spec.symbols; s++) {
    const symbol = syntheticSymbol(s);
    const walk = new SyntheticWalk((spec.seed ?? 1000) + s);
    for (const m of months(spec.firstYear ?? 2017, spec.years)) {
      const name = `${symbol}-1h-${m.label}`;
      const file = path.join(dir, `${name}.zip`);
      const text = walk.bars(m.start, m.end).map(archiveLine).join('\n') + '\n';
      fs.writeFileSync(file, makeSingleEntryZip(`${name}.csv`, Buffer.from(text)));
      files.push(file);
    }
  }
  return files;
}

/** ../shared/market-data layout: candles_1h_<SYMBOL>.csv with a header, one file per symbol. */
export function writeMarketCsvs(dir: string, spec: SyntheticSpec): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let s = 0; s < spec.symbols; s++) {
    const symbol = syntheticSymbol(s);
    const walk = new SyntheticWalk((spec.seed ?? 1000) + s);
    const file = path.join(dir, `candles_1h_${symbol}.csv`);
    const fd = fs.openSync(file, 'w');
    try {
      fs.writeSync(fd, 'ts_ms,open,high,low,close,volume,quote_volume,trades\n');
      for (const m of months(spec.firstYear ?? 2017, spec.years)) {
        fs.writeSync(fd, walk.bars(m.start, m.end).map((b) => `${b.t},${b.open},${b.high},${b.low},${b.close},${b.volume},${b.quoteVolume},${b.trades}\n`).join(''));
      }
    } finally {
      fs.closeSync(fd);
    }
    files.push(file);
  }
  return files;
}

/**
 * A greedy LZ4 block compressor (hash of 4 bytes → last position), so the Feather bodies are LZ4_FRAME
 * compressed as freqtrade writes them and the import pays for the decoding it pays for on real files.
 */
function lz4Block(src: Uint8Array, out: Uint8Array): number {
  const table = new Int32Array(1 << 14).fill(-1);
  let o = 0;
  const lengthBytes = (n: number) => {
    for (; n >= 255; n -= 255) out[o++] = 255;
    out[o++] = n;
  };
  const emit = (from: number, to: number, offset: number, len: number) => {
    const lit = to - from;
    out[o++] = (Math.min(lit, 15) << 4) | (len ? Math.min(len - 4, 15) : 0);
    if (lit >= 15) lengthBytes(lit - 15);
    out.set(src.subarray(from, to), o);
    o += lit;
    if (!len) return;
    out[o++] = offset & 0xff;
    out[o++] = offset >>> 8;
    if (len - 4 >= 15) lengthBytes(len - 4 - 15);
  };
  let anchor = 0;
  let i = 0;
  const limit = src.length - 12;
  while (i < limit) {
    const key = (src[i] | (src[i + 1] << 8) | (src[i + 2] << 16) | (src[i + 3] << 24)) >>> 0;
    const h = Math.imul(key, 2654435761) >>> 18;
    const cand = table[h];
    table[h] = i;
    if (cand >= 0 && i - cand <= 65535 && src[cand] === src[i] && src[cand + 1] === src[i + 1] && src[cand + 2] === src[i + 2] && src[cand + 3] === src[i + 3]) {
      let len = 4;
      while (i + len < src.length - 5 && src[cand + len] === src[i + len]) len++;
      emit(anchor, i, i - cand, len);
      i += len;
      anchor = i;
    } else i++;
  }
  emit(anchor, src.length, 0, 0);
  return o;
}

function lz4Frame(data: Uint8Array): Uint8Array {
  const BLOCK = 65536;
  const out = new Uint8Array(data.length + Math.ceil(data.length / BLOCK) * 300 + 64);
  const view = new DataView(out.buffer);
  const desc = Uint8Array.of(0x40 | 0x20 | 0x04, 0x40); // independent blocks, content checksum, 64 KB blocks
  out.set([0x04, 0x22, 0x4d, 0x18, desc[0], desc[1], (xxh32(desc) >>> 8) & 0xff]);
  let o = 7;
  const scratch = new Uint8Array(BLOCK + 1024);
  for (let i = 0; i < data.length; i += BLOCK) {
    const chunk = data.subarray(i, i + BLOCK);
    const n = lz4Block(chunk, scratch);
    if (n < chunk.length) {
      view.setUint32(o, n, true);
      out.set(scratch.subarray(0, n), o + 4);
      o += 4 + n;
    } else {
      view.setUint32(o, (chunk.length | 0x80000000) >>> 0, true); // stored uncompressed
      out.set(chunk, o + 4);
      o += 4 + chunk.length;
    }
  }
  view.setUint32(o, 0, true);
  view.setUint32(o + 4, xxh32(data), true);
  return out.slice(0, o + 8);
}

/** freqtrade layout: <dir>/binance/<BASE>_USDT-1h.feather, LZ4_FRAME bodies. */
export function writeFreqtradeDir(dir: string, spec: SyntheticSpec): string {
  const exchange = path.join(dir, 'binance');
  fs.mkdirSync(exchange, { recursive: true });
  compressionRegistry.set(CompressionType.LZ4_FRAME, { encode: lz4Frame });
  for (let s = 0; s < spec.symbols; s++) {
    const symbol = syntheticSymbol(s);
    const walk = new SyntheticWalk((spec.seed ?? 1000) + s);
    const bars = months(spec.firstYear ?? 2017, spec.years).flatMap((m) => walk.bars(m.start, m.end));
    const table = new Table({
      date: vectorFromArray(bars.map((b) => b.t), new TimestampMillisecond('UTC')),
      open: vectorFromArray(bars.map((b) => Number(b.open)), new Float64()),
      high: vectorFromArray(bars.map((b) => Number(b.high)), new Float64()),
      low: vectorFromArray(bars.map((b) => Number(b.low)), new Float64()),
      close: vectorFromArray(bars.map((b) => Number(b.close)), new Float64()),
      volume: vectorFromArray(bars.map((b) => Number(b.volume)), new Float64()),
    });
    fs.writeFileSync(path.join(exchange, `${symbol.slice(0, -4)}_USDT-1h.feather`), tableToIPC(table, 'file', CompressionType.LZ4_FRAME));
  }
  return dir;
}
