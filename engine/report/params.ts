/**
 * Notebook parameters: declared in the front matter with a type and a default, overridden with
 * `--param key=value`, validated per type. Values are kept typed so that SQL interpolation can quote them by
 * type (engine/report/sql-template.ts) instead of pasting text.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { UserError } from '../errors.ts';

export const PARAM_TYPES = ['string', 'number', 'integer', 'boolean', 'date', 'symbol', 'symbols', 'enum', 'run', 'runs', 'config', 'sweep'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

const scalar = z.union([z.string(), z.number(), z.boolean(), z.date()]);

export const ParamSpec = z
  .object({
    type: z.enum(PARAM_TYPES, { error: `expected one of ${PARAM_TYPES.join(', ')}` }),
    default: z.union([scalar, z.array(scalar)], { error: 'expected a value or a list of values' }).optional(),
    description: z.string({ error: 'expected text' }).optional(),
    /** enum: the allowed values */
    values: z.array(z.string({ error: 'expected text' }), { error: 'expected a list of values' }).min(1, { error: 'expected at least one value' }).optional(),
    min: z.number({ error: 'expected a number' }).optional(),
    max: z.number({ error: 'expected a number' }).optional(),
  })
  .strict();
export type ParamSpec = z.output<typeof ParamSpec>;

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const FrontMatter = z
  .object({
    title: z.string({ error: 'expected a title' }),
    description: z.string({ error: 'expected text' }).optional(),
    params: z
      .record(z.string().regex(PARAM_NAME, { error: 'parameter names are letters, digits and _' }), ParamSpec, { error: 'expected a mapping of parameter name → {type, default, description}' })
      .default({}),
  })
  .strict();
export type FrontMatter = z.output<typeof FrontMatter>;

function keyPath(path: readonly PropertyKey[]): string {
  return path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('').replace(/^\./, '');
}

export function parseFrontMatter(raw: unknown, file: string): FrontMatter {
  const r = FrontMatter.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) =>
      i.code === 'unrecognized_keys' ? `${file}: front matter ${keyPath([...i.path, i.keys[0]])}: unknown key` : `${file}: front matter ${keyPath(i.path) || '(top)'}: ${i.message}`,
    );
    throw new UserError(lines.join('\n'));
  }
  const fm = r.data;
  const runLike = Object.entries(fm.params).filter(([, s]) => s.type === 'run' || s.type === 'runs');
  if (runLike.length > 1) throw new UserError(`${file}: front matter params: at most one parameter of type run or runs (found ${runLike.map(([k]) => k).join(', ')})`);
  for (const [name, spec] of Object.entries(fm.params)) {
    if (spec.type === 'enum' && !spec.values) throw new UserError(`${file}: front matter params.${name}: an enum needs values: [...]`);
    if (spec.default !== undefined) {
      try {
        parseParamValue(name, spec, spec.default);
      } catch (err) {
        throw new UserError(`${file}: front matter params.${name}.default: ${(err as Error).message.replace(/^param [^:]+: /, '')}`);
      }
    }
  }
  return fm;
}

/** A parameter's typed value. Dates are epoch ms (UTC). */
export type ParamValue =
  | { type: 'string' | 'symbol' | 'enum' | 'run' | 'config' | 'sweep'; value: string }
  | { type: 'number' | 'integer'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'date'; value: number }
  | { type: 'symbols' | 'runs'; value: string[] };

export type ParamValues = Record<string, ParamValue>;

const SYMBOL = /^[A-Z0-9._-]+$/;
const RUN_REF = /^[A-Za-z0-9_-]+$/;

/** 2022-11-06, 2022-11-06 12:00, 2022-11-06T12:00:00Z; always UTC */
export function parseUtcDate(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(?:Z|UTC|\+00:?00)?$/i.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number);
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  return t;
}

export function formatUtcDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 16).replace('T', ' ');
}

function asList(raw: unknown): string[] {
  const items = Array.isArray(raw) ? raw.map(String) : String(raw).split(',');
  return items.map((s) => s.trim()).filter(Boolean);
}

