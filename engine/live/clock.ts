/**
 * The live loop's notion of time, injectable: the wall clock in production, an accelerated clock to run a fake
 * exchange's history faster than real time, and a virtual clock for tests and the parity check, whose time
 * moves only when someone sleeps — so a two-week run takes as long as the work, and nothing depends on timing.
 */

export interface Clock {
  now(): number;
  /** resolves once now() ≥ at; rejects with an AbortError when the signal fires */
  sleepUntil(at: number, signal?: AbortSignal): Promise<void>;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function abortError(): Error {
  const e = new Error('aborted');
  e.name = 'AbortError';
  return e;
}

function realWait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleepUntil: (at, signal) => realWait(at - Date.now(), signal),
  sleep: (ms, signal) => realWait(ms, signal),
};

/** time = start + (real time elapsed) × speed */
export class AcceleratedClock implements Clock {
  private readonly realStart = Date.now();
  constructor(
    private readonly start: number,
    private readonly speed: number,
  ) {
    if (!(speed > 0)) throw new RangeError('clock speed must be > 0');
  }

  now(): number {
    return this.start + (Date.now() - this.realStart) * this.speed;
  }

  async sleepUntil(at: number, signal?: AbortSignal): Promise<void> {
    // timers can fire a little early relative to the scaled clock: loop until it really is `at`
    while (this.now() < at) await realWait(Math.max(1, (at - this.now()) / this.speed), signal);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.sleepUntil(this.now() + ms, signal);
  }
}

/**
 * Time stands still until a sleeper asks for a later time; then it jumps there, listeners run (a fake exchange
 * publishing what "happened" meanwhile) and the sleeper resumes after a macrotask, so I/O started before the
 * jump is seen first.
 */
export class VirtualClock implements Clock {
  private t: number;
  private readonly listeners = new Set<(now: number) => void | Promise<void>>();

  constructor(start: number) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  onAdvance(fn: (now: number) => void | Promise<void>): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async sleepUntil(at: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw abortError();
    if (at > this.t) {
      this.t = at;
      for (const fn of this.listeners) await fn(at);
    }
    await new Promise((r) => setImmediate(r));
    if (signal?.aborted) throw abortError();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.sleepUntil(this.t + ms, signal);
  }
}
