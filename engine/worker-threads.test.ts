import { execFile } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startThreadsAhead } from './cli/threads-ahead.ts';
import { startAhead, startThread, SWEEP_WORKER, waitingAhead, type ThreadKind, type ThreadsAhead } from './worker-threads.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** synthetic thread entries: one that answers with its thread id, one that fails as it loads */
const ECHO = "const { parentPort, threadId } = require('node:worker_threads'); parentPort.on('message', () => parentPort.postMessage(threadId));";
const echo: ThreadKind = { entry: new URL(`data:text/javascript,${encodeURIComponent(`import { createRequire } from 'node:module'; const require = createRequire('${import.meta.url}'); ${ECHO}`)}`), options: {} };
const failing: ThreadKind = { entry: new URL(`data:text/javascript,${encodeURIComponent("throw new Error('synthetic failure at load')")}`), options: {} };

const started: { terminate(): Promise<number> }[] = [];
const starters: (ThreadsAhead | null)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all([...starters.splice(0).map((a) => a?.stop()), ...started.splice(0).map((w) => w.terminate())]);
});

describe('worker threads started ahead', () => {
  it('hands out the thread started ahead, and a new one once none waits', async () => {
    starters.push(startAhead(echo, 1));
    const [ahead] = waitingAhead(echo);
    const taken = startThread(echo);
    started.push(taken);
    expect(taken).toBe(ahead);
    expect(waitingAhead(echo)).toHaveLength(0);
    // it works for its taker, which listens from now on
    taken.postMessage('id?');
    const [id] = await once(taken, 'message');
    expect(id).toBe(ahead.threadId);
    const fresh = startThread(echo);
    started.push(fresh);
    expect(fresh).not.toBe(ahead);
  });

  it('never hands out a thread that failed before it was taken', async () => {
    starters.push(startAhead(failing, 1));
    const [dead] = waitingAhead(failing);
    // (events.once would reject at the 'error' that comes first)
    await new Promise((resolve) => dead.once('exit', resolve));
    const taken = startThread(failing);
    started.push(taken);
    expect(taken).not.toBe(dead);
    // the new thread's failure reaches the taker's listener
    const [err] = await once(taken, 'error');
    expect((err as Error).message).toContain('synthetic failure at load');
  });

  it('a thread started ahead and never taken does not keep the process alive', async () => {
    const script = `import { startAhead } from './engine/worker-threads.ts';
      startAhead({ entry: new URL('data:text/javascript,setInterval(() => {}, 1000)'), options: {} }, 2);
      console.log('started');`;
    // a process held open would be killed at the timeout and fail here
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, timeout: 20_000 });
    expect(stdout.trim()).toBe('started');
  });

  it('stops the threads its starter started and nobody took, and no others', async () => {
    const mine = startAhead(echo, 2);
    const other = startAhead(echo, 1);
    starters.push(other);
    const [taken, untaken, others] = waitingAhead(echo);
    expect(startThread(echo)).toBe(taken);
    started.push(taken);
    const exited = new Promise((resolve) => untaken.once('exit', resolve));
    await mine.stop();
    await exited;
    expect(waitingAhead(echo)).toEqual([others]);
    // the one taken still works for its taker
    taken.postMessage('id?');
    const [id] = await once(taken, 'message');
    expect(id).toBe(taken.threadId);
  });

  it('the CLI starts a sweep worker on each core its loading leaves idle, within the last --workers', () => {
    vi.spyOn(os, 'availableParallelism').mockReturnValue(4);
    starters.push(startThreadsAhead('sweep', ['sweep', '--spec', 'x.json']));
    expect(waitingAhead(SWEEP_WORKER)).toHaveLength(3);
    starters.push(startThreadsAhead('sweep', ['--datasets', path.join(ROOT, 'datasets'), 'sweep', '--spec=x.json', '--workers', '3', '--workers=2']));
    expect(waitingAhead(SWEEP_WORKER)).toHaveLength(5);
    // a queued sweep keeps one worker of its own
    starters.push(startThreadsAhead('sweep', ['sweep', '--spec', 'x.json', '--queue=redis://127.0.0.1:1']));
    expect(waitingAhead(SWEEP_WORKER)).toHaveLength(6);
  });

  it('the CLI starts none for help, for a --workers it will refuse, or for other commands', () => {
    vi.spyOn(os, 'availableParallelism').mockReturnValue(4);
    for (const args of [['sweep', '--help'], ['sweep', '-h'], ['sweep', '--workers', '1.5'], ['sweep', '--workers=0'], ['sweep', '--workers', 'two']]) {
      expect(startThreadsAhead('sweep', args)).toBeNull();
    }
    expect(startThreadsAhead('backtest', ['backtest'])).toBeNull();
    expect(startThreadsAhead(null, [])).toBeNull();
    expect(waitingAhead(SWEEP_WORKER)).toHaveLength(0);
  });
});
