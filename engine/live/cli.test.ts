// The live CLI commands as a user runs them (child processes): status from the store, webhook test/list with
// secrets redacted, one-line errors naming the config key. Receivers are loopback fakes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeReceiver } from '../testing/fake-receivers.ts';
import { LiveStore } from './store.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const H = 3_600_000;
let dir: string;
let rx: FakeReceiver;

function regime(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(REPO, 'scripts/regime.mjs'), ...args], { cwd: REPO, env: { ...process.env, LOG_LEVEL: 'warn', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-live-cli-'));
  rx = new FakeReceiver({ httpSecret: 'cli-secret' });
  await rx.start();
  const store = await LiveStore.open(dir);
  const ts = Date.UTC(2026, 2, 1, 5);
  const alert = { id: 'a1b2c3d4e5f60718', ts, symbol: 'ETHUSDT', event_type: 'FUNDING_ANOMALY' as const, severity: 'WARNING' as const, title: 't', description: 'd', source: 'funding' as const, direction: 1 as const, data: { z: 2.5 } };
  await store.recordHour({ ts, mode: 'live', missing: [], flags: ['candle_unavailable:BTCUSDT:server'], liq: { ETHUSDT: 'observed', BTCUSDT: null }, features: [], alerts: [{ alert, late: false, targets: [{ id: 'e1', redacted: 'https://discord.com/***', kind: 'discord' }] }] }, true, ts + H);
  await store.addFault(ts + H, ts, 'candle_server', 'BTCUSDT: HTTP 500');
  await store.setMeta({ symbols: JSON.stringify(['BTCUSDT', 'ETHUSDT']), exchange: 'binanceus', paper: 'true' });
  await store.close();
});

afterAll(async () => {
  await rx.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('regime live status', () => {
  it('reads the store: hours, flags, events, outbox, faults (JSON and text)', async () => {
    const r = await regime(['live', 'status', '--results', dir, '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.hours).toMatchObject({ stepped: 1, flagged: 1 });
    expect(s.events).toMatchObject({ total: 1, by_type: { FUNDING_ANOMALY: 1 } });
    expect(s.outbox).toEqual({ pending: 1, delivered: 0, dead: 0 });
    expect(s.fault_counts).toEqual({ candle_server: 1 });
    expect(s.liquidation_hours.BTCUSDT).toEqual({ covered: 0, no_data: 1 });
    const text = await regime(['live', 'status', '--results', dir]);
    expect(text.stdout).toContain('Webhook outbox: 0 delivered, 1 pending, 0 dead');
  });

  it('fails in one line without a store', async () => {
    const r = await regime(['live', 'status', '--results', path.join(dir, 'nope')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: no live store at/);
  });
});

describe('regime webhooks', () => {
  it('test: one [TEST] sample per event type, signed, with no secret in the output', async () => {
    const url = rx.httpUrl('/hook', 'token=cli-query-token-123');
    const r = await regime(['webhooks', 'test', '--json'], { WEBHOOKS_ALL: url, WEBHOOKS_HTTP_SECRET: 'cli-secret' });
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { ok: boolean; endpoint: string }[];
    expect(rows).toHaveLength(6);
    expect(rows.every((x) => x.ok && x.endpoint === `${rx.baseUrl}/***`)).toBe(true);
    expect(rx.byKind('http').filter((q) => q.path === '/hook').every((q) => q.signatureValid)).toBe(true);
    expect(r.stdout + r.stderr).not.toContain('cli-query-token-123');
  });

  it('test: failures exit 1 with the URL redacted; list shows endpoints redacted', async () => {
    rx.addFault({ kind: 'http', fault: { kind: 'status', status: 500, body: 'upstream says cli-query-token-456' } });
    const url = rx.httpUrl('/hook2', 'token=cli-query-token-456');
    // two attempts, not the default three: one retry each is the retry path, without waiting 2 s more per message
    const r = await regime(['webhooks', 'test', '--attempts', '2'], { WEBHOOKS_FUNDING: url });
    rx.clearFaults();
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('error: 2 of 2 test messages failed');
    expect(r.stdout.match(/ 2 +FAILED /g) ?? r.stdout).toHaveLength(2);
    expect(r.stdout + r.stderr).not.toContain('cli-query-token-456');
    const list = await regime(['webhooks', 'list'], { WEBHOOKS_CASCADE: 'https://discord.com/api/webhooks/1/list-secret-token' });
    expect(list.stdout).toContain('https://discord.com/***');
    expect(list.stdout).toContain('discord');
    expect(list.stdout).not.toContain('list-secret-token');
  });
});

describe('regime live config errors', () => {
  it('name the key in one line, exit 2', async () => {
    const cfg = path.join(dir, 'bad.json');
    fs.writeFileSync(cfg, JSON.stringify({ live: { settle_ms: -1 } }));
    const r = await regime(['live', '--config', cfg, '--no-serve']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^error: .*bad\.json: config\.live\.settle_ms: expected a non-negative integer$/);
  });
});

describe('regime live dashboard binding', () => {
  it('refuses a non-loopback host without a token before contacting any exchange', async () => {
    // --api-base-url points at a closed loopback port: had the loop started, the error would be a fetch failure
    const r = await regime(['live', '--paper', '--host', '0.0.0.0', '--api-base-url', 'http://127.0.0.1:9', '--results', dir], { REGIME_API_TOKEN: '' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('error: refusing to bind 0.0.0.0 without an API token: pass --token or set REGIME_API_TOKEN (or bind 127.0.0.1)');
  });
});
