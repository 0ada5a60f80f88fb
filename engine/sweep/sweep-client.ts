/**
 * `regime sweep --server`: the sweep sent to a running `regime sweep-server` (sweep-server.ts), its progress and output
 * relayed as they come. Loads no engine module: the point is a process that starts in a bare node's time.
 */
import net from 'node:net';
import { UserError } from '../errors.ts';
import { lineReader, type ServerMessage, type SweepRequest } from './server-protocol.ts';

export interface ClientIo {
  progress(done: number, total: number): void;
  stdout(text: string): void;
  stderr(text: string): void;
}

/** the server's answer: the exit code and the error line to print (null on success) */
export async function sweepOnServer(socket: string, req: SweepRequest, io: ClientIo): Promise<{ exit: number; error: string | null }> {
  return new Promise((resolve, reject) => {
    let ended: { exit: number; error: string | null } | null = null;
    let connected = false;
    const conn = net.connect(socket);
    conn.setEncoding('utf8');
    conn.on('connect', () => {
      connected = true;
      conn.write(`${JSON.stringify(req)}\n`);
    });
    conn.on(
      'data',
      lineReader((line) => {
        const m = JSON.parse(line) as ServerMessage;
        if (m.t === 'progress') io.progress(m.done, m.total);
        else if (m.t === 'stdout') io.stdout(m.text);
        else if (m.t === 'stderr') io.stderr(m.text);
        else if (m.t === 'end') ended = { exit: m.exit, error: m.error };
      }),
    );
    conn.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected) {
        const why = err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? 'no sweep server listens there' : `cannot connect (${err.code ?? err.message})`;
        reject(new UserError(`--server ${socket}: ${why} (start one with \`regime sweep-server\`)`, 1));
      }
    });
    conn.on('close', () => {
      if (ended !== null) resolve(ended);
      else if (connected) reject(new UserError(`the sweep server at ${socket} closed the connection before the sweep ended (was it stopped? its own log says why); run the same sweep again to resume it`, 1));
    });
  });
}
