import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../errors.ts';
import { loadSweepSpec, parseSweepSpec } from './spec.ts';

function errorOf(json: unknown): string {
  try {
    parseSweepSpec(json);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('expected parseSweepSpec to throw');
}

describe('sweep spec validation', () => {
  it('names the offending key, one line per problem', () => {
    const msg = errorOf({
      grid: { volatility: { thresholds: { extreme: 3 } }, 'rules.funding_abz': [1, 2], 'cooldown.FUNDING_ANOMALY.transition_only': [true, 1] },
      random: { n: 0, params: {} },
      colour: 'red',
    });
    expect(msg.split('\n')).toEqual(expect.arrayContaining(['random.n: expected a positive integer', 'colour: unknown key']));
    const msg2 = errorOf({ grid: { volatility: { thresholds: { extreme: 3 } }, 'rules.funding_abz': [1, 2], 'cooldown.FUNDING_ANOMALY.transition_only': [true, 1] } });
    expect(msg2.split('\n')).toEqual([
      'grid.volatility.thresholds.extreme: expected a non-empty list of numbers',
      'grid.rules.funding_abz: unknown config key',
      'grid.cooldown.FUNDING_ANOMALY.transition_only: expected a non-empty list of true/false values',
    ]);
  });

  it('checks random params, split, select, score options and the base config by key', () => {
    const lines = errorOf({
      base: { volatility: { window_hours: 1 } },
      random: { n: 5, params: { 'funding.anomaly_z': { min: 3, max: 2 }, 'cascade.mode': { min: 0, max: 1 }, 'rules.funding_abs_z': { min: 1, max: 2, step: -1 } } },
      split: { holdout_fraction: 1.5 },
      select: { metric: 'profit' },
      score: { horizons_hours: [] },
    }).split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'base.volatility.window_hours: expected an integer between 2 and 2160',
        'random.params.funding.anomaly_z.max: expected a number >= min',
        "random.params.cascade.mode: expected a non-empty list of strings",
        'random.params.rules.funding_abs_z.step: expected a positive number',
        'split.holdout_fraction: expected a holdout fraction between 0 and 1 (exclusive)',
        'score.horizons_hours: expected a non-empty list of distinct positive integers (hours)',
      ]),
    );
    expect(lines.find((l) => l.startsWith('select.metric: expected one of'))).toContain('nab');
    expect(errorOf({ grid: { symbols: [['BTCUSDT']] } })).toMatch(/^grid\.symbols: symbols are not swept/);
    expect(errorOf({})).toBe('spec: expected grid or random (or both)');
    expect(errorOf({ grid: { 'rules.funding_abs_z': [2] }, select: { by: 'holdout' } })).toMatch(/^select\.by: expected 'train'/);
    expect(errorOf({ grid: { 'rules.funding_abs_z': [2] }, from: '2024-01-01', to: '2023-01-01' })).toBe('to: expected a date after from');
  });

  it('prefixes every line with the spec file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-spec-'));
    const file = path.join(dir, 'sweep.json');
    fs.writeFileSync(file, JSON.stringify({ grid: { 'volatility.thresholds.extreme': 3 }, select: { metric: 'x' } }));
    expect(() => loadSweepSpec(file)).toThrow(`${file}: grid.volatility.thresholds.extreme: expected a non-empty list of numbers\n${file}: select.metric`);
    fs.writeFileSync(file, '{ not json');
    expect(() => loadSweepSpec(file)).toThrow(/sweep\.json: not valid JSON/);
    fs.rmSync(dir, { recursive: true });
  });

  it('normalises: nested and dotted grids, key order and a base file give the same hash', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-spec-'));
    fs.writeFileSync(path.join(dir, 'base.json'), JSON.stringify({ rules: { funding_abs_z: 2.5 } }));
    fs.writeFileSync(path.join(dir, 'a.json'), JSON.stringify({ base: 'base.json', grid: { volatility: { thresholds: { extreme: [2, 3] } }, 'rules.regime_min_confidence': [0.5] } }));
    const a = loadSweepSpec(path.join(dir, 'a.json'));
    const b = parseSweepSpec({ grid: { 'rules.regime_min_confidence': [0.5], 'volatility.thresholds.extreme': [2, 3] }, base: { rules: { funding_abs_z: 2.5 } } });
    expect(a.hash).toBe(b.hash);
    expect(a.baseConfig.rules.funding_abs_z).toBe(2.5);
    expect(parseSweepSpec({ grid: { 'volatility.thresholds.extreme': [2, 3.5] } }).hash).not.toBe(b.hash);
    fs.rmSync(dir, { recursive: true });
  });

  it('asks the schema which keys take integers, and puts feature keys outermost', () => {
    const s = parseSweepSpec({
      grid: { 'rules.funding_abs_z': [1, 2], 'volatility.window_hours': [12, 24] },
      random: { n: 3, params: { 'cooldown.FUNDING_ANOMALY.cooldown_hours': { min: 0, max: 12 }, 'funding.anomaly_z': { min: 1, max: 3 } } },
    });
    expect(s.grid.map((d) => d.path)).toEqual(['volatility.window_hours', 'rules.funding_abs_z']);
    const params = Object.fromEntries(s.random!.params.map((p) => [p.path, 'integer' in p ? p.integer : null]));
    expect(params).toEqual({ 'cooldown.FUNDING_ANOMALY.cooldown_hours': true, 'funding.anomaly_z': false });
    expect(s.split).toEqual({ holdout_fraction: 0.3 });
    expect(s.select).toMatchObject({ metric: 'nab', better: 'higher', by: 'train' });
  });
});
