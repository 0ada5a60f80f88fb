/**
 * The sweep spec: which configurations to try (a grid and/or seeded random samples over config key paths),
 * on which data, how to split it into train and holdout, and how to pick the best. Every problem is reported
 * on its own line, naming the offending key: `sweep.json: grid.volatility.thresholds.extreme: expected a list
 * of numbers`.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { UserError } from '../errors.ts';
import { defaultConfig, parseConfig, type PipelineConfig } from '../pipeline/config.ts';
import { configHash } from '../pipeline/load-config.ts';
import { DEFAULT_WARMUP_HOURS } from '../replay/backtest.ts';
import { parseScoreOptions, type ScoreOptions } from '../score/index.ts';
import { getPath, isConfigPath, keyKind, setPath } from './keys.ts';
import { metricBetter, metricNames } from './metrics.ts';
import { parseWalkForward, type WalkForwardSpec } from './walk-forward.ts';

const posInt = 'expected a positive integer';
const nonNegInt = 'expected a non-negative integer';

const SpecShape = z
  .object({
    /** a config object, or a config JSON file (relative to the spec) */
    base: z.union([z.string(), z.record(z.string(), z.unknown())], { error: 'expected a config object or a config file name' }).default({}),
    symbols: z.array(z.string({ error: 'expected a list of symbol names' }), { error: 'expected a list of symbol names' }).min(1, { error: 'expected a list of symbol names' }).optional(),
    from: z.union([z.string(), z.number()], { error: 'expected a date such as 2024-01-01' }).optional(),
    to: z.union([z.string(), z.number()], { error: 'expected a date such as 2024-01-01' }).optional(),
    warmup_hours: z.number({ error: nonNegInt }).int({ error: nonNegInt }).nonnegative({ error: nonNegInt }).default(DEFAULT_WARMUP_HOURS),
    split: z.unknown().default({ holdout_fraction: 0.3 }),
    grid: z.record(z.string(), z.unknown(), { error: 'expected an object of config key paths → lists of values' }).optional(),
    random: z
      .object(
        {
          n: z.number({ error: posInt }).int({ error: posInt }).positive({ error: posInt }),
          seed: z.number({ error: 'expected an integer' }).int({ error: 'expected an integer' }).default(1),
          params: z.record(z.string(), z.unknown(), { error: 'expected an object of config key paths → ranges or choices' }),
        },
        { error: 'expected an object { n, seed, params }' },
      )
      .strict()
      .optional(),
    select: z
      .object(
        {
          metric: z.string({ error: 'expected a metric name' }).default('nab'),
          by: z.literal('train', { error: "expected 'train' (selecting on the holdout would make the holdout optimistic too)" }).default('train'),
          /** a configuration with fewer train alerts cannot be selected: one lucky alert is not a precision */
          min_alerts: z.number({ error: nonNegInt }).int({ error: nonNegInt }).nonnegative({ error: nonNegInt }).default(10),
        },
        { error: 'expected an object { metric, by, min_alerts }' },
      )
      .strict()
      .prefault({}),
    /** scorer options (engine/score): horizons, k, permutations for the best configuration's baseline, seed… */
    score: z.record(z.string(), z.unknown(), { error: 'expected an object of scorer options' }).default({}),
  })
  .strict();

export interface RangeParam {
  path: string;
  min: number;
  max: number;
  step: number | null;
  /** the config key takes integers only: draws are whole numbers */
  integer: boolean;
}

export interface ChoiceParam {
  path: string;
  choices: unknown[];
}

export type RandomParam = RangeParam | ChoiceParam;

export type SplitSpec = { holdout_from: number } | { holdout_fraction: number } | { walk_forward: WalkForwardSpec };

