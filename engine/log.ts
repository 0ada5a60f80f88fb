import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs go to stderr so that stdout stays clean for data (`--json`). Quiet by default in the CLI;
 * LOG_LEVEL or --verbose raises it.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'warn'): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: ['url', '*.url', 'token', '*.token', 'headers.authorization'], censor: '[redacted]' },
    },
    pino.destination(2),
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
