import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * results/ in the checkout, or REGIME_RESULTS_DIR: a module of its own so that a command which only needs the folder's
 * name (the sweep server's client) does not load the run store's Parquet writer
 */
export function defaultResultsDir(): string {
  return path.resolve(process.env.REGIME_RESULTS_DIR ?? path.join(REPO, 'results'));
}
