/**
 * The part of ccxt this project uses: the Binance spot, Binance.US and USDⓈ-M REST clients, the USDⓈ-M websocket
 * client and the error classes. ccxt's entry point imports every one of its ≈ 110 exchanges and their websocket
 * clients (≈ 1.2 s of CPU, 1.6–1.9 s with the rest of its load, paid by every `regime live` and `regime fetch`
 * start and every test process that fetches), so these modules are loaded on their own. ccxt's export map names
 * only its entry, so they are imported by file path inside the installed package; they are the very modules the
 * entry re-exports (same files, same classes: `instanceof` agrees with code that imports 'ccxt' itself).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type ccxtAll from 'ccxt';

type Ccxt = typeof ccxtAll;
type ErrorClass = 'BaseError' | 'DDoSProtection' | 'RateLimitExceeded' | 'NetworkError' | 'OperationFailed' | 'BadResponse' | 'NullResponse';
export type CcxtBinanceModules = Pick<Ccxt, 'binance' | 'binanceus' | 'binanceusdm' | ErrorClass> & { version: string; pro: Pick<Ccxt['pro'], 'binanceusdm'> };

// the 'require' condition resolves to <package>/dist/ccxt.cjs; the ESM sources are in <package>/js
const packageRoot = path.resolve(path.dirname(createRequire(import.meta.url).resolve('ccxt')), '..');

async function load<T>(rel: string): Promise<T> {
  return (await import(pathToFileURL(path.join(packageRoot, 'js', rel)).href)) as T;
}

/** the version string the entry point exports (it is written into the entry at ccxt's build, and may differ from package.json's) */
function entryVersion(): string {
  const m = /^const version = '([^']+)';/m.exec(fs.readFileSync(path.join(packageRoot, 'js', 'ccxt.js'), 'utf8'));
  if (!m) throw new Error(`cannot find ccxt's version in ${path.join(packageRoot, 'js', 'ccxt.js')}`);
  return m[1];
}

const [binance, binanceus, binanceusdm, proBinanceusdm, errors] = await Promise.all([
  load<{ default: Ccxt['binance'] }>('src/binance.js'),
  load<{ default: Ccxt['binanceus'] }>('src/binanceus.js'),
  load<{ default: Ccxt['binanceusdm'] }>('src/binanceusdm.js'),
  load<{ default: Ccxt['pro']['binanceusdm'] }>('src/pro/binanceusdm.js'),
  load<Pick<Ccxt, ErrorClass>>('src/base/errors.js'),
]);

export const ccxt: CcxtBinanceModules = {
  binance: binance.default,
  binanceus: binanceus.default,
  binanceusdm: binanceusdm.default,
  BaseError: errors.BaseError,
  DDoSProtection: errors.DDoSProtection,
  RateLimitExceeded: errors.RateLimitExceeded,
  NetworkError: errors.NetworkError,
  OperationFailed: errors.OperationFailed,
  BadResponse: errors.BadResponse,
  NullResponse: errors.NullResponse,
  version: entryVersion(),
  pro: { binanceusdm: proBinanceusdm.default },
};
