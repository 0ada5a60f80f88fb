// Crash safety with real child processes: `regime live` (accelerated clock, fake exchange serving the bundled
// real history, fake receiver with seeded faults) SIGKILLs itself at fixed kill points — an exchange fetch, the
// history append, the hour's commit, a receiver's 2xx not yet recorded, a retry wait — and is restarted after
// each. The points are places in the code chosen through REGIME_KILL_AT, never moments in time, and a delivery
// point is armed only in a run that steps no hour and drains the outbox against a scripted receiver
// (crash-harness.ts), so which points are reached does not depend on the machine's load. The 20-point run is in
// `npm run bench` (section live-crash) and REGIME_LONG_TESTS=1.
import { describe, expect, it } from 'vitest';
import { runCrashHarness, formatCrashResult, type CrashHarnessResult } from './crash-harness.ts';
import { parseKillSpec, seededKillSpecs } from './kill-points.ts';

function expectIntact(r: CrashHarnessResult): void {
  const why = [...formatCrashResult(r), ...r.logProblems.slice(0, 5), r.stderrTail].join('\n');
  expect(r.missingHours, why).toEqual([]);
  expect(r.hoursStepped, why).toBe(r.hoursExpected);
  expect(r.hoursBadStepCount, why).toBe(0);
  expect(r.outOfOrder, why).toBe(false);
  expect(r.alerts, why).toBeGreaterThanOrEqual(3);
  expect(r.owed, why).toBe(r.alerts);
  expect(r.lost, why).toBe(0);
  expect(r.delivered, why).toBe(r.owed);
  expect(r.pending, why).toBe(0);
  expect(r.dead, why).toBe(0);
  expect(r.duplicatesWrongKey, why).toBe(0);
  expect(r.logProblems, why).toEqual([]);
  expect(r.quarantined, why).toBe(1);
  expect(r.secretHits, why).toBe(0);
}

describe('kill points', () => {
  it('parses and validates REGIME_KILL_AT; seeded specs repeat and cover every point', () => {
    expect(parseKillSpec('append:2')).toEqual({ point: 'append', nth: 2 });
    expect(parseKillSpec(undefined)).toBeNull();
    expect(() => parseKillSpec('nowhere:1')).toThrow(/REGIME_KILL_AT/);
    expect(() => parseKillSpec('fetch:0')).toThrow(/n ≥ 1/);
    const a = seededKillSpecs(7, 20);
    expect(seededKillSpecs(7, 20)).toEqual(a);
    expect(new Set(a.map((s) => s.split(':')[0])).size).toBe(8);
    // commit comes right before the delivery points: its run leaves an alert in the outbox for them
    for (let i = 1; i < a.length; i++) if (a[i].startsWith('deliver:')) expect(a[i - 1]).toMatch(/^commit:/);
    expect(a.every((s) => Number(s.split(':')[1]) <= 2)).toBe(true);
  });
});

describe('SIGKILL at fixed kill points, restart after each', () => {
  it('every hour stepped once and in order, every alert stored once and delivered, outbox drained, logs consistent, no secret anywhere', async () => {
    // hours 0–1, then 2, then 3–7 (killed after 7's commit, its alert not yet sent); then two runs that only
    // deliver: killed after a failed attempt is recorded, and after a 2xx before it is recorded; the last run steps 8–9
    const r = await runCrashHarness({ kills: ['fetch:3', 'append:2', 'commit:5', 'retry-wait:1', 'delivered:1'], hours: 10 });
    expect(r.killed, formatCrashResult(r).join('\n')).toBe(5);
    expectIntact(r);
    // the 2xx that was never recorded was sent again, under the same idempotency key
    expect(r.duplicates).toBeGreaterThanOrEqual(1);
    // the seeded receiver faults were met (500 quoting secrets, resets, 429s)
    expect(r.receiverRequests).toBeGreaterThan(r.delivered);
    // six process start-ups (each a few seconds, far more on a loaded machine); nothing in it waits on time
  }, 20 * 60_000);

  it.runIf(process.env.REGIME_LONG_TESTS === '1')('20 seeded kill points over every phase', async () => {
    const kills = seededKillSpecs(20260301, 20);
    const r = await runCrashHarness({ kills, hours: 60, seed: 20260301 });
    expect(r.notReached, formatCrashResult(r).join('\n')).toEqual([]);
    expect(r.killed).toBe(20);
    expectIntact(r);
    // one duplicate per delivered:n run (a 2xx never recorded)
    expect(r.duplicates).toBeGreaterThanOrEqual(kills.filter((k) => k.startsWith('delivered:')).length);
  }, 60 * 60_000);
});
