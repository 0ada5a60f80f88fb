// correlation.pairs "anchors" through the sweep's feature cache and columnar evaluator: on a SYNTHETIC 6-symbol
// universe the evaluator gives exactly the Pipeline's alerts (pair slots = symbol count + anchor-pair index).
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../pipeline/config.ts';
import { runReplay } from '../replay/replay.ts';
import { syntheticUniverse } from '../testing/synthetic-universe.ts';
import { ColumnarEvaluator, materialiseAlerts } from './evaluate.ts';
import { computeFeatures } from './features.ts';
import { planEvaluation } from './keys.ts';

describe('anchor pairs in sweeps', () => {
  it('feature pairs follow the detector and the columnar alerts equal the Pipeline alerts', () => {
    const data = syntheticUniverse({ symbols: 6, hours: 4000, seed: 5, outagesPerYear: 6 });
    const config = parseConfig({
      symbols: data.symbols,
      correlation: { pairs: 'anchors', anchors: ['SYN001USDT'], break_drop: 0.1, break_level: 0.2 },
      cooldown: { CORRELATION_BREAK: { transition_only: false, cooldown_hours: 0, max_per_day: 100 } },
    });
    const plan = planEvaluation(config);
    const fs = computeFeatures(data, plan.featureConfig, plan.featureKey);
    expect(fs.pairs.map((p) => `${p.a}-${p.b}`)).toEqual(['0-1', '1-2', '1-3', '1-4', '1-5']);
    const pipeline = runReplay(data, config).alerts;
    const columnar = materialiseAlerts(fs, new ColumnarEvaluator(fs).evaluate(config));
    const key = (a: { id: string; ts: number; symbol: string; event_type: string; severity: string; direction: number | null }) =>
      `${a.id}|${a.ts}|${a.symbol}|${a.event_type}|${a.severity}|${a.direction}`;
    const breaks = pipeline.filter((a) => a.event_type === 'CORRELATION_BREAK');
    expect(breaks.length).toBeGreaterThan(20);
    expect(breaks.every((a) => a.symbol.includes('SYN001USDT'))).toBe(true);
    expect(columnar.map(key)).toEqual(pipeline.map(key));
  });
});
