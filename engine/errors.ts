/**
 * Errors a user can act on. The CLI prints their message without a stack trace (unless --verbose) and exits
 * with `exitCode`; anything else is treated as a bug.
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/** the one line the CLI prints for an error without --verbose: a UserError's message, anything else as a bug */
export function errorLine(err: unknown): string {
  if (err instanceof UserError) return `error: ${err.message}`;
  return `error: ${(err as Error).message ?? String(err)}\n(run again with --verbose for details)`;
}

/** the exit code the CLI gives an error */
export function exitCodeOf(err: unknown): number {
  return err instanceof UserError ? err.exitCode : 1;
}

/** Bad input data: always names the file, the 1-based line and the field. */
export class InputError extends UserError {
  readonly file: string;
  readonly line: number | null;
  readonly field: string | null;
  constructor(file: string, line: number | null, field: string | null, problem: string) {
    const where = [file, line === null ? null : `line ${line}`, field === null ? null : `field '${field}'`]
      .filter((p) => p !== null)
      .join(', ');
    super(`${where}: ${problem}`, 3);
    this.name = 'InputError';
    this.file = file;
    this.line = line;
    this.field = field;
  }
}

/**
 * Node's JSON.parse message quotes a slice of the input around a bad token; config files can hold webhook
 * URLs and secrets, so that slice never reaches a message.
 */
export function jsonErrorWithoutExcerpt(message: string): string {
  return /is not valid JSON$/.test(message) ? 'unexpected token (excerpt withheld: the file may hold secrets)' : message;
}
