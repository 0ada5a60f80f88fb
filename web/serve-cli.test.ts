// `regime serve` as a user runs it: refuses an unsafe bind and an unknown run in one line, serves a saved run
// on loopback, and stops on SIGTERM.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRun, tempResultsDir, type FixtureRun } from './testing.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const env = () => {
  const e = { ...process.env };
  delete e.REGIME_API_TOKEN;
  return e;
};
const regime = (args: string[]) => spawnSync(process.execPath, ['scripts/regime.mjs', ...args], { cwd: REPO, encoding: 'utf8', env: env() });

let fx: FixtureRun;

beforeAll(async () => {
  // the March run the other web tests serve: within one npm test it is backtested once and copied here
  fx = await makeRun(tempResultsDir());
});

afterAll(() => fs.rmSync(fx.resultsDir, { recursive: true, force: true }));

describe('regime serve', () => {
  it('has --help', () => {
    const r = regime(['serve', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: regime serve/);
    expect(r.stdout).toContain('--host <addr>');
  });

  it('refuses a non-loopback address without a token: one line, exit 2', () => {
    const r = regime(['serve', '--host', '0.0.0.0', '--results', fx.resultsDir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('error: refusing to bind 0.0.0.0 without an API token: pass --token or set REGIME_API_TOKEN (or bind 127.0.0.1)\n');
  });

  it('names an unknown run and a bad port', () => {
    const a = regime(['serve', '--run', 'nope', '--results', fx.resultsDir]);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/^error: no run 'nope'/);
    expect(a.stderr.trim().split('\n')).toHaveLength(1);
    const b = regime(['serve', '--port', 'x', '--results', fx.resultsDir]);
    expect(b.status).toBe(2);
    expect(b.stderr).toBe("error: --port: 'x' is not a port number\n");
  });

  it('serves the latest run on loopback until stopped', async () => {
    const child = spawn(process.execPath, ['scripts/regime.mjs', 'serve', '--port', '0', '--results', fx.resultsDir], { cwd: REPO, env: env() });
    try {
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', () => {
          const m = /Dashboard: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
          if (m) resolve(m[1]);
        });
        child.on('close', () => reject(new Error(`serve exited: ${out}`)));
      });
      expect(out).toContain(`Serving run ${fx.record.manifest.id}`);
      const health = (await (await fetch(`${url}/api/health`)).json()) as { source: { id: string } };
      expect(health.source.id).toBe(fx.record.manifest.id);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
