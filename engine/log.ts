import pino, { type Logger } from 'pino';
import { redact } from './notify/redact.ts';

export type { Logger };

/**
 * Structured logs go to stderr so that stdout stays clean for data (`--json`). Quiet by default in the CLI;
 * LOG_LEVEL or --verbose raises it.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'warn', destination: pino.DestinationStream = pino.destination(2)): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: ['url', '*.url', 'token', '*.token', 'headers.authorization'], censor: '[redacted]' },
      // every configured secret (webhook tokens, HMAC secrets, Redis passwords), wherever it sits in a line
      hooks: { streamWrite: redact },
    },
    destination,
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