export interface SweepSpec {
  /** the base config as JSON (a file already read), symbols override applied */
  base: Record<string, unknown>;
  baseConfig: PipelineConfig;
  from: number | null;
  to: number | null;
  warmupHours: number;
  split: SplitSpec;
  /** grid dimensions, feature keys first so consecutive configurations share a feature replay */
  grid: { path: string; values: unknown[] }[];
  random: { n: number; seed: number; params: RandomParam[] } | null;
  select: { metric: string; better: 'higher' | 'lower'; by: 'train'; min_alerts: number };
  score: ScoreOptions;
  /** hash of the normalised spec: equal specs (key order, whitespace, a base file vs its contents) hash equal */
  hash: string;
  /** the normalised spec, as hashed and saved beside the results */
  canonical: Record<string, unknown>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

type ValueKind = 'number' | 'boolean' | 'string' | 'array' | 'object';

function kindOf(v: unknown): ValueKind {
  if (Array.isArray(v)) return 'array';
  if (isObject(v)) return 'object';
  return typeof v as ValueKind;
}

const LIST_OF: Record<ValueKind, string> = {
  number: 'expected a list of numbers',
  boolean: 'expected a list of true/false values',
  string: 'expected a list of strings',
  array: 'expected a list of lists',
  object: 'expected a list of objects',
};

/**
 * grid entries as dotted paths: `"volatility.thresholds.extreme": [..]` and `{ volatility: { thresholds: {
 * extreme: [..] } } }` are the same; a list ends a path
 */
function flattenParams(obj: Record<string, unknown>, prefix: string, out: Map<string, unknown>, issues: string[], where: string): void {
  for (const [k, v] of Object.entries(obj)) {
    const p = prefix ? `${prefix}.${k}` : k;
    if (isObject(v) && !isConfigLeafObject(p, v)) flattenParams(v, p, out, issues, where);
    else if (out.has(p)) issues.push(`${where}.${p}: given twice`);
    else out.set(p, v);
  }
}

/** a random range {min, max, step} is a value, not a nested section */
function isConfigLeafObject(path: string, v: Record<string, unknown>): boolean {
  return 'min' in v && 'max' in v && !isObject(getPath(defaultConfig(), path));
}

function checkPath(p: string, where: string, issues: string[]): ValueKind | null {
  if (p === 'symbols') {
    issues.push(`${where}.symbols: symbols are not swept; set "symbols" at the top of the spec (one sweep per universe)`);
    return null;
  }
  const def = getPath(defaultConfig(), p);
  if (def === undefined || !isConfigPath(p)) {
    issues.push(`${where}.${p}: unknown config key`);
    return null;
  }
  return kindOf(def);
}

function parseGrid(grid: Record<string, unknown>, issues: string[]): { path: string; values: unknown[] }[] {
  const flat = new Map<string, unknown>();
  flattenParams(grid, '', flat, issues, 'grid');
  const dims: { path: string; values: unknown[] }[] = [];
  for (const [p, v] of flat) {
    const kind = checkPath(p, 'grid', issues);
    if (kind === null) continue;
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => kindOf(x) === kind)) {
      issues.push(`grid.${p}: ${LIST_OF[kind].replace('a list', 'a non-empty list')}`);
      continue;
    }
    dims.push({ path: p, values: v });
  }
  if (flat.size === 0) issues.push('grid: expected at least one config key path');
  return orderDimensions(dims);
}

