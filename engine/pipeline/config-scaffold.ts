/**
 * Config scaffolding: the JSON Schema of a config file (generated from the zod schemas, so it cannot drift from
 * what the loaders accept), complete configs from named presets, and the effective config of a file.
 * A config file is a pipeline config, optionally with the live loop's `live` and `webhooks` sections, and an
 * optional `$schema` reference that editors use for completion and validation and the loaders ignore.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { UserError } from '../errors.ts';
import { PipelineConfig, parseConfig } from './config.ts';
import { loadConfigFile } from './load-config.ts';
import { LiveSettings, loadLiveConfig } from '../live/config.ts';
import { WebhookConfig } from '../notify/endpoints.ts';
import { redactUrl } from '../notify/redact.ts';

export const CONFIGS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../notebooks/configs');
/** the committed copy of `regime config schema` that written configs point at (a test keeps it current) */
export const SCHEMA_FILE = path.join(CONFIGS_DIR, 'regime-config.schema.json');

export const PRESETS = ['default', 'seed', 'sensitive'] as const;
export type Preset = (typeof PRESETS)[number];

const PRESET_FILES: Record<Exclude<Preset, 'default'>, string> = {
  // the original system: absolute USD cascade thresholds; pinned in a file so later default changes leave it alone
  seed: path.join(CONFIGS_DIR, 'seed.json'),
  sensitive: path.join(CONFIGS_DIR, 'sensitive.json'),
};

const ConfigFile = PipelineConfig.extend({
  $schema: z.string().optional(),
  live: LiveSettings.optional(),
  webhooks: WebhookConfig.optional(),
});

/** JSON Schema (draft-07, which every editor's JSON support reads) of a config file as written, defaults shown. */
export function configJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(ConfigFile, { io: 'input', target: 'draft-07' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: 'https://regime-workbench.local/regime-config.schema.json',
    title: 'Regime Workbench config',
    description:
      'Pipeline config for backtest, sweep, compare, check-lookahead and parity; the same file with optional `live` and `webhooks` sections for `regime live` and `regime webhooks`. Every key is optional: omitted keys take the defaults shown. Unknown keys are errors.',
    ...rest,
  };
}

export function configJsonSchemaText(): string {
  return JSON.stringify(configJsonSchema(), null, 2) + '\n';
}

export function presetConfig(preset: string): PipelineConfig {
  if (!(PRESETS as readonly string[]).includes(preset)) throw new UserError(`--preset: '${preset}' is not one of ${PRESETS.join(', ')}`);
  return preset === 'default' ? parseConfig({}) : loadConfigFile(PRESET_FILES[preset as Exclude<Preset, 'default'>]);
}

/** `$schema` as a path relative to the config's folder, so the reference works wherever the repo is cloned. */
export function schemaReference(configDir: string): string {
  const rel = path.relative(configDir, SCHEMA_FILE).split(path.sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/**
 * A complete config: every key with its value, `$schema` first. With `live`, the live loop's sections too, from
 * their defaults only: secrets and URLs in the environment are never written into a file.
 */
export function scaffoldConfig(preset: string, configDir: string, live = false): Record<string, unknown> {
  const config = presetConfig(preset);
  return {
    $schema: schemaReference(configDir),
    ...config,
    ...(live ? { live: LiveSettings.parse({}), webhooks: WebhookConfig.parse({}) } : {}),
  };
}

function hasLiveSections(file: string | undefined): boolean {
  if (!file) return false;
  try {
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    return json !== null && typeof json === 'object' && ('live' in json || 'webhooks' in json);
  } catch {
    return false; // the loader below reports the problem with the file named
  }
}

/** Every URL becomes scheme://host/***, every value under a secret-like key ***: whatever the webhook schema grows. */
function redactSecrets(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (/secret|token|password|passwd|credential|api_?key/i.test(key)) return '***';
    return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? redactUrl(value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, key));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v, k)]));
  }
  return value;
}

/**
 * The effective config of a file after defaults. Live sections (when the file has them, or `live`) go through
 * the live loader, which also reads WEBHOOKS_* from the environment; URLs and secrets are redacted.
 */
export function effectiveConfig(file: string | undefined, live = false, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  if (!live && !hasLiveSections(file)) return { ...loadConfigFile(file) };
  const cfg = loadLiveConfig(file, env);
  return { ...cfg.pipeline, live: cfg.live, webhooks: redactSecrets(cfg.webhooks) };
}
