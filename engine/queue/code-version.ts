/**
 * The version of the code that computes results, as a hash of its sources: a queue worker on another machine
 * may run a checkout that differs from the coordinator's without any commit between them (or no git at all, in
 * a container), and a result computed by other code must not land in the coordinator's sweep.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '../..');

function sources(dir: string, out: string[]): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (/\.(ts|mjs)$/.test(e.name) && !/\.test\.ts$/.test(e.name)) out.push(p);
  }
}

let cached: string | null = null;

/**
 * REGIME_CODE_VERSION, when set, is taken as the version instead of the hash: a deployment that pins a build
 * (a container image digest) can say so, and tests in a working tree that others edit meanwhile pin it.
 */
export function currentCodeVersion(): string {
  const pinned = process.env.REGIME_CODE_VERSION?.trim();
  return pinned ? `pinned:${pinned}` : codeVersion();
}

/** the folders whose code decides a sweep's numbers: data loading, detectors, rules, replay, scoring, the sweep */
const RESULT_CODE = ['engine/data', 'engine/detectors', 'engine/pipeline', 'engine/replay', 'engine/score', 'engine/sweep'];

/** sha256 over the result code (tests excluded) and package-lock.json, by relative path; computed once per process */
export function codeVersion(repo = REPO): string {
  if (cached !== null && repo === REPO) return cached;
  const files: string[] = [];
  for (const d of RESULT_CODE) if (fs.existsSync(path.join(repo, d))) sources(path.join(repo, d), files);
  const lock = path.join(repo, 'package-lock.json');
  if (fs.existsSync(lock)) files.push(lock);
  const h = createHash('sha256');
  for (const f of files.sort()) {
    h.update(path.relative(repo, f).split(path.sep).join('/'));
    h.update('\0');
    h.update(fs.readFileSync(f));
    h.update('\0');
  }
  const v = h.digest('hex');
  if (repo === REPO) cached = v;
  return v;
}
