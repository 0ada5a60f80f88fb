/**
 * Rebuilds datasets/ (the embedded default dataset) from ../shared/market-data with the project's own importer.
 * Run: npx tsx scripts/bundle-shared-data.ts [--source DIR] [--out DIR]
 * Re-running is safe: imports are idempotent, so an unchanged source changes no file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { importFiles, type ImportOptions } from '../engine/data/import-files.ts';
import { DEFAULT_DATASETS_DIR } from '../engine/data/layout.ts';

const { values } = parseArgs({
  options: {
    source: { type: 'string', default: path.resolve(DEFAULT_DATASETS_DIR, '../../shared/market-data') },
    out: { type: 'string', default: DEFAULT_DATASETS_DIR },
  },
});
const src = values.source!;
const out = values.out!;

const groups: { files: string[]; opts: ImportOptions }[] = [
  {
    files: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'].map((s) => `candles_1h_${s}.csv`),
    opts: { note: 'Binance global spot REST klines (freqtrade download-data, repo Roshan7869/algotrading @4e790fea); no Binance.US history was available' },
  },
  {
    files: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'].map((s) => `funding_${s}.csv`),
    opts: { note: 'Binance USDⓈ-M funding: data.binance.vision monthly fundingRate (mirror pierre-cheneau/funding-data @0f94e612), pre-2020 BTC/ETH from Binance /fapi/v1/fundingRate via freqtrade (Roshan7869/algotrading)' },
  },
  {
    files: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'].map((s) => `perp_1h_${s}.csv.gz`),
    opts: { note: 'Binance USDⓈ-M perpetual 1h klines via freqtrade (Roshan7869/algotrading; SOL 2024-01..2025-12 also dangdoday/SE2025-9.4)' },
  },
  {
    files: ['BTCUSDT', 'ETHUSDT'].map((s) => `mark_1h_${s}.csv.gz`),
    opts: { note: 'Binance USDⓈ-M mark-price 1h klines via freqtrade (Roshan7869/algotrading)' },
  },
  {
    files: ['4h', '1d'].flatMap((p) => ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'].map((s) => `oi_${p}_${s}.csv`)),
    opts: { note: 'Binance USDⓈ-M /futures/data/openInterestHist (repo silertrades/gravestone-data @8cd43bc4), last 30 days only' },
  },
  {
    files: ['liquidations_BTC_agg_binance_bybit_okx_1h_coinglass.csv'],
    opts: {
      note: 'Coinglass aggregated-history (Binance+Bybit+OKX), hourly USD, export by ismethanhtung/btc-liquidations-analysis @d424dca3; NOT Binance-only, NOT raw events; 2025-11-23..2026-05-22 only',
    },
  },
];

fs.mkdirSync(out, { recursive: true });
for (const group of groups) {
  // open interest: one import per period, because the period comes from the file name
  const report = await importFiles(out, group.files.map((f) => path.join(src, f)), group.opts);
  for (const f of report.files) console.log(`${path.basename(f.file)} → ${f.venue}/${f.table}/${f.symbol}: ${f.rows} rows ${f.notes.join('; ')}`);
  console.log(`  added ${report.commit.added}, replaced ${report.commit.replaced}, unchanged ${report.commit.unchanged}, files written ${report.commit.filesWritten}`);
}
