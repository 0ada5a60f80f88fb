// Console number cells never show a negative zero.
import { describe, expect, it } from 'vitest';
import { fixed } from './scorecard-table.ts';

describe('fixed', () => {
  it('drops the sign of a value that rounds to zero and keeps real negatives', () => {
    expect(fixed(-0.04, 1)).toBe('0.0');
    expect(fixed(-0.0004, 3)).toBe('0.000');
    expect(fixed(-0, 0)).toBe('0');
    expect(fixed(-0.05, 1)).toBe('-0.1');
    expect(fixed(-1.25, 2)).toBe('-1.25');
    expect(fixed(0.04, 1)).toBe('0.0');
  });
});
