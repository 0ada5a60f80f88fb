// The live store lets go of its DuckDB file after an idle time so `regime live status` can read beside a running
// `regime live`; a pinned store keeps the file open between operations (each let-go checkpoints), and lets go as
// usual once unpinned. Timers are faked (DuckDB uses none), so nothing here waits on time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LiveStore } from './store.ts';

const dirs: string[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function openStore(): Promise<LiveStore> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-store-pin-'));
  dirs.push(dir);
  return LiveStore.open(dir, { idleCloseMs: 250 });
}

const fakeTimers = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });

describe('live store idle close', () => {
  it('unpinned: lets go of the file once idle for idleCloseMs, and reopens it for the next operation', async () => {
    const store = await openStore();
    // the idle timer is armed when the operation ends: fake it from before (DuckDB itself uses no timer)
    fakeTimers();
    await store.setMeta({ a: '1' });
    expect(store.holdsFile).toBe(true);
    vi.advanceTimersByTime(249);
    expect(store.holdsFile).toBe(true);
    vi.advanceTimersByTime(1);
    expect(store.holdsFile).toBe(false);
    vi.useRealTimers();
    expect(await store.meta()).toEqual({ a: '1' });
    expect(store.holdsFile).toBe(true);
    await store.close();
  });

  it('pinned: keeps the file open between operations however long they are apart; unpinned: lets go after the idle time', async () => {
    const store = await openStore();
    const unpin = store.pin();
    await store.setMeta({ a: '1' });
    fakeTimers();
    // no idle timer is even armed while pinned
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(store.holdsFile).toBe(true);
    vi.useRealTimers();
    await store.setMeta({ b: '2' });
    expect(store.holdsFile).toBe(true);

    fakeTimers();
    unpin();
    unpin(); // a second call does nothing (the pin count cannot go below another caller's pin)
    vi.advanceTimersByTime(249);
    expect(store.holdsFile).toBe(true);
    vi.advanceTimersByTime(1);
    expect(store.holdsFile).toBe(false);
    vi.useRealTimers();
    expect(await store.meta()).toEqual({ a: '1', b: '2' });
    await store.close();
  });

  it('two pins: the file is let go only after both are released', async () => {
    const store = await openStore();
    const one = store.pin();
    const two = store.pin();
    await store.setMeta({ a: '1' });
    fakeTimers();
    one();
    one();
    vi.advanceTimersByTime(10_000);
    expect(store.holdsFile).toBe(true);
    two();
    vi.advanceTimersByTime(250);
    expect(store.holdsFile).toBe(false);
    vi.useRealTimers();
    await store.close();
  });

  it('close() lets go of a pinned file', async () => {
    const store = await openStore();
    store.pin();
    await store.setMeta({ a: '1' });
    await store.close();
    expect(store.holdsFile).toBe(false);
    const again = await LiveStore.open(path.dirname(store.file), { readOnly: true });
    expect(await again.meta()).toEqual({ a: '1' });
    await again.close();
  });
});