/** Validates one value (from YAML or from the command line) against its spec; errors name the parameter. */
export function parseParamValue(name: string, spec: ParamSpec, raw: unknown): ParamValue {
  const fail = (what: string): never => {
    throw new UserError(`param ${name}: '${Array.isArray(raw) ? raw.join(',') : raw instanceof Date ? raw.toISOString() : String(raw)}' is not ${what}`);
  };
  const text = raw instanceof Date ? raw.toISOString() : Array.isArray(raw) ? raw.join(',') : String(raw).trim();
  const range = (n: number) => {
    if (spec.min !== undefined && n < spec.min) fail(`>= ${spec.min}`);
    if (spec.max !== undefined && n > spec.max) fail(`<= ${spec.max}`);
    return n;
  };
  switch (spec.type) {
    case 'string':
    case 'config':
      return { type: spec.type, value: text };
    case 'number': {
      const n = typeof raw === 'number' ? raw : text === '' ? NaN : Number(text);
      if (!Number.isFinite(n)) fail('a number');
      return { type: 'number', value: range(n) };
    }
    case 'integer': {
      const n = typeof raw === 'number' ? raw : text === '' ? NaN : Number(text);
      if (!Number.isInteger(n)) fail('a whole number');
      return { type: 'integer', value: range(n) };
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return { type: 'boolean', value: raw };
      const t = text.toLowerCase();
      if (['true', 'yes', '1', 'on'].includes(t)) return { type: 'boolean', value: true };
      if (['false', 'no', '0', 'off'].includes(t)) return { type: 'boolean', value: false };
      return fail('true or false');
    }
    case 'date': {
      const t = raw instanceof Date ? raw.getTime() : parseUtcDate(text);
      if (t === null || !Number.isFinite(t)) fail('a UTC date (YYYY-MM-DD or YYYY-MM-DD HH:MM)');
      return { type: 'date', value: t as number };
    }
    case 'symbol': {
      const s = text.toUpperCase();
      if (!SYMBOL.test(s)) fail('a symbol (letters, digits, . _ -)');
      return { type: 'symbol', value: s };
    }
    case 'symbols': {
      const list = asList(raw).map((s) => s.toUpperCase());
      if (list.length === 0 || list.some((s) => !SYMBOL.test(s))) fail('a comma-separated list of symbols');
      return { type: 'symbols', value: [...new Set(list)] };
    }
    case 'enum': {
      if (!spec.values!.includes(text)) fail(`one of ${spec.values!.join(', ')}`);
      return { type: 'enum', value: text };
    }
    case 'run': {
      if (!RUN_REF.test(text)) fail('a run reference (auto, latest, fresh or a saved run id)');
      return { type: 'run', value: text };
    }
    case 'runs': {
      const list = asList(raw);
      if (list.length === 0 || list.some((r) => !RUN_REF.test(r) && !r.endsWith('.json'))) fail('a comma-separated list of run references (latest, default, a saved run id or a config .json file)');
      return { type: 'runs', value: list };
    }
    case 'sweep': {
      if (!RUN_REF.test(text) && !text.endsWith('.parquet')) fail('a sweep reference (latest, a sweep id or a results .parquet file)');
      return { type: 'sweep', value: text };
    }
  }
}

/** An empty value for a type without a default, so every declared parameter has a value. */
function emptyDefault(spec: ParamSpec): unknown {
  switch (spec.type) {
    case 'run':
      return 'auto';
    case 'runs':
      return 'default';
    case 'sweep':
      return 'latest';
    case 'boolean':
      return false;
    case 'number':
    case 'integer':
      return spec.min ?? 0;
    case 'enum':
      return spec.values![0];
    default:
      return '';
  }
}

/**
 * Defaults overridden by `overrides` (raw strings, e.g. from --param). An unknown key is an error that names it
 * and lists the known ones.
 */
export function resolveParams(front: FrontMatter, overrides: Record<string, string>, file: string): ParamValues {
  const specs = front.params;
  for (const key of Object.keys(overrides)) {
    if (!(key in specs)) {
      const known = Object.keys(specs);
      throw new UserError(`${file}: unknown parameter '${key}' (${known.length ? `parameters: ${known.join(', ')}` : 'this notebook has no parameters'})`);
    }
  }
  const values: ParamValues = {};
  for (const [name, spec] of Object.entries(specs)) {
    const raw = name in overrides ? overrides[name] : (spec.default ?? emptyDefault(spec));
    try {
      values[name] = parseParamValue(name, spec, raw);
    } catch (err) {
      throw new UserError(`${file}: ${(err as Error).message}`);
    }
  }
  return values;
}

/** The value as a user would type it. */
export function paramText(v: ParamValue): string {
  switch (v.type) {
    case 'date':
      return formatUtcDate(v.value);
    case 'symbols':
    case 'runs':
      return v.value.join(',');
    default:
      return String(v.value);
  }
}

/** Parses ["key=value", …]; a repeated key keeps the last value. */
export function parseParamArgs(args: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const i = a.indexOf('=');
    if (i <= 0) throw new UserError(`--param '${a}': expected key=value`);
    out[a.slice(0, i).trim()] = a.slice(i + 1);
  }
  return out;
}

/** A short hash of the values that differ from the defaults; '' when every value is the default. */
export function paramsHash(front: FrontMatter, values: ParamValues): string {
  const defaults = resolveParams(front, {}, '');
  const changed = Object.keys(values)
    .sort()
    .filter((k) => paramText(values[k]) !== paramText(defaults[k]))
    .map((k) => `${k}=${paramText(values[k])}`);
  return changed.length ? createHash('sha256').update(changed.join('\n')).digest('hex').slice(0, 8) : '';
}

/** The parameters that differ from the notebook's defaults, in front-matter order, as [name, text]. */
export function changedParams(front: FrontMatter, values: ParamValues): [string, string][] {
  const defaults = resolveParams(front, {}, '');
  return Object.keys(front.params)
    .filter((k) => values[k] !== undefined && paramText(values[k]) !== paramText(defaults[k]))
    .map((k) => [k, paramText(values[k])]);
}

/**
 * A folder name a person can read: `event-study-2022-11-06_2022-11-12` for the changed values, falling back
 * to the values' hash when they do not make a short, safe name (paths, long lists).
 */
export function reportFolderName(name: string, front: FrontMatter, values: ParamValues): string {
  const changed = changedParams(front, values);
  if (changed.length === 0) return name;
  const parts = changed.map(([, v]) => v.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, ''));
  const readable = parts.join('_');
  if (parts.every((p) => p.length > 0) && readable.length <= 60 && !readable.includes('..')) return `${name}-${readable}`;
  return `${name}-${paramsHash(front, values)}`;
}

/** How a rendered report is told apart from others of the same notebook: its title and the changed values. */
export function reportLabel(title: string, front: FrontMatter, values: ParamValues): string {
  const changed = changedParams(front, values);
  return changed.length ? `${title} · ${changed.map(([k, v]) => `${k} ${v}`).join(', ')}` : title;
}
