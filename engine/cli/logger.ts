import { createLogger, type Logger } from '../log.ts';
import type { GlobalOptions } from './context.ts';

/** pino for the commands that log; kept out of context.ts so the others do not load it */
export function loggerFor(opts: GlobalOptions): Logger {
  return createLogger(opts.verbose ? 'debug' : process.env.LOG_LEVEL ?? 'warn');
}
