import fs from 'node:fs';
import { createHash } from 'node:crypto';
import { jsonErrorWithoutExcerpt, UserError } from '../errors.ts';
import { parseConfig, type PipelineConfig } from './config.ts';

/** Reads and validates a JSON config file; every error names the file and the offending key. */
export function loadConfigFile(file: string | undefined, overrides: Partial<Pick<PipelineConfig, 'symbols'>> = {}): PipelineConfig {
  let json: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new UserError(`${file}: cannot read config (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new UserError(`${file}: not valid JSON (${jsonErrorWithoutExcerpt((err as Error).message)})`);
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new UserError(`${file}: config must be a JSON object`);
  }
  if (overrides.symbols) json = { ...json, symbols: overrides.symbols };
  try {
    return parseConfig(json);
  } catch (err) {
    if (err instanceof UserError && file) throw new UserError(`${file}: ${err.message.split('\n').join(`\n${file}: `)}`);
    throw err;
  }
}

/** A stable hash of a parsed config (keys sorted), to name runs and cache features. */
export function configHash(config: unknown): string {
  return createHash('sha256').update(stableStringify(config)).digest('hex').slice(0, 16);
}

export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj).sort().map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`).join(',')}}`;
}
