/**
 * One writer at a time per dataset, across processes: `.writer.lock` is created atomically (link of a complete
 * temp file, so nobody ever reads half an owner) and names its owner. A lock whose owner died is stale; it is
 * broken only under a short second lock, and only if it still names the same dead owner, so two waiters can
 * never both take over. A second writer waits up to the timeout, then fails naming the owner.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../errors.ts';
import { isAlive, selfIdentity, type ProcessIdentity } from './process-identity.ts';

export const WRITER_LOCK = '.writer.lock';
const BREAKER_STALE_MS = 10_000;

interface LockOwner extends ProcessIdentity {
  command: string;
  since: string;
}

export interface WriterLockOptions {
  /** how long a second writer waits; default REGIME_WRITER_LOCK_TIMEOUT_MS or 60 s */
  timeoutMs?: number;
}

function readOwner(file: string): LockOwner | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner;
  } catch {
    return null;
  }
}

function tryCreate(file: string, content: string): boolean {
  const tmp = `${file}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`;
  fs.writeFileSync(tmp, content);
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Removes the lock if it still names `dead`; guarded so that only one process breaks it. */
function breakStale(file: string, dead: LockOwner): void {
  const breaker = `${file}.break`;
  if (!tryCreate(breaker, String(process.pid))) {
    try {
      if (Date.now() - fs.statSync(breaker).mtimeMs > BREAKER_STALE_MS) fs.rmSync(breaker, { force: true });
    } catch {
      /* gone meanwhile */
    }
    return;
  }
  try {
    const now = readOwner(file);
    if (now && now.pid === dead.pid && now.started === dead.started && now.since === dead.since) fs.rmSync(file, { force: true });
  } finally {
    fs.rmSync(breaker, { force: true });
  }
}

export interface WriterLock {
  release(): void;
}

export async function acquireWriterLock(datasetsDir: string, opts: WriterLockOptions = {}): Promise<WriterLock> {
  const file = path.join(datasetsDir, WRITER_LOCK);
  const timeoutMs = opts.timeoutMs ?? Number(process.env.REGIME_WRITER_LOCK_TIMEOUT_MS ?? 60_000);
  const me: LockOwner = { ...selfIdentity(), command: process.argv.slice(2, 4).join(' ') || 'node', since: new Date().toISOString() };
  const content = JSON.stringify(me);
  const deadline = Date.now() + timeoutMs;
  let wait = 20;
  for (;;) {
    if (tryCreate(file, content)) {
      return {
        release() {
          const now = readOwner(file);
          if (now && now.pid === me.pid && now.since === me.since) fs.rmSync(file, { force: true });
        },
      };
    }
    const owner = readOwner(file);
    if (owner && !isAlive(owner)) {
      breakStale(file, owner);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = owner ? `pid ${owner.pid} ('${owner.command}', since ${owner.since})` : 'another process';
      throw new UserError(
        `dataset ${datasetsDir} is being written by ${who}; waited ${Math.round(timeoutMs / 1000)} s — try again when it has finished`,
        1,
      );
    }
    await sleep(Math.min(wait, Math.max(1, deadline - Date.now())));
    wait = Math.min(wait * 2, 250);
  }
}

export async function withWriterLock<T>(datasetsDir: string, fn: () => Promise<T>, opts?: WriterLockOptions): Promise<T> {
  const lock = await acquireWriterLock(datasetsDir, opts);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
