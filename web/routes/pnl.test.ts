// GET /api/runs/:id/pnl over a real short backtest of the bundled data, saved with its P&L files the way
// `regime backtest` saves it; and the saved Parquet files agree with the summary in run.json.
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDB, queryRows, sqlString } from '../../engine/data/duckdb.ts';
import { openStore } from '../../engine/data/store.ts';
import { defaultConfig } from '../../engine/pipeline/config.ts';
import { runBacktest } from '../../engine/replay/backtest.ts';
import { toScorable } from '../../engine/replay/score-alerts.ts';
import { PNL_EQUITY_FILE, PNL_TRADES_FILE } from '../../engine/results/pnl-files.ts';
import { runFile, saveRun, type RunRecord } from '../../engine/results/run-store.ts';
import type { Alert } from '../../engine/pipeline/alerts.ts';
import { createRunSource } from '../run-source.ts';
import { buildServer } from '../server.ts';
import { tempResultsDir } from '../testing.ts';
import { PnlResponse } from './pnl.ts';

let dir: string;
let withPnl: RunRecord;
let without: RunRecord;
let alerts: Alert[];
let app: FastifyInstance;

beforeAll(async () => {
  dir = tempResultsDir();
  const store = await openStore();
  try {
    const config = defaultConfig();
    const result = await runBacktest(store, {
      config,
      from: Date.parse('2026-02-01T00:00:00Z'),
      to: Date.parse('2026-04-01T00:00:00Z'),
      score: false,
      pnl: { random_entries: 50, seed: 3 },
    });
    alerts = result.alerts;
    withPnl = await saveRun(dir, { config, report: result.report, alerts: result.alerts, pnl: result.pnl, label: 'with pnl' });
    without = await saveRun(dir, { config, report: { ...result.report, pnl: null }, alerts: result.alerts, label: 'no pnl' });
  } finally {
    store.close();
  }
  app = await buildServer({ source: createRunSource(dir, withPnl.manifest.id), resultsDir: dir, logger: false, env: {} });
}, 240_000);

afterAll(async () => {
  await app?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const get = async (url: string) => {
  const r = await app.inject({ method: 'GET', url });
  return { status: r.statusCode, body: r.json() };
};

describe('saved P&L files', () => {
  it('hold every trade and an hourly curve per strategy row, ending at the summary total', async () => {
    const pnl = withPnl.report.pnl!;
    expect(pnl.rows[0].key).toBe('all');
    expect(pnl.rows[0].strategy.trades).toBeGreaterThan(0);
    const { instance, conn } = await openDuckDB();
    try {
      const trades = await queryRows(conn, `SELECT "group", count(*)::INT AS n, count(*) FILTER (WHERE contains(symbol, '/'))::INT AS pairs FROM read_parquet(${sqlString(runFile(dir, withPnl.manifest.id, PNL_TRADES_FILE)!)}) GROUP BY 1`);
      for (const row of pnl.rows) expect(trades.find((t) => t.group === row.key)?.n ?? 0).toBe(row.strategy.trades);
      // pair alerts trade a single symbol: the lagging one, as the scorer scores them
      expect(trades.every((t) => t.pairs === 0)).toBe(true);
      const last = await queryRows(conn, `SELECT "group", arg_max(equity, ts_ms) AS equity, count(*)::INT AS hours FROM read_parquet(${sqlString(runFile(dir, withPnl.manifest.id, PNL_EQUITY_FILE)!)}) GROUP BY 1`);
      for (const row of pnl.rows) {
        const l = last.find((x) => x.group === row.key)!;
        expect(l.equity as number).toBeCloseTo(1 + row.strategy.total_return, 5);
        expect(l.hours).toBe((Date.parse('2026-04-01T00:00:00Z') - Date.parse('2026-02-01T00:00:00Z')) / 3_600_000);
      }
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });

  it('trade pair alerts on the symbol the scorer scores them on', () => {
    const pairs = alerts.filter((a) => a.symbol.includes('/') && a.direction !== null);
    for (const a of pairs) expect(toScorable(a).symbol).not.toContain('/');
  });
});

describe('GET /api/runs/:id/pnl', () => {
  it('answers the summary rows and a daily curve, held to the schema', async () => {
    const r = await get(`/api/runs/${withPnl.manifest.id}/pnl`);
    expect(r.status).toBe(200);
    expect(PnlResponse.parse(r.body)).toEqual(r.body);
    expect(r.body.rows).toEqual(withPnl.report.pnl!.rows);
    expect(r.body.curve.group).toBe('all');
    expect(r.body.curve.points).toHaveLength(59);
    expect(r.body.curve.points.at(-1).equity).toBeCloseTo(1 + withPnl.report.pnl!.rows[0].strategy.total_return, 5);
    const maxDd = Math.max(...r.body.curve.points.map((p: { drawdown: number }) => p.drawdown));
    expect(maxDd).toBeCloseTo(withPnl.report.pnl!.rows[0].strategy.max_drawdown, 5);
  });

  it('serves one event type hourly, and latest resolves', async () => {
    const type = withPnl.report.pnl!.rows[1].key;
    const r = await get(`/api/runs/latest/pnl?group=${type}&resolution=hour`);
    expect(r.status).toBe(404); // latest is the run saved without P&L
    const h = await get(`/api/runs/${withPnl.manifest.id}/pnl?group=${type}&resolution=hour`);
    expect(h.status).toBe(200);
    expect(h.body.curve.points).toHaveLength(59 * 24);
  });

  it('names the parameter or the missing piece in every error', async () => {
    const id = withPnl.manifest.id;
    const bad = await get(`/api/runs/${id}/pnl?group=NOT_A_TYPE`);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/query parameter 'group'.*has no strategy 'NOT_A_TYPE'/);
    const res = await get(`/api/runs/${id}/pnl?resolution=week`);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/resolution/);
    const extra = await get(`/api/runs/${id}/pnl?x=1`);
    expect(extra.status).toBe(400);
    const none = await get(`/api/runs/${without.manifest.id}/pnl`);
    expect(none.status).toBe(404);
    expect(none.body.message).toMatch(/has no paper P&L/);
    expect((await get('/api/runs/nosuchrun/pnl')).status).toBe(404);
  });
});

