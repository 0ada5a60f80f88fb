/**
 * Progress on stderr, only when a person is watching: never in CI logs, pipes or --json output.
 *
 * Drawn synchronously on update rather than from a timer: the replay, the scorer and the lookahead check run
 * in one synchronous loop, where a timer-driven bar never gets to redraw (it sat at 0 % and jumped to 100 %).
 * A redraw happens when the shown percentage changes or 250 ms have passed, so a fast loop costs nothing.
 * stop() erases the line completely: nothing is left behind for the output that follows.
 */
import { thousands } from '../thousands.ts';

export interface Progress {
  /** begins (or, with the same label, continues) a counted phase: a bar with counts and an ETA */
  start(total: number, label: string): void;
  update(value: number, label?: string): void;
  /** a phase without counts (saving, scoring): the label, and while the event loop runs, the time it has taken */
  phase(label: string): void;
  /** erases the line; the next start/phase draws afresh */
  stop(): void;
}

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

export interface ProgressOptions {
  stream?: ProgressStream;
  env?: Record<string, string | undefined>;
  now?: () => number;
}

const noop: Progress = { start() {}, update() {}, phase() {}, stop() {} };
const BAR_WIDTH = 24;
const REDRAW_MS = 250;
const CLEAR = '\r\x1b[2K';

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const count = (n: number) => thousands(Math.round(n));

/** One line of a counted phase; the ETA appears once there is a rate to extrapolate from. */
export function progressLine(label: string, done: number, total: number, elapsedMs: number): string {
  const frac = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(frac * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
  const eta = done > 0 && done < total && elapsedMs >= 500 ? ` · ETA ${formatDuration((elapsedMs / done) * (total - done))}` : '';
  return `${label} ${bar} ${Math.floor(frac * 100)}% ${count(done)}/${count(total)}${eta}`;
}

export function createProgress(opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  const env = opts.env ?? process.env;
  if (!stream.isTTY || env.CI) return noop;
  const now = opts.now ?? Date.now;
  let label = '';
  let total = 0;
  let value = 0;
  let startedAt = 0;
  let drawnAt = -Infinity;
  let drawnPct = -1;
  let active = false;
  let counted = false;
  let ticker: ReturnType<typeof setInterval> | null = null;
  const stopTicker = () => {
    if (ticker) clearInterval(ticker);
    ticker = null;
  };

  const write = (line: string) => {
    const width = Math.max(20, (stream.columns || 100) - 1);
    stream.write(CLEAR + (line.length > width ? line.slice(0, width - 1) + '…' : line));
  };
  const draw = (force: boolean) => {
    const t = now();
    const pct = total > 0 ? Math.floor((100 * value) / total) : 0;
    if (!force && pct === drawnPct && t - drawnAt < REDRAW_MS) return;
    drawnAt = t;
    drawnPct = pct;
    write(progressLine(label, value, total, t - startedAt));
  };

  return {
    start(n, l) {
      // callers report (done, total) on every step; the same phase must not restart its clock
      if (active && counted && l === label) {
        total = n;
        return;
      }
      stopTicker();
      label = l;
      total = n;
      value = 0;
      startedAt = now();
      active = true;
      counted = true;
      draw(true);
    },
    update(v, l) {
      if (!active || !counted) return;
      value = v;
      if (l !== undefined && l !== label) {
        label = l;
        draw(true);
      } else draw(false);
    },
    phase(l) {
      stopTicker();
      label = l;
      active = true;
      counted = false;
      const since = now();
      startedAt = since;
      write(`${l}…`);
      // async phases (saving) tick the elapsed time; a synchronous one simply shows its label until it ends
      ticker = setInterval(() => write(`${l}… ${formatDuration(now() - since)}`), 1000);
      ticker.unref();
    },
    stop() {
      stopTicker();
      if (active) stream.write(CLEAR);
      active = false;
      counted = false;
      drawnPct = -1;
    },
  };
}
