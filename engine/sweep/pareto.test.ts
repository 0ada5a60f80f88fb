import { describe, expect, it } from 'vitest';
import { paretoFront } from './pareto.ts';

describe('Pareto front', () => {
  it('keeps the non-dominated points of a hand-built set', () => {
    // x: alerts per day (higher better), y: precision (higher better)
    const x = [1, 2, 3, 2, 4, 1, 3, 0.5, null];
    const y = [0.9, 0.8, 0.5, 0.7, 0.5, 0.6, 0.4, 0.95, 1];
    // 3: dominated by 1; 2: dominated by 4 (same y, more alerts); 5, 6 dominated; 8 has no x
    expect(paretoFront(x, y, 'higher', 'higher')).toEqual([7, 0, 1, 4]);
  });

  it('handles lower-is-better metrics, ties and duplicates', () => {
    // x: false alarms per week (lower better), y: recall (higher better)
    const x = [5, 5, 3, 3, 8, 10];
    const y = [0.6, 0.5, 0.4, 0.4, 0.6, 0.9];
    // 0 beats 1 (same x, higher y) and 4 (same y, fewer false alarms); 2 and 3 are identical and both stay
    expect(paretoFront(x, y, 'lower', 'higher')).toEqual([2, 3, 0, 5]);
    expect(paretoFront([], [], 'lower', 'higher')).toEqual([]);
    expect(paretoFront([NaN, 1], [1, NaN], 'lower', 'higher')).toEqual([]);
  });
});
