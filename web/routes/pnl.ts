/**
 * GET /api/runs/:id/pnl — a saved run's paper P&L (engine/score/pnl.ts): the summary rows from run.json and one
 * strategy row's equity curve, drawdown and buy-and-hold curve from pnl_equity.parquet, daily (the last close of
 * each UTC day; drawdown: the day's deepest) or hourly.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { openDuckDB, queryRows, sqlString } from '../../engine/data/duckdb.ts';
import { PNL_EQUITY_FILE } from '../../engine/results/pnl-files.ts';
import { loadRun, runFile } from '../../engine/results/run-store.ts';
import type { PnlSummary } from '../../engine/score/pnl.ts';
import { badRequest, ErrorBody, notFound } from '../http-errors.ts';
import { runIdParams } from '../params.ts';
import type { RouteOptions } from './context.ts';

const ONE = 'given more than once; expected a single value';

export const pnlQuery = z
  .object({
    group: z
      .string({ error: ONE })
      .regex(/^(all|[A-Z][A-Z_]{1,40})$/, { error: "expected 'all' or an event type such as VOLATILITY_REGIME_CHANGE" })
      .default('all'),
    resolution: z.enum(['day', 'hour'], { error: 'expected day or hour' }).default('day'),
  })
  .strict();

const num = z.number().nullable();

const PnlStatsSchema = z.object({
  trades: z.number(),
  win_rate: num,
  total_return: num,
  annualised_return: num,
  sharpe: num,
  max_drawdown: num,
  profit_factor: num.describe('sum of winning net trade returns / |sum of losing|; null when nothing was lost'),
  gross_profit: num,
  gross_loss: num,
  mean_trade_return: num,
  exposure: num.describe('symbol-hours in a position / symbol-hours with a close'),
});

const PnlRowSchema = z.object({
  key: z.string().describe("'all' (every alert in one book) or an event type"),
  follow: z.enum(['continuation', 'reversal', 'mixed']),
  hold_hours: num,
  symbols: z.array(z.string()),
  alerts: z.number(),
  skipped: z.object({ no_direction: z.number(), no_price: z.number(), overlap: z.number(), no_exit: z.number() }),
  early_exits: z.object({ gap: z.number(), end: z.number() }),
  strategy: PnlStatsSchema,
  buy_and_hold: PnlStatsSchema,
  random: z
    .object({ permutations: z.number(), mean_trades: num, mean_total_return: num, median_total_return: num, p_value: num })
    .nullable()
    .describe('random entries: same count per symbol, same directions and hold; p one-sided on total return'),
});

export const PnlResponse = z.object({
  run: z.string(),
  options: z.object({
    follow: z.enum(['continuation', 'reversal']),
    hold_hours: z.number(),
    fee_pct: z.number(),
    event_types: z.record(z.string(), z.object({ follow: z.enum(['continuation', 'reversal']).optional(), hold_hours: z.number().optional() })),
    random_entries: z.number(),
    seed: z.number(),
  }),
  rows: z.array(PnlRowSchema),
  curve: z
    .object({
      group: z.string(),
      resolution: z.enum(['day', 'hour']),
      points: z.array(z.object({ ts: z.number(), equity: num, drawdown: num, buy_and_hold: num })),
    })
    .nullable()
    .describe('null when the run was saved without its equity file'),
});

type Curve = z.infer<typeof PnlResponse>['curve'];

// a saved run never changes: its curves are read once per group and resolution
const curves = new Map<string, Promise<Curve>>();
const CACHE_SIZE = 16;

async function readCurve(file: string, group: string, resolution: 'day' | 'hour'): Promise<Curve> {
  const { instance, conn } = await openDuckDB();
  try {
    const src = `read_parquet(${sqlString(file)}) WHERE "group" = ${sqlString(group)}`;
    const sql =
      resolution === 'hour'
        ? `SELECT ts_ms::DOUBLE AS ts, equity, drawdown, buy_and_hold FROM ${src} ORDER BY ts_ms`
        : `SELECT epoch_ms(date_trunc('day', ts))::DOUBLE AS ts, arg_max(equity, ts_ms) AS equity, max(drawdown) AS drawdown,
             arg_max(buy_and_hold, ts_ms) AS buy_and_hold FROM ${src} GROUP BY 1 ORDER BY 1`;
    const rows = await queryRows(conn, sql);
    return { group, resolution, points: rows.map((r) => ({ ts: Number(r.ts), equity: r.equity as number | null, drawdown: r.drawdown as number | null, buy_and_hold: r.buy_and_hold as number | null })) };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

export const pnlRoutes: FastifyPluginAsyncZod<RouteOptions> = async (app, { registry }) => {
  app.get('/runs/:id/pnl', { schema: { params: runIdParams, querystring: pnlQuery, response: { 200: PnlResponse, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody } } }, async (req) => {
    if (!registry.resultsDir) throw notFound('this server has no saved runs');
    const id = registry.resolveId(req.params.id);
    const record = loadRun(registry.resultsDir, id);
    const pnl = (record.report as { pnl?: PnlSummary | null }).pnl;
    if (!pnl) throw notFound(`run ${id} has no paper P&L (saved before it existed, or with --no-pnl)`);
    const { group, resolution } = req.query;
    if (!pnl.rows.some((r) => r.key === group)) {
      throw badRequest(`query parameter 'group': run ${id} has no strategy '${group}' (it has ${pnl.rows.map((r) => r.key).join(', ')})`);
    }
    const file = runFile(registry.resultsDir, id, PNL_EQUITY_FILE);
    let curve: Curve = null;
    if (file) {
      const key = `${id}|${group}|${resolution}`;
      let p = curves.get(key);
      if (!p) {
        p = readCurve(file, group, resolution);
        p.catch(() => curves.delete(key));
        curves.set(key, p);
        if (curves.size > CACHE_SIZE) curves.delete(curves.keys().next().value!);
      }
      curve = await p;
    }
    return { run: id, options: pnl.options, rows: pnl.rows, curve };
  });
};
