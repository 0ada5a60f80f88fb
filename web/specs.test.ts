// Every dashboard Vega-Lite spec (#11.5) is valid against vega-lite's own JSON schema (ajv), built from the
// shared palette exactly as the page builds it, and compiles to Vega.
import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { compile } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import * as palette from '../engine/report/palette.ts';
// @ts-expect-error a browser module of the dashboard (plain JavaScript, no types)
import { CHART_KINDS, fullSpec, timeFormat } from './public/specs.js';

const schema = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../node_modules/vega-lite/build/vega-lite-schema.json'), 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true, allowUnionTypes: true, validateFormats: false });
const validate = ajv.compile(schema);

describe('dashboard Vega-Lite specs', () => {
  it('has the seven charts', () => {
    expect(CHART_KINDS).toEqual(['price', 'volume', 'volatility', 'funding', 'correlation', 'liquidations', 'regime']);
  });

  for (const kind of ['price', 'volume', 'volatility', 'funding', 'correlation', 'liquidations', 'regime']) {
    it(`${kind}: valid against vega-lite-schema.json and compiles`, () => {
      const spec = fullSpec(palette, kind, {});
      const ok = validate(spec);
      expect(ok ? [] : validate.errors!.slice(0, 5).map((e) => `${e.instancePath} ${e.message}`), kind).toEqual([]);
      expect(() => compile(spec)).not.toThrow();
    });
  }

  it('the schema check catches the known violations (config.background null, scale in a tooltip field)', () => {
    const bad = fullSpec(palette, 'price', {});
    expect(validate({ ...bad, config: { ...bad.config, background: null } })).toBe(false);
    const tip = fullSpec(palette, 'volume', {});
    tip.encoding = { ...tip.encoding, tooltip: [{ field: 't', type: 'temporal', scale: { type: 'utc' } }] };
    expect(validate(tip)).toBe(false);
  });

  it('takes every colour of regimes and severities from the shared palette, new regimes included', () => {
    const regime = fullSpec(palette, 'regime', {});
    const scale = regime.layer[0].encoding.color.scale;
    expect(scale.domain).toEqual(palette.SPOT_REGIME_PALETTE.map((e) => e.key));
    expect(scale.domain).toEqual(expect.arrayContaining(['SPOT_CAPITULATION', 'SPOT_WARMING']));
    expect(scale.range).toEqual(palette.SPOT_REGIME_PALETTE.map((e) => e.color));
    const price = fullSpec(palette, 'price', {});
    expect(price.layer[3].encoding.color.scale.range).toEqual(palette.SEVERITY_PALETTE.map((e) => e.color));
  });

  it('puts a year on the time axis when the window crosses one', () => {
    const d = (s: string) => Date.parse(s);
    expect(timeFormat(d('2025-12-20'), d('2026-01-10'))).toContain('%Y');
    expect(timeFormat(d('2026-02-01'), d('2026-03-01'))).not.toContain('%Y');
    expect(timeFormat(d('2025-12-31T12:00Z'), d('2026-01-01T12:00Z'))).toBe('%Y-%m-%d %H:%M');
  });
});
