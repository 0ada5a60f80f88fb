/**
 * What `regime sweep --server` and `regime sweep-server` say to each other over a Unix socket: one JSON object a line.
 * The client asks for one sweep; the server answers with progress, the command's output and its exit code. Both
 * run on one machine as one user (the socket is the user's alone), so paths are sent as absolute paths and the
 * server reads the spec and writes the results itself. Kept free of engine imports: the client loads only this.
 */
import path from 'node:path';
import { defaultResultsDir } from '../results/results-dir.ts';

/** bumped when a message changes shape: a client and a server of different versions refuse each other */
export const PROTOCOL_VERSION = 1;

export interface SweepRequest {
  v: number;
  /**
   * the code the client runs (currentCodeVersion: the hash of the result code's sources, as queue workers check it;
   * not the CLI bundle's name, which a rebuild from the same sources changes): other code would give other results
   */
  code: string;
  /** absolute paths */
  spec: string;
  results: string;
  /** --json: true prints the report as JSON, a path writes it there */
  json: string | boolean;
  limit: number | null;
  featureCache: boolean;
  /** the datasets folder the client would read (absolute) and its --db (absolute, null: in memory): the server's own */
  datasets: string;
  db: string | null;
  /** pino level for the lines sent back (the client's --verbose / LOG_LEVEL) */
  logLevel: string;
  /** --verbose: errors with their stack */
  verbose: boolean;
}

export type ServerMessage =
  | { t: 'progress'; done: number; total: number }
  | { t: 'stderr'; text: string }
  | { t: 'stdout'; text: string }
  /** the last message: the exit code, and the one-line error the CLI would print (null on success) */
  | { t: 'end'; exit: number; error: string | null };

/** the socket a server listens on and a client looks for when none is named: in the default results folder (not a sweep's --results: one server serves any) */
export function defaultSocket(): string {
  return path.join(defaultResultsDir(), 'sweep-server.sock');
}

/**
 * splits a stream of text into lines, each handed to `onLine` (the last, unterminated part is kept for later);
 * `onOverflow` once the unterminated part passes `maxLine` characters (a line that long is not one of ours)
 */
export function lineReader(onLine: (line: string) => void, onOverflow: () => void = () => undefined, maxLine = Infinity): (chunk: string) => void {
  let rest = '';
  return (chunk) => {
    rest += chunk;
    if (rest.length > maxLine && !rest.includes('\n')) {
      rest = '';
      onOverflow();
      return;
    }
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      if (line.length > 0) onLine(line);
    }
  };
}
