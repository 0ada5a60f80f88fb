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

/**
 * JSON with every object's keys sorted. Built by appending to one string, without the arrays a map/join would
 * make at every level: a sweep names each of its thousands of configurations with it (≈ 150 leaves each). The text
 * is exactly what `[…].map(stableStringify).join(',')` and its object form gave (pinned by a property test): an
 * undefined element or hole of an array shows as nothing, an undefined property value as `undefined`.
 */
export function stableStringify(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'string') return quoted(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  let s: string;
  if (Array.isArray(value)) {
    s = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) s += ',';
      const item = i in value ? stableStringify(value[i]) : undefined;
      if (item !== undefined) s += item;
    }
    return s + ']';
  }
  const obj = value as Record<string, unknown>;
  const { sorted, prefixes } = keyOrder(Object.keys(obj));
  s = '{';
  for (let i = 0; i < sorted.length; i++) s += prefixes[i] + stableStringify(obj[sorted[i]]);
  return s + '}';
}

/** an object's keys (in its own order) sorted, and each one's `"key":` text with the comma before it */
interface KeyOrder {
  keys: readonly string[];
  sorted: readonly string[];
  prefixes: readonly string[];
}

/**
 * The sorted order of key lists seen before, by first key: a sweep's configurations are thousands of objects of the
 * same few shapes, and sorting every object's keys again was a third of naming one (≈ 40 µs for ≈ 150 leaves). A
 * list is reused only when it holds the same keys in the same order.
 */
const keyOrders = new Map<string, KeyOrder[]>();
let keyOrdersKept = 0;
const KEY_ORDERS_KEPT = 4096;
/** shapes kept per first key: objects of many shapes share few first keys only by chance */
const SHAPES_PER_FIRST_KEY = 16;

function keyOrder(keys: string[]): KeyOrder {
  const first = keys.length > 0 ? keys[0] : '';
  const known = keyOrders.get(first);
  if (known !== undefined) {
    for (let k = 0; k < known.length; k++) if (sameKeys(known[k].keys, keys)) return known[k];
  }
  const sorted = [...keys].sort();
  const order: KeyOrder = { keys, sorted, prefixes: sorted.map((key, i) => `${i > 0 ? ',' : ''}${quoted(key)}:`) };
  if (keyOrdersKept < KEY_ORDERS_KEPT && (known?.length ?? 0) < SHAPES_PER_FIRST_KEY) {
    if (known === undefined) keyOrders.set(first, [order]);
    else known.push(order);
    keyOrdersKept++;
  }
  return order;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** JSON.stringify of a string, remembered: a configuration's keys and texts recur in every configuration of a sweep */
const quotedText = new Map<string, string>();
function quoted(text: string): string {
  let q = quotedText.get(text);
  if (q === undefined) {
    q = JSON.stringify(text);
    if (quotedText.size < QUOTED_KEPT) quotedText.set(text, q);
  }
  return q;
}
const QUOTED_KEPT = 4096;
