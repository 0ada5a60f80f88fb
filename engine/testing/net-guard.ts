/**
 * Safety net for tests: while installed, any outgoing TCP or TLS connection to anything but 127.0.0.1 throws,
 * so a URL that escaped a rewrite (or a default webhook host) fails the test instead of reaching the internet.
 */
import net from 'node:net';
import tls from 'node:tls';

const realConnect = net.connect;
const realCreateConnection = net.createConnection;
const realTlsConnect = tls.connect;

function hostOf(args: unknown[]): string | undefined {
  const first = args[0] as { host?: string; path?: string } | number | string;
  if (typeof first === 'object' && first !== null) return first.path ? 'unix' : first.host;
  return typeof args[1] === 'string' ? args[1] : undefined;
}

export function installNetGuard(): () => void {
  const guarded = (...args: unknown[]) => {
    const host = hostOf(args);
    if (host !== '127.0.0.1' && host !== 'localhost' && host !== 'unix') throw new Error(`connection to ${String(host)} refused by the test guard`);
    return (realConnect as (...a: unknown[]) => net.Socket).apply(net, args);
  };
  Object.assign(net, { connect: guarded, createConnection: guarded });
  Object.assign(tls, { connect: () => { throw new Error('TLS connection refused by the test guard'); } });
  return () => {
    Object.assign(net, { connect: realConnect, createConnection: realCreateConnection });
    Object.assign(tls, { connect: realTlsConnect });
  };
}
