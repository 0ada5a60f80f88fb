// The CLI's one time parser: UTC ISO or epoch ms, nothing read in local time, no impossible dates.
import { describe, expect, it } from 'vitest';
import { parseIsoTime, parseTimeArg } from './time.ts';
import { UserError } from './errors.ts';

const T0 = Date.UTC(2024, 0, 1);
const H = 3_600_000;

describe('parseTimeArg', () => {
  it('reads UTC ISO dates and times, explicit offsets and 13-digit epoch ms', () => {
    expect(parseTimeArg('2024-01-01', '--from')).toBe(T0);
    expect(parseTimeArg('2024-01-01T05:00', '--from')).toBe(T0 + 5 * H);
    expect(parseTimeArg('2024-01-01 05:00Z', '--from')).toBe(T0 + 5 * H);
    expect(parseTimeArg('2024-01-01T05:00:30.5Z', '--from')).toBe(T0 + 5 * H + 30_500);
    expect(parseTimeArg('2024-01-01T07:00+02:00', '--from')).toBe(T0 + 5 * H);
    expect(parseTimeArg('2024-01-01T00:00-0130', '--from')).toBe(T0 + 1.5 * H);
    expect(parseTimeArg(String(T0), '--from')).toBe(T0);
    expect(parseTimeArg(T0, '--from')).toBe(T0);
  });

  it('never depends on the machine time zone', () => {
    const tz = process.env.TZ;
    try {
      process.env.TZ = 'America/New_York';
      expect(parseTimeArg('2024-01-01T05:00', '--from')).toBe(T0 + 5 * H);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });

  for (const bad of ['5', '1704067200', 'March 1 2026', '2026-03-01 5pm', '2026-02-30', '2026-13-01', '2026-03-01T24:00', '2026-03-01T10:61', 'yesterday', '', '2026-3-1']) {
    it(`rejects '${bad}' naming the option and the accepted forms`, () => {
      expect(() => parseTimeArg(bad, '--from')).toThrow(UserError);
      expect(() => parseTimeArg(bad, '--from')).toThrow(new RegExp(`^--from '${bad}' is not a time: use a UTC ISO time`));
    });
  }

  it('knows leap years', () => {
    expect(parseIsoTime('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseIsoTime('2025-02-29')).toBeNull();
  });
});
