/**
 * Drives `regime import` in a child process up to a named kill point and SIGKILLs it from outside (see
 * kill-point.ts): the import crash tests and the bench use it to prove roll-back and roll-forward.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KILL_ANNOUNCE } from './kill-point.ts';
import { Mulberry32 } from '../score/prng.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Every kill point of a commit that writes `staged` partition files over `replaced` existing ones. */
export function commitKillPoints(staged: number, replaced: number): { point: string; committed: boolean }[] {
  return [
    { point: 'commit:locked', committed: false },
    ...Array.from({ length: staged }, (_, i) => ({ point: `commit:staged-${i + 1}`, committed: false })),
    { point: 'commit:before-manifest', committed: false },
    { point: 'commit:manifest-written', committed: false },
    { point: 'commit:after-manifest', committed: true },
    ...Array.from({ length: replaced }, (_, i) => ({ point: `commit:gc-${i + 1}`, committed: true })),
    { point: 'commit:after-gc', committed: true },
  ];
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** the kill point the child announced before it was killed, if any */
  killedAt: string | null;
}

/** Runs the `regime` CLI; with `killAt` the child is SIGKILLed from here as soon as it announces that point. */
export function runRegime(args: string[], opts: { killAt?: string; env?: Record<string, string> } = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
    delete env.REGIME_KILL_AT;
    if (opts.killAt) env.REGIME_KILL_AT = opts.killAt;
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts/regime.mjs'), ...args], { cwd: REPO_ROOT, env });
    let stdout = '';
    let stderr = '';
    let killedAt: string | null = null;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = new RegExp(`${KILL_ANNOUNCE} (\\S+)`).exec(stderr);
      if (m && killedAt === null) {
        killedAt = m[1];
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, killedAt }));
  });
}

/** Deterministic choice of `count` kill points from a seed, for sampled runs of the harness. */
export function pickKillPoints<T>(points: T[], count: number, seed: number): T[] {
  const rng = new Mulberry32(seed);
  const pool = [...points];
  const out: T[] = [];
  while (out.length < count && pool.length > 0) out.push(pool.splice(rng.below(pool.length), 1)[0]);
  return out;
}
