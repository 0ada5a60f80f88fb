// Config scaffolding: the JSON Schema generated from the zod validators, checked with an independent validator
// (ajv) against every example config and every preset; presets; $schema ignored by every loader; the CLI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Ajv, type ValidateFunction } from 'ajv';
import { CONFIGS_DIR, configJsonSchema, configJsonSchemaText, PRESETS, presetConfig, scaffoldConfig, SCHEMA_FILE, schemaReference } from './config-scaffold.ts';
import { defaultConfig, parseConfig } from './config.ts';
import { loadConfigFile } from './load-config.ts';
import { loadLiveConfig } from '../live/config.ts';
import { parseSweepSpec } from '../sweep/spec.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['scripts/regime.mjs', ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, ...env } });

let validate: ValidateFunction;
let dir: string;
beforeAll(() => {
  const ajv = new Ajv({ allErrors: true });
  // the one format the schema uses (zod's .url()), checked as the URL parser does
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  validate = ajv.compile(configJsonSchema());
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-config-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const exampleConfigs = () => fs.readdirSync(CONFIGS_DIR).filter((f) => f.endsWith('.json') && f !== path.basename(SCHEMA_FILE));

describe('the config JSON Schema', () => {
  it('is committed as generated (regenerate: npx regime config schema --out notebooks/configs/regime-config.schema.json)', () => {
    expect(fs.readFileSync(SCHEMA_FILE, 'utf8')).toBe(configJsonSchemaText());
  });

  it('accepts every example config under notebooks/configs, including the live and webhook ones', () => {
    const files = exampleConfigs();
    expect(files).toEqual(expect.arrayContaining(['seed.json', 'sensitive.json', 'conservative.json']));
    for (const f of files) {
      const json = JSON.parse(fs.readFileSync(path.join(CONFIGS_DIR, f), 'utf8'));
      expect({ file: f, ok: validate(json), errors: validate.errors }).toEqual({ file: f, ok: true, errors: null });
      // and the loaders agree: the live loader for files with live sections, the pipeline loader otherwise
      if ('live' in json || 'webhooks' in json) expect(() => loadLiveConfig(path.join(CONFIGS_DIR, f), {})).not.toThrow();
      else expect(() => loadConfigFile(path.join(CONFIGS_DIR, f))).not.toThrow();
    }
  });

  it('rejects what the validators reject: unknown keys, wrong types, bad enum values', () => {
    const bad = [
      { volatility: { surprise: 1 } },
      { cascade: { mode: 'sideways' } },
      { symbols: [] },
      { rules: { funding_abs_z: 'high' } },
      { live: { settle_ms: -1 } },
      { webhooks: { nosuch: 'x' } },
      { nosuch: true },
    ];
    for (const json of bad) {
      expect({ json, ok: validate(json) }).toEqual({ json, ok: false });
      expect(() => parseConfig(json)).toThrow();
    }
  });

  it('describes defaults, so editors show them', () => {
    const schema = configJsonSchema() as { properties: Record<string, { properties: Record<string, { default?: unknown }> }> };
    expect(schema.properties.cascade.properties.cascade_threshold_usd.default).toBe(500_000);
    expect(schema.properties.cascade.properties.mode.default).toBe(defaultConfig().cascade.mode);
  });
});

describe('presets', () => {
  it('default is the pipeline defaults; sensitive is notebooks/configs/sensitive.json after defaults', () => {
    expect(presetConfig('default')).toEqual(defaultConfig());
    expect(presetConfig('sensitive')).toEqual(loadConfigFile(path.join(CONFIGS_DIR, 'sensitive.json')));
    expect(presetConfig('sensitive').rules.funding_abs_z).toBe(1.5);
    expect(() => presetConfig('wild')).toThrow("--preset: 'wild' is not one of default, seed, sensitive");
  });

  it('seed is the original system: absolute cascade thresholds (500,000 USD; severity bands 100k/200k/400k/600k USD/h)', () => {
    const seed = presetConfig('seed');
    expect(seed.cascade.mode).toBe('absolute');
    expect(seed.cascade.cascade_threshold_usd).toBe(500_000);
    expect(seed.cascade.severity_velocity_usd_h).toEqual([100_000, 200_000, 400_000, 600_000]);
    expect(seed.cascade.window_hours).toBe(4);
  });

  it('a written config is complete, points at the schema, validates, and loads back to the preset', () => {
    for (const preset of PRESETS) {
      for (const live of [false, true]) {
        const file = path.join(dir, 'sub', `${preset}-${live}.json`);
        const written = scaffoldConfig(preset, path.dirname(file), live);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, JSON.stringify(written));
        expect(path.resolve(path.dirname(file), written.$schema as string)).toBe(SCHEMA_FILE);
        expect(validate(written)).toBe(true);
        // complete: parsing adds nothing
        const { $schema: _s, live: _l, webhooks: _w, ...pipeline } = written;
        expect(parseConfig(pipeline)).toEqual(pipeline);
        expect(loadConfigFile(live ? undefined : file)).toEqual(live ? defaultConfig() : presetConfig(preset));
        if (live) expect(loadLiveConfig(file, {}).pipeline).toEqual(presetConfig(preset));
      }
    }
    expect(schemaReference(CONFIGS_DIR)).toBe('./regime-config.schema.json');
  });

  it('a config with $schema also works as a sweep base', () => {
    const base = path.join(dir, 'base.json');
    fs.writeFileSync(base, JSON.stringify(scaffoldConfig('seed', dir)));
    const spec = parseSweepSpec({ base: 'base.json', grid: { 'rules.funding_abs_z': [2, 3] } }, dir);
    expect(spec).toBeTruthy();
  });
});

describe('regime config', () => {
  it('init writes a file, refuses to overwrite it without --force; schema prints the committed schema', () => {
    const out = path.join(dir, 'cli', 'seed.json');
    const a = run(['config', 'init', '--preset', 'seed', '--out', out]);
    expect(a.stderr).toBe('');
    expect(a.status).toBe(0);
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).cascade.mode).toBe('absolute');
    const b = run(['config', 'init', '--out', out]);
    expect(b.status).toBe(2);
    expect(b.stderr).toBe(`error: --out: ${out} exists (pass --force to overwrite)\n`);
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).cascade.mode).toBe('absolute');
    expect(run(['config', 'init', '--out', out, '--force']).status).toBe(0);
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).cascade.mode).toBe(defaultConfig().cascade.mode);
    expect(fs.readdirSync(path.dirname(out))).toEqual(['seed.json']); // no temp file left
    const s = run(['config', 'schema']);
    expect(s.stdout).toBe(fs.readFileSync(SCHEMA_FILE, 'utf8'));
    expect(run(['config', 'init', '--preset', 'wild']).stderr).toMatch(/--preset: 'wild' is not one of default, seed, sensitive/);
  });

  it('show prints the effective config after defaults, with webhook URLs and secrets redacted', () => {
    const file = path.join(dir, 'live.json');
    fs.writeFileSync(file, JSON.stringify({
      $schema: './x.json',
      rules: { funding_abs_z: 2.5 },
      live: { settle_ms: 2000 },
      webhooks: { cascade: 'https://discord.com/api/webhooks/123/SECRETTOKEN', http_secret: 'whsec_TOPSECRETVALUE' },
    }));
    const r = run(['config', 'show', '--config', file], { WEBHOOKS_ALL: 'https://hooks.example.test/p/ENVSECRET' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const shown = JSON.parse(r.stdout);
    expect(shown.rules.funding_abs_z).toBe(2.5);
    expect(shown.volatility).toEqual(defaultConfig().volatility);
    expect(shown.live.settle_ms).toBe(2000);
    expect(shown.webhooks.cascade).toEqual(['https://discord.com/***']);
    expect(shown.webhooks.all).toEqual(['https://hooks.example.test/***']);
    expect(shown.webhooks.http_secret).toBe('***');
    expect(r.stdout).not.toMatch(/SECRETTOKEN|TOPSECRETVALUE|ENVSECRET/);
    expect(shown.$schema).toBeUndefined();
    const plain = JSON.parse(run(['config', 'show']).stdout);
    expect(plain).toEqual(JSON.parse(JSON.stringify(defaultConfig())));
  });
});
