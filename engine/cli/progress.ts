import cliProgress from 'cli-progress';

export interface Progress {
  start(total: number, label: string): void;
  update(value: number, label?: string): void;
  stop(): void;
}

const noop: Progress = { start() {}, update() {}, stop() {} };

/** A progress bar on stderr, only when a person is watching: never in CI logs, pipes or --json output. */
export function createProgress(): Progress {
  if (!process.stderr.isTTY || process.env.CI) return noop;
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: '{label} [{bar}] {percentage}% | ETA {eta_formatted} | {value}/{total}', hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let label = '';
  return {
    start(total, l) {
      label = l;
      bar.start(total, 0, { label });
    },
    update(value, l) {
      if (l) label = l;
      bar.update(value, { label });
    },
    stop() {
      bar.stop();
    },
  };
}
