import type { Command } from 'commander';
import { DEFAULT_DATASETS_DIR } from '../../data/layout.ts';
import { parseTimeArg } from '../../time.ts';
import { UserError } from '../../errors.ts';
import { AcceleratedClock, systemClock, type Clock } from '../../live/clock.ts';
import { loadLiveConfig } from '../../live/config.ts';
import { parseWebhookConfig } from '../../notify/endpoints.ts';
// the runner (ccxt) and the dashboard server (fastify) load only when `regime live` runs:
// `live status` and the webhook commands start without them
import type { LiveRunner } from '../../live/runner.ts';
import { createLiveSource, defaultLiveDir } from '../../live/source.ts';
import { liveStatus } from '../../live/status.ts';
import { LiveStore } from '../../live/store.ts';
import { formatScorecard } from '../../score/format.ts';
import { emitJson, globals } from '../context.ts';
import { loggerFor } from '../logger.ts';
import { renderTable } from '../format.ts';
import { authConfig, SecurityConfigError } from '../../../web/security.ts';
import { defaultResultsDir } from '../../results/run-store.ts';
import { symbolList } from '../args.ts';

interface LiveCliOptions {
  paper?: boolean;
  config?: string;
  symbols?: string;
  exchange: string;
  apiBaseUrl?: string;
  port?: string;
  host: string;
  serve?: boolean;
  token?: string;
  results?: string;
  clockStart?: string;
  clockSpeed?: string;
  until?: string;
  liquidations?: boolean;
  exitWhenDrained?: boolean;
}

async function serve(runner: LiveRunner, port: number, host: string, token: string | undefined): Promise<() => Promise<void>> {
  const { startServer } = await import('../../../web/server.ts');
  const source = await createLiveSource({ runner });
  let server;
  try {
    // the run picker and reports come from the backtest results folder, not the live store
    server = await startServer({ source, port, host, token, resultsDir: defaultResultsDir() });
  } catch (err) {
    await source.close();
    if (err instanceof SecurityConfigError) throw new UserError(err.message);
    throw err;
  }
  console.error(`dashboard on ${server.url}`);
  return async () => {
    await server.close();
    await source.close();
  };
}

