/**
 * Seeded crash points for the crash harness. `REGIME_KILL_AT=<point>:<n>` makes the process SIGKILL itself the
 * n-th time it reaches `<point>` — an exact place in the code, never a moment in time, so a crash run is
 * reproducible. Unset (production), every call is one property read.
 *
 * The points cover every phase of a live hour and of a delivery:
 *   fetch        after an hour's REST data is in, before its step
 *   step         after the pipeline stepped the hour, before anything is written
 *   append       after the hour's rows are in the Parquet history, before the hour is recorded
 *   commit       after the hour + its events + outbox rows are committed, before the worker is told
 *   request-wait inside a REST retry wait
 *   deliver      before a delivery attempt's request is sent
 *   delivered    after the receiver answered, before the attempt is recorded (the duplicate-making point)
 *   retry-wait   after a failed attempt is recorded, as the entry starts waiting for its retry
 */
import { Mulberry32 } from '../score/prng.ts';

export const KILL_POINTS = ['fetch', 'step', 'append', 'commit', 'request-wait', 'deliver', 'delivered', 'retry-wait'] as const;
export type KillPoint = (typeof KILL_POINTS)[number];

export const KILL_ENV = 'REGIME_KILL_AT';

/** the points inside the webhook worker: reached only while the outbox holds something to deliver */
export const DELIVERY_KILL_POINTS: ReadonlySet<KillPoint> = new Set(['deliver', 'delivered', 'retry-wait']);

/**
 * The order seeded specs cycle through: `commit` right before the delivery points, because a run killed after an
 * hour's commit leaves that hour's alerts in the outbox (every hour of the harness's data has one), so the
 * delivery runs that follow always have something to deliver.
 */
const SEEDED_ORDER: readonly KillPoint[] = ['fetch', 'step', 'append', 'request-wait', 'commit', 'deliver', 'delivered', 'retry-wait'];

interface Armed {
  point: KillPoint;
  nth: number;
}

export function parseKillSpec(spec: string | undefined): Armed | null {
  if (!spec) return null;
  const m = /^([a-z-]+):(\d+)$/.exec(spec.trim());
  if (!m || !(KILL_POINTS as readonly string[]).includes(m[1]) || Number(m[2]) < 1) {
    throw new Error(`${KILL_ENV}: '${spec}' is not <point>:<n> with point one of ${KILL_POINTS.join(', ')} and n ≥ 1`);
  }
  return { point: m[1] as KillPoint, nth: Number(m[2]) };
}

let armed: Armed | null | undefined;
const hits = new Map<KillPoint, number>();

/** marks that the process reached `point`; kills it there when that is the armed hit */
export function killPoint(point: KillPoint): void {
  if (armed === undefined) armed = parseKillSpec(process.env[KILL_ENV]);
  if (armed === null || armed.point !== point) return;
  const n = (hits.get(point) ?? 0) + 1;
  hits.set(point, n);
  if (n !== armed.nth) return;
  // written synchronously so the harness can see which point fired; then no cleanup of any kind runs
  try {
    process.stderr.write(`kill point ${point}:${n}\n`);
  } catch {
    // stderr closed: the kill still happens
  }
  process.kill(process.pid, 'SIGKILL');
}

/**
 * A seeded choice of `count` kill specs spread over every point (each point at least once when count allows), in
 * SEEDED_ORDER, each at the first or second hit of its point after a restart (`maxNth` to go further), so that
 * the hour points use up only a few hours each and every kill lands while hours are left to step.
 */
export function seededKillSpecs(seed: number, count: number, maxNth = 2): string[] {
  const rng = new Mulberry32(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(`${SEEDED_ORDER[i % SEEDED_ORDER.length]}:${1 + Math.floor(rng.next() * maxNth)}`);
  return out;
}