/** feature keys outermost: every threshold variant of one feature set runs before the next feature replay */
function orderDimensions<T extends { path: string }>(dims: T[]): T[] {
  const rank = (p: string) => (keyKind(p) === 'feature' || isObject(getPath(defaultConfig(), p)) ? 0 : 1);
  return [...dims].sort((a, b) => rank(a.path) - rank(b.path) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** whether the schema takes only integers at this path (asked of the schema itself, not guessed from defaults) */
function integerKey(base: Record<string, unknown>, p: string): boolean {
  const probe = structuredClone(base);
  const def = getPath(defaultConfig(), p) as number;
  setPath(probe, p, def + 0.5);
  try {
    parseConfig(probe);
    return false;
  } catch (err) {
    return err instanceof UserError && /integer/.test(err.message);
  }
}

function parseRandom(r: { n: number; seed: number; params: Record<string, unknown> }, base: Record<string, unknown>, gridPaths: Set<string>, issues: string[]): SweepSpec['random'] {
  const flat = new Map<string, unknown>();
  flattenParams(r.params, '', flat, issues, 'random.params');
  const params: RandomParam[] = [];
  for (const [p, v] of flat) {
    const where = `random.params.${p}`;
    const kind = checkPath(p, 'random.params', issues);
    if (kind === null) continue;
    if (gridPaths.has(p)) {
      issues.push(`${where}: also in grid; sweep a key in one of them`);
      continue;
    }
    if (Array.isArray(v)) {
      if (v.length === 0 || !v.every((x) => kindOf(x) === kind)) issues.push(`${where}: ${LIST_OF[kind].replace('a list', 'a non-empty list')}`);
      else params.push({ path: p, choices: v });
      continue;
    }
    if (kind !== 'number' || !isObject(v)) {
      issues.push(`${where}: ${kind === 'number' ? 'expected {min, max, step?} or a list of numbers' : LIST_OF[kind].replace('a list', 'a non-empty list')}`);
      continue;
    }
    const extra = Object.keys(v).filter((k) => !['min', 'max', 'step'].includes(k));
    if (extra.length > 0) issues.push(`${where}.${extra[0]}: unknown key (expected min, max, step)`);
    const { min, max, step } = v as { min: unknown; max: unknown; step?: unknown };
    if (typeof min !== 'number' || !Number.isFinite(min)) issues.push(`${where}.min: expected a number`);
    if (typeof max !== 'number' || !Number.isFinite(max)) issues.push(`${where}.max: expected a number`);
    if (step !== undefined && !(typeof step === 'number' && step > 0)) issues.push(`${where}.step: expected a positive number`);
    if (typeof min === 'number' && typeof max === 'number' && max < min) issues.push(`${where}.max: expected a number >= min`);
    if (typeof min !== 'number' || typeof max !== 'number' || (step !== undefined && typeof step !== 'number')) continue;
    params.push({ path: p, min, max, step: (step as number | undefined) ?? null, integer: integerKey(base, p) });
  }
  if (flat.size === 0) issues.push('random.params: expected at least one config key path');
  return { n: r.n, seed: r.seed, params: orderDimensions(params) };
}

function parseTime(v: unknown, key: string, issues: string[]): number | null {
  if (v === undefined) return null;
  if (typeof v !== 'string' && typeof v !== 'number') {
    issues.push(`${key}: expected a date such as 2024-01-01`);
    return null;
  }
  const s = typeof v === 'number' ? v : /^\d{10,14}$/.test(v.trim()) ? Number(v.trim()) : Date.parse(/([zZ]|[+-]\d{2}:?\d{2})$/.test(v) || !v.includes('T') ? v : `${v}Z`);
  if (!Number.isFinite(s)) {
    issues.push(`${key}: expected a date such as 2024-01-01, got '${String(v)}'`);
    return null;
  }
  return s;
}

function parseSplit(v: unknown, issues: string[]): SplitSpec {
  const fallback: SplitSpec = { holdout_fraction: 0.3 };
  const fractionMsg = 'expected a holdout fraction between 0 and 1 (exclusive)';
  if (typeof v === 'number') {
    if (v > 0 && v < 1) return { holdout_fraction: v };
    issues.push(`split: ${fractionMsg}`);
    return fallback;
  }
  if (isObject(v) && 'walk_forward' in v) {
    const extra = Object.keys(v).filter((k) => k !== 'walk_forward');
    if (extra.length > 0) issues.push(`split.${extra[0]}: a walk-forward split has no holdout; give walk_forward alone`);
    const wf = parseWalkForward(v.walk_forward, issues);
    return wf === null ? fallback : { walk_forward: wf };
  }
  if (!isObject(v) || Object.keys(v).length !== 1 || !('holdout_from' in v || 'holdout_fraction' in v)) {
    issues.push("split: expected { holdout_from: '2024-01-01' }, { holdout_fraction: 0.3 } or { walk_forward: { train_days, test_days, step_days, window, embargo_hours } }");
    return fallback;
  }
  if ('holdout_fraction' in v) {
    const f = v.holdout_fraction;
    if (typeof f === 'number' && f > 0 && f < 1) return { holdout_fraction: f };
    issues.push(`split.holdout_fraction: ${fractionMsg}`);
    return fallback;
  }
  const t = parseTime(v.holdout_from, 'split.holdout_from', issues);
  return t === null ? fallback : { holdout_from: t };
}

function readBase(base: string | Record<string, unknown>, specDir: string, issues: string[]): Record<string, unknown> {
  if (typeof base !== 'string') return structuredClone(base);
  const file = path.resolve(specDir, base);
  try {
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (isObject(json)) return json;
    issues.push(`base: ${base} must hold a JSON object`);
  } catch (err) {
    issues.push(`base: cannot read config ${base} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return {};
}

function zodIssues(error: z.ZodError, issues: string[]): void {
  for (const issue of error.issues) {
    const where = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') for (const k of issue.keys) issues.push(`${where ? `${where}.` : ''}${k}: unknown key`);
    else issues.push(`${where || 'spec'}: ${issue.message}`);
  }
}

/** Validates a parsed JSON spec; `specDir` resolves a base config file name. Throws a UserError, one line per problem. */
export function parseSweepSpec(json: unknown, specDir = process.cwd()): SweepSpec {
  const issues: string[] = [];
  if (!isObject(json)) throw new UserError('spec: expected a JSON object');
  const r = SpecShape.safeParse(json);
  if (!r.success) {
    zodIssues(r.error, issues);
    throw new UserError(issues.join('\n'));
  }
  const s = r.data;
  const base = readBase(s.base, specDir, issues);
  if (s.symbols) base.symbols = s.symbols;
  let baseConfig = defaultConfig();
  try {
    baseConfig = parseConfig(base);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    for (const line of err.message.split('\n')) issues.push(line.replace(/^config/, 'base'));
  }
  if (s.grid === undefined && s.random === undefined) issues.push('spec: expected grid or random (or both)');
  const grid = s.grid === undefined ? [] : parseGrid(s.grid, issues);
  const random = s.random === undefined ? null : parseRandom(s.random, base, new Set(grid.map((d) => d.path)), issues);
  const from = parseTime(s.from, 'from', issues);
  const to = parseTime(s.to, 'to', issues);
  if (from !== null && to !== null && to <= from) issues.push('to: expected a date after from');
  const split = parseSplit(s.split, issues);
  if ('holdout_from' in split && ((from !== null && split.holdout_from <= from) || (to !== null && split.holdout_from >= to))) {
    issues.push('split.holdout_from: expected a date between from and to');
  }
  let score = parseScoreOptions({});
  try {
    score = parseScoreOptions(s.score);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    for (const line of err.message.split('\n')) issues.push(line.replace(/^score options/, 'score'));
  }
  const metrics = metricNames(score.horizons_hours).filter((m) => metricBetter(m) !== null);
  const better = metricBetter(s.select.metric);
  if (better === null || !metrics.includes(s.select.metric)) issues.push(`select.metric: expected one of ${metrics.join(', ')}`);
  if (issues.length > 0) throw new UserError(issues.join('\n'));

  const canonical = {
    base,
    from,
    to,
    warmup_hours: s.warmup_hours,
    split,
    grid: Object.fromEntries(grid.map((d) => [d.path, d.values])),
    random: random && {
      n: random.n,
      seed: random.seed,
      params: Object.fromEntries(random.params.map((p) => [p.path, 'choices' in p ? p.choices : { min: p.min, max: p.max, step: p.step }])),
    },
    select: s.select,
    score,
  };
  return {
    base,
    baseConfig,
    from,
    to,
    warmupHours: s.warmup_hours,
    split,
    grid,
    random,
    select: { ...s.select, better: better! },
    score,
    hash: configHash(canonical),
    canonical,
  };
}

/** Reads and validates a spec file; every error line starts with the file name. */
export function loadSweepSpec(file: string): SweepSpec {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UserError(`${file}: ${e.code ? `cannot read spec (${e.code})` : `not valid JSON (${e.message})`}`);
  }
  try {
    return parseSweepSpec(json, path.dirname(path.resolve(file)));
  } catch (err) {
    if (err instanceof UserError) throw new UserError(err.message.split('\n').map((l) => `${file}: ${l}`).join('\n'));
    throw err;
  }
}
