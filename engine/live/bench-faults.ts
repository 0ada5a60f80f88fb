/**
 * `npm run bench live-crash`: the live crash harness (crash-harness.ts) with 20 seeded kill points over every
 * phase of an hour and of a delivery, seeded receiver faults (500s quoting secrets, resets, 429s) and exchange
 * faults (502s, one funding rate of 0.5 that must be quarantined), 60 hours of the bundled real history. Each kill
 * is at the first or second hit of its point after a restart, so every kill lands while hours are left to step.
 * Prints hours stepped, alerts, owed/delivered/lost/duplicates, 429-early requests and secret hits. Its time is
 * mostly 21 process start-ups; which points are reached does not depend on timing (crash-harness.ts), so a point
 * not reached makes the verdict BROKEN.
 */
import { formatCrashResult, runCrashHarness } from './crash-harness.ts';
import { seededKillSpecs } from './kill-points.ts';

export async function benchLiveCrash(seed = 20260301, points = 20): Promise<string[]> {
  const kills = seededKillSpecs(seed, points);
  const r = await runCrashHarness({ kills, hours: 60, seed });
  const verdict = r.notReached.length === 0 && r.lost === 0 && r.pending === 0 && r.duplicatesWrongKey === 0 && r.missingHours.length === 0 && r.hoursBadStepCount === 0 && !r.outOfOrder && r.logProblems.length === 0 && r.secretHits === 0 && r.early429 === 0;
  return [
    `## Live crash harness: ${points} seeded kill points (seed ${seed}), restart after each, receiver and exchange faults`,
    `kill points: ${kills.join(' ')}`,
    ...formatCrashResult(r),
    `verdict: ${verdict ? 'INTACT (every point reached, lost 0, every hour once and in order, duplicates only under the same key, 0 secret hits, 0 early requests)' : 'BROKEN'}`,
  ];
}
