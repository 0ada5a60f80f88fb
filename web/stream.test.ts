// The event stream: a greeting, one `update` per burst of source updates, the listener removed when the
// client goes, and a server that still closes with a stream open.
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { startServer } from './server.ts';
import type { DashboardSource } from './source.ts';

function liveSource() {
  const listeners = new Set<() => void>();
  const source: DashboardSource = {
    kind: 'live',
    id: 'live',
    symbols: ['BTCUSDT'],
    range: () => ({ first: 0, last: 3_600_000 }),
    latestFeatures: async () => [],
    featureHistory: async () => [],
    events: async () => [],
    scorecard: () => null,
    liquidationCoverage: async () => [],
    status: async () => ({}),
    onUpdate(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  return { source, listeners };
}

/** reads the stream until `pattern` has arrived */
function reader(res: http.IncomingMessage) {
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (d: string) => (text += d));
  return (pattern: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        if (pattern.test(text)) {
          res.off('data', check);
          resolve(text);
        }
      };
      res.on('data', check);
      res.on('close', () => reject(new Error(`stream closed before ${pattern}: ${text}`)));
      check();
    });
}

describe('GET /api/stream', () => {
  it('greets, pushes one update per burst, and unsubscribes when the client leaves', async () => {
    const { source, listeners } = liveSource();
    const server = await startServer({ source, port: 0, logger: false, env: {} });
    try {
      const res = await new Promise<http.IncomingMessage>((resolve) => http.get(`${server.url}/api/stream`, resolve));
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      const until = reader(res);
      expect(await until(/event: hello\ndata: \{"kind":"live","id":"live"/)).toContain('retry: 10000');
      expect(listeners.size).toBe(1);
      for (const l of listeners) {
        l();
        l();
        l();
      }
      await until(/event: update/);
      // a second burst after the first was written is a second update: so the first burst gave exactly one
      for (const l of listeners) l();
      const text = await until(/event: update[\s\S]*event: update/);
      expect(text.match(/event: update/g)).toHaveLength(2);
      res.destroy();
      await expect.poll(() => listeners.size).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('requires the token like every /api route, and close() does not wait for open streams', async () => {
    const { source } = liveSource();
    const token = 'stream-token-0123456789';
    const server = await startServer({ source, port: 0, token, logger: false, env: {} });
    const denied = await new Promise<http.IncomingMessage>((resolve) => http.get(`${server.url}/api/stream`, resolve));
    expect(denied.statusCode).toBe(401);
    denied.resume();
    const res = await new Promise<http.IncomingMessage>((resolve) => http.get(`${server.url}/api/stream`, { headers: { authorization: `Bearer ${token}` } }, resolve));
    expect(res.statusCode).toBe(200);
    await reader(res)(/event: hello/);
    const closed = new Promise((r) => res.on('close', r));
    await server.close();
    await closed;
  });
});
