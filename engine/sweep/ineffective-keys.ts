/**
 * Swept keys that change no alert: a threshold of a mode the configuration does not use (the absolute cascade
 * threshold under `cascade.mode: relative`), or a key that only changes alert text. Every value of such a key
 * gives the same alerts and the same scores, so the sweep spends its configurations on nothing and its
 * "best" value is an accident of the draw; the user is told before the sweep starts.
 *
 * Decided from what the columnar evaluator reads (evaluate.ts): the feature set (EvaluationPlan.featureKey), each
 * rule's inputs (rules.ts, also its cache key) and the cooldown policy. Two configurations that agree on all three
 * emit the same alerts (evaluate.test.ts proves the evaluator equal to the Pipeline's replay). A key is checked by
 * setting it to each end of its range (or its distinct values: a list of numbers, its first three) in the sweep's
 * first valid configurations, and in the first one with each value of every other swept key that is not a number (a
 * mode, a switch): a threshold that matters only under a mode swept as well is then seen to matter.
 */
import { EVENT_TYPES } from '../pipeline/alerts.ts';
import { parseConfig, type PipelineConfig } from '../pipeline/config.ts';
import { stableStringify } from '../pipeline/load-config.ts';
import { UserError } from '../errors.ts';
import { applyParams, stepCount, stepValue, variants, type Params } from './expand.ts';
import { planEvaluation } from './keys.ts';
import { RULES } from './rules.ts';
import type { RandomParam, SweepSpec } from './spec.ts';

export interface IneffectiveKey {
  path: string;
  /** the sweep's configurations in which each of the key's values was tried, and gave the same alerts every time */
  checked: number;
}

/** how many of the sweep's first valid configurations each key is checked in */
const SAMPLES = 2;
/** how far into the sweep the first valid configurations are looked for */
const LOOK_AHEAD = 64;
/** numbers of a grid dimension or choice list tried per configuration (a mode or a switch: all of its values) */
const VALUES = 3;

/** the swept keys with their distinct values (a range: its two ends) */
function sweptValues(spec: Pick<SweepSpec, 'grid' | 'random'>): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  // a key is swept by the grid or by the random draws, never both (the spec refuses that)
  const distinct = (values: unknown[]) => [...new Map(values.map((v) => [stableStringify(v), v])).values()];
  for (const d of spec.grid) out.set(d.path, distinct(d.values));
  for (const p of spec.random?.params ?? []) out.set(p.path, distinct(ends(p)));
  return out;
}

function ends(p: RandomParam): unknown[] {
  if ('choices' in p) return p.choices;
  if (p.step !== null) return [p.min, stepValue(p.min, p.step, stepCount(p.min, p.max, p.step))];
  if (p.integer) return [Math.ceil(p.min), Math.floor(p.max)];
  return [p.min, p.max];
}

const numeric = (values: readonly unknown[]) => values.every((v) => typeof v === 'number');

/** what decides a configuration's alerts in the columnar evaluator; null when it would replay the whole Pipeline */
function alertSignature(config: PipelineConfig): string | null {
  const plan = planEvaluation(config);
  if (plan.mode === 'replay') return null;
  return `${plan.featureKey}|${stableStringify(EVENT_TYPES.map((t) => RULES[t].inputs(config)))}|${stableStringify(config.cooldown)}`;
}

function parsed(base: Record<string, unknown>, params: Params): PipelineConfig | null {
  try {
    return parseConfig(applyParams(base, params));
  } catch (err) {
    // an invalid combination is the sweep's to report, row by row
    if (err instanceof UserError) return null;
    throw err;
  }
}

/** how a key's values compare in one configuration: 'differ', 'same' (at least two valid values), or 'unknown' */
function compare(base: Record<string, unknown>, sample: Params, path: string, values: readonly unknown[]): 'differ' | 'same' | 'unknown' {
  const signatures = new Set<string | null>();
  let valid = 0;
  for (const v of values) {
    const config = parsed(base, { ...sample, [path]: v });
    if (config === null) continue;
    valid++;
    signatures.add(alertSignature(config));
  }
  // a whole-Pipeline replay cannot be judged this way: the key may matter
  if (signatures.has(null) || signatures.size > 1) return 'differ';
  return valid >= 2 ? 'same' : 'unknown';
}

export function ineffectiveKeys(spec: Pick<SweepSpec, 'base' | 'grid' | 'random'>): IneffectiveKey[] {
  const first: Params[] = [];
  let looked = 0;
  for (const p of variants(spec)) {
    if (parsed(spec.base, p) !== null) first.push(p);
    if (first.length === SAMPLES || ++looked === LOOK_AHEAD) break;
  }
  if (first.length === 0) return [];
  const swept = sweptValues(spec);
  const out: IneffectiveKey[] = [];
  for (const [path, all] of swept) {
    const values = numeric(all) ? all.slice(0, VALUES) : all;
    if (values.length < 2) continue;
    // each value of every other key that is not a number (a mode, a switch), in the first valid configuration: every
    // one must be compared, or the key may matter under the value that could not be
    const modes: Params[] = [];
    for (const [other, otherValues] of swept) {
      if (other !== path && !numeric(otherValues)) for (const v of otherValues) modes.push({ ...first[0], [other]: v });
    }
    let checked = 0;
    let unchanged = true;
    for (const [i, sample] of [...first, ...modes].entries()) {
      const c = compare(spec.base, sample, path, values);
      if (c === 'differ' || (c === 'unknown' && i >= first.length)) {
        unchanged = false;
        break;
      }
      if (c === 'same') checked++;
    }
    if (unchanged && checked > 0) out.push({ path, checked });
  }
  return out;
}
