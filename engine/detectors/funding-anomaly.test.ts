import { describe, expect, it } from 'vitest';
import { HOUR_MS, type FundingInput } from '../pipeline/input.ts';
import { FundingAnomalyDetector, FundingConfig, fundingState, isFundingReversal, rate8h, type FundingOutput } from './funding-anomaly.ts';
import { seededGaussian } from './synthetic.ts';

const T0 = Date.UTC(2024, 0, 1);
const cfg = (over: object = {}) => FundingConfig.parse(over);
const settle = (hour: number, rate: number, intervalHours: number): FundingInput => ({ rate, intervalHours, settledAt: T0 + hour * HOUR_MS });

/** steps every clock hour from 0 to lastHour; settlements keyed by hour */
function run(d: FundingAnomalyDetector, settlements: Map<number, FundingInput>, lastHour: number): FundingOutput[] {
  const outs: FundingOutput[] = [];
  for (let h = 0; h <= lastHour; h++) outs.push(d.step(T0 + h * HOUR_MS, settlements.get(h) ?? null));
  return outs;
}

describe('funding helpers', () => {
  it('normalises rates to 8 h', () => {
    expect(rate8h(0.0001, 8)).toBeCloseTo(0.0001, 15);
    expect(rate8h(0.0001, 4)).toBeCloseTo(0.0002, 15);
    expect(rate8h(0.0001, 1)).toBeCloseTo(0.0008, 15);
  });

  it('classifies |z|: original example z 1.67 is a watch, not an anomaly', () => {
    const c = cfg();
    expect(fundingState(1.67, c)).toBe('watch');
    expect(fundingState(2, c)).toBe('anomaly');
    expect(fundingState(-2.5, c)).toBe('anomaly');
    expect(fundingState(1, c)).toBe('watch');
    expect(fundingState(0.99, c)).toBe('normal');
  });

  it('reversal is a strict sign flip after an extreme', () => {
    expect(isFundingReversal(0.001, -0.0001, true)).toBe(true);
    expect(isFundingReversal(0.001, -0.0001, false)).toBe(false);
    expect(isFundingReversal(0.001, 0, true)).toBe(false);
  });
});