async function runLive(opts: LiveCliOptions, cmd: Command): Promise<void> {
  const g = globals(cmd);
  const log = loggerFor(g);
  if (opts.exchange !== 'binanceus' && opts.exchange !== 'binance') throw new UserError(`--exchange: '${opts.exchange}' is not a spot exchange (binanceus | binance); funding and liquidations always come from binanceusdm`);
  const symbols = symbolList(opts.symbols);
  const config = loadLiveConfig(opts.config, process.env, symbols);
  let clock: Clock = systemClock;
  let startAt: number | undefined;
  if (opts.clockStart !== undefined) {
    const speed = opts.clockSpeed === undefined ? 1 : Number(opts.clockSpeed);
    if (!(speed > 0)) throw new UserError(`--clock-speed: '${opts.clockSpeed}' is not a positive number`);
    startAt = parseTimeArg(opts.clockStart, '--clock-start');
    clock = new AcceleratedClock(startAt, speed);
  } else if (opts.clockSpeed !== undefined) throw new UserError('--clock-speed needs --clock-start');
  const until = opts.until === undefined ? undefined : parseTimeArg(opts.until, '--until');
  const port = opts.port === undefined ? 3000 : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port: '${opts.port}' is not a port number`);
  // refuse an unsafe dashboard binding before touching any exchange
  if (opts.serve !== false) {
    try {
      authConfig(opts.host, opts.token);
    } catch (err) {
      if (err instanceof SecurityConfigError) throw new UserError(err.message);
      throw err;
    }
  }
  const { LiveRunner } = await import('../../live/runner.ts');
  const runner = new LiveRunner({
    config,
    datasetsDir: g.datasets ?? DEFAULT_DATASETS_DIR,
    resultsDir: opts.results ?? defaultLiveDir(),
    clock,
    exchange: opts.exchange,
    apiBaseUrl: opts.apiBaseUrl,
    paper: opts.paper ?? false,
    logger: log,
    until: until === undefined ? undefined : Math.floor(until / 3_600_000) * 3_600_000,
    liquidations: opts.liquidations !== false,
    // the run starts at --clock-start, not whenever the start-up I/O is done (hours pass fast on that clock)
    startAt,
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.warn({ signal }, 'stopping');
    await runner.stop();
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  await runner.start();
  if (runner.endpoints.length === 0) log.warn('no webhooks configured: alerts are stored and scored only');
  const closeServer = opts.serve === false ? null : await serve(runner, port, opts.host, opts.token);
  console.error(`live${runner.paper ? ' (paper)' : ''}: ${runner.symbols.join(', ')}, spot from ${runner.exchange}; next hour ${new Date(runner.cursor).toISOString()}; ${runner.endpoints.length} webhook endpoint(s); store ${runner.store.file}`);
  try {
    await runner.run();
    if (opts.exitWhenDrained && runner.worker) await runner.worker.drained(120_000);
  } finally {
    if (!stopping) await runner.stop();
    await closeServer?.();
  }
}

async function showStatus(opts: { results?: string; json?: string | boolean }): Promise<void> {
  // the WEBHOOKS_* secrets of this environment are redacted from the output as well as those stored redacted
  parseWebhookConfig({});
  const store = await LiveStore.open(opts.results ?? defaultLiveDir(), { readOnly: true });
  try {
    const s = await liveStatus(store);
    if (opts.json) return emitJson(opts.json, s);
    const m = s.meta as Record<string, unknown>;
    console.log(`Live store ${s.store}`);
    console.log(`${m.paper === true ? 'paper mode, ' : ''}symbols ${(m.symbols as string[] | undefined)?.join(', ') ?? '?'}, spot from ${String(m.exchange ?? '?')}, started ${String(m.started_at ?? '?')}`);
    console.log(`Hours stepped ${s.hours.stepped} (${s.hours.live} live, ${s.hours.catchup} caught up) ${s.hours.first ?? '—'} → ${s.hours.last ?? '—'}; flagged ${s.hours.flagged}, with missing candles ${s.hours.with_missing_candles}`);
    const liq = Object.entries(s.liquidation_hours).map(([sym, c]) => `${sym} ${c.covered} observed / ${c.no_data} no data`);
    if (liq.length) console.log(`Liquidation stream hours (observed undercounts: ≤ 1 order/symbol/s): ${liq.join('; ')}`);
    console.log(`\nEvents ${s.events.total} (${s.events.late} late)`);
    const types = Object.entries(s.events.by_type);
    if (types.length) console.log(renderTable(['event type', 'count'], types.map(([t, n]) => [t, n])));
    console.log(`\nWebhook outbox: ${s.outbox.delivered} delivered, ${s.outbox.pending} pending, ${s.outbox.dead} dead`);
    for (const d of s.dead_letters.slice(0, 10)) console.log(`  dead: ${d.event_id} → ${d.endpoint} after ${d.attempts} attempts (${d.last_error ?? d.last_status})`);
    const faults = Object.entries(s.fault_counts);
    if (faults.length) console.log(`\nFaults: ${faults.map(([k, n]) => `${k} ${n}`).join(', ')}`);
    if (s.scorecard) {
      console.log(`\nRunning scorecard (computed ${s.scorecard_computed_at}; windows that have not elapsed yet are excluded):`);
      console.log(formatScorecard(s.scorecard));
    } else console.log('\nNo scorecard yet.');
  } finally {
    await store.close();
  }
}

export const order = 60;

export function register(program: Command): void {
  const live = program
    .command('live')
    .description('run the pipeline on the wall clock: fetch each closed hour, step, store and score alerts, deliver webhooks')
    .option('--paper', 'paper-alert mode: alerts are stored and scored; webhooks only if configured, every message marked [PAPER]')
    .option('--config <file>', 'JSON config: pipeline keys as for backtest, plus optional `live` and `webhooks` sections')
    .option('--symbols <list>', 'comma-separated symbols (overrides the config)')
    .option('--exchange <id>', 'spot candles from binanceus | binance (funding and liquidations: binanceusdm)', 'binanceus')
    .option('--api-base-url <url>', 'send every REST and websocket request to another server (a local fake exchange)')
    .option('--port <n>', 'dashboard port (web/server.ts)', '3000')
    .option('--host <host>', 'dashboard host', '127.0.0.1')
    .option('--no-serve', 'do not start the dashboard server')
    .option('--token <token>', 'API bearer token, required when --host is not loopback (or REGIME_API_TOKEN)')
    .option('--results <dir>', 'live results folder (default results/live)')
    .option('--clock-start <time>', 'run on an accelerated clock starting at this time (for a fake exchange)')
    .option('--clock-speed <x>', 'accelerated clock speed (e.g. 3600: an hour per second)')
    .option('--until <time>', 'stop after stepping this hour')
    .option('--no-liquidations', 'do not open the forceOrder stream (every hour\'s liquidations are then "no data")')
    .option('--exit-when-drained', 'with --until: wait for the webhook outbox to drain before exiting')
    .action(async (opts: LiveCliOptions, cmd: Command) => runLive(opts, cmd));
  live
    .command('status')
    .description('the live store: hours, faults, events, webhook outbox, running scorecard (works while live runs)')
    .option('--results <dir>', 'live results folder (default results/live)')
    .option('--json [file]', 'print (or write) the status as JSON')
    // `live` has its own --results: commander hands it to the parent, so read both
    .action(async (opts: { results?: string; json?: string | boolean }, cmd: Command) => showStatus({ ...opts, results: opts.results ?? (cmd.optsWithGlobals() as { results?: string }).results }));
}
