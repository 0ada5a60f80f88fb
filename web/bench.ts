/**
 * `npm run bench -- web`: what the server's new per-request work costs. A rendered report's CSP is hashed from
 * the bytes served on every request (a report inlines ~0.9 MB of vega), and the price panel's candles come from
 * the bundled dataset: the first load of a symbol's full history, then a 90-day window slice per request.
 * Figures only, never asserted (the machine is shared).
 */
import { performance } from 'node:perf_hooks';
import { inlineLibraries, EMBED_SCRIPT, CSS } from '../engine/report/html.ts';
import { servedReportCsp } from './csp.ts';
import { CandleCache } from './candles.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchWeb(): Promise<string[]> {
  const lines = ['## Web server: per-request CSP hashing and dataset candles'];
  // a report-shaped page: the inlined libraries, the embed script, the style block and a data block
  const html = `<!doctype html><html><head><style>${CSS}</style><script>${inlineLibraries().script}</script></head><body><script type="application/json" id="d">${JSON.stringify({ rows: Array.from({ length: 5000 }, (_, i) => ({ i, v: i * 1.5 })) })}</script><script>${EMBED_SCRIPT}</script></body></html>`;
  const csp: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t = performance.now();
    servedReportCsp(html);
    csp.push(performance.now() - t);
  }
  lines.push(`report CSP (hash inline blocks) on a ${(html.length / 1e6).toFixed(1)} MB page: median ${median(csp).toFixed(1)} ms over 15`);

  const cache = new CandleCache(undefined);
  const end = Date.parse('2026-03-31T23:00:00Z');
  let t = performance.now();
  const first = await cache.window('BTCUSDT', end - 2160 * 3_600_000, end);
  lines.push(`candles: first request (loads BTCUSDT's whole hourly history from the dataset) ${(performance.now() - t).toFixed(0)} ms, ${first.length} candles in the 90-day window`);
  const slices: number[] = [];
  for (let i = 0; i < 50; i++) {
    t = performance.now();
    await cache.window('BTCUSDT', end - (2160 + i) * 3_600_000, end - i * 3_600_000);
    slices.push(performance.now() - t);
  }
  lines.push(`candles: later 90-day windows median ${median(slices).toFixed(2)} ms over 50`);
  return lines;
}