describe('FundingAnomalyDetector', () => {
  // 48 h window, 4 h settlements: the 11 settlements before the current one cover 44/48 h (≥ 90 %)
  const c48 = cfg({ lookback_days: 2, min_settlements: 5 });

  it('z-scores the latest settlement against the previous window only (hand computed)', () => {
    const d = new FundingAnomalyDetector(c48);
    const s = new Map<number, FundingInput>();
    // 8h-equivalent rates 1..11 (× 1e-4) at 4 h intervals: mean 6, sample std √11
    for (let i = 1; i <= 11; i++) s.set(i * 4, settle(i * 4, (i * 1e-4) / 2, 4));
    const current = (6 + 1.67 * Math.sqrt(11)) * 1e-4;
    s.set(48, settle(48, current / 2, 4));
    const outs = run(d, s, 50);
    const o = outs[48];
    expect(o.status).toBe('ok');
    expect(o.rate_8h).toBeCloseTo(current, 15);
    expect(o.mean_8h).toBeCloseTo(6e-4, 15);
    expect(o.std_8h).toBeCloseTo(Math.sqrt(11) * 1e-4, 15);
    expect(o.z).toBeCloseTo(1.67, 9);
    expect(o.state).toBe('watch');
    expect(o.percentile).toBe(1);
    expect(o.settlements_in_window).toBe(11);
    expect(o.coverage).toBeCloseTo(44 / 48, 12);
    expect(o.hours_since_settlement).toBe(0);
    // the settlement stands between settlements
    expect(outs[50].z).toBe(o.z);
    expect(outs[50].hours_since_settlement).toBe(2);
  });

  it('excludes settlements at exactly current − lookback and needs coverage', () => {
    const d = new FundingAnomalyDetector(cfg({ lookback_days: 2, min_settlements: 2 }));
    const s = new Map<number, FundingInput>();
    // 8 h settlements: 5 before the current one inside (t − 48 h, t) cover 40/48 h < 90 %
    for (let h = 0; h <= 48; h += 8) s.set(h, settle(h, 1e-4 * (h / 8 + 1), 8));
    const o = run(d, s, 48)[48];
    expect(o.settlements_in_window).toBe(5);
    expect(o.coverage).toBeCloseTo(40 / 48, 12);
    expect(o.status).toBe('low_coverage');
    expect(o.z).toBeNull();
    expect(o.rate_8h).toBeCloseTo(7e-4, 15);
  });

  it('keys the window by time when the interval changes', () => {
    const d = new FundingAnomalyDetector(cfg({ lookback_days: 2, min_settlements: 2 }));
    const s = new Map<number, FundingInput>();
    for (let h = 0; h <= 24; h += 8) s.set(h, settle(h, 1e-4, 8));
    for (let h = 28; h <= 72; h += 4) s.set(h, settle(h, 0.5e-4 + (h % 8) * 1e-6, 4));
    const outs = run(d, s, 72);
    // at 72: window (24, 72) holds the 4 h settlements 28..68 = 11 of them
    expect(outs[72].settlements_in_window).toBe(11);
    expect(outs[72].coverage).toBeCloseTo(44 / 48, 12);
    // at 48: window (0, 48) holds 8, 16, 24 (8 h each) and 28..44 (4 h each)
    expect(outs[48].settlements_in_window).toBe(3 + 5);
    expect(outs[48].coverage).toBeCloseTo((24 + 20) / 48, 12);
    expect(outs[48].status).toBe('ok');
  });

  it('goes stale after stale_after_hours and has no data before the first settlement', () => {
    const d = new FundingAnomalyDetector(cfg({ stale_after_hours: 3 }));
    const outs = run(d, new Map([[2, settle(2, 1e-4, 8)]]), 7);
    expect(outs[0].status).toBe('no_data');
    expect(outs[0].rate_8h).toBeNull();
    expect(outs[5].rate_8h).toBeCloseTo(1e-4, 15);
    expect(outs[5].hours_since_settlement).toBe(3);
    expect(outs[6].status).toBe('no_data');
    expect(outs[6].rate_8h).toBeNull();
    expect(outs[6].hours_since_settlement).toBe(4);
  });

  it('flags a reversal only after an extreme within the last K settlements', () => {
    const base = (h: number) => 1e-4 + ((h / 4) % 3) * 1e-6;
    const build = (extremeAt: number, flipAt: number) => {
      const s = new Map<number, FundingInput>();
      for (let h = 4; h <= flipAt; h += 4) {
        let r = base(h);
        if (h === extremeAt) r = 50e-4;
        if (h === flipAt) r = -1e-4;
        s.set(h, settle(h, r / 2, 4));
      }
      return run(new FundingAnomalyDetector({ ...c48, reversal_lookback_settlements: 3 }), s, flipAt);
    };
    const near = build(100, 108);
    expect(near[100].state).toBe('anomaly');
    expect(near[108].reversal).toBe(true);
    expect(near[104].reversal).toBe(false);
    // the extreme is 4 settlements before the flip: outside K = 3
    const far = build(100, 116);
    expect(far[116].reversal).toBe(false);
  });

  it('is causal and finite on a synthetic series', () => {
    const go = (tamper: boolean) => {
      const g = seededGaussian(3);
      const s = new Map<number, FundingInput>();
      for (let h = 0; h < 2000; h += 8) s.set(h, settle(h, tamper && h > 1500 ? 0.05 : 1e-4 * (1 + g()), 8));
      return run(new FundingAnomalyDetector(cfg()), s, 1999);
    };
    const a = go(false);
    const b = go(true);
    expect(b.slice(0, 1501)).toEqual(a.slice(0, 1501));
    for (const o of a.slice(800)) {
      expect(o.status).toBe('ok');
      expect(Number.isFinite(o.z)).toBe(true);
      expect(Number.isFinite(o.percentile)).toBe(true);
    }
  });

  it('a window of identical settlements gives no z but flat_window, even after a varied history (SOLUSDT 2022-01-21 16:00)', () => {
    const g = seededGaussian(21);
    const s = new Map<number, FundingInput>();
    let h = 0;
    // varied rates first, so a running sum would carry residue into the constant stretch
    for (; h < 60 * 24; h += 8) s.set(h, settle(h, 0.0001 + 0.0003 * g(), 8));
    for (let i = 0; i < 90; i++, h += 8) s.set(h, settle(h, 0.0001, 8));
    const last = h;
    s.set(last, settle(last, -0.00005, 8));
    const outs = run(new FundingAnomalyDetector(cfg()), s, last + 1);
    const o = outs[last];
    expect(o.settlements_in_window).toBe(89);
    expect(o.status).toBe('flat_window');
    expect(o.z).toBeNull();
    expect(o.state).toBeNull();
    expect(o.std_8h).toBe(0);
    expect(o.mean_8h).toBe(0.0001);
    expect(outs[last + 1].status).toBe('flat_window');
    // one settlement before, the window still held a varied rate: a real z
    expect(outs[last - 8 * 89].status).toBe('ok');
  });
});
