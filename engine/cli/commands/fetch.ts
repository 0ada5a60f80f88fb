import type { Command } from 'commander';
import { EXCHANGE_PROFILES, FETCH_EXCHANGES, type FetchExchangeId, type FetchTable } from '../../data/fetch-exchanges.ts';
import { DEFAULT_DATASETS_DIR } from '../../data/layout.ts';
import { UserError } from '../../errors.ts';
import { emitJson, globals } from '../context.ts';
import { loggerFor } from '../logger.ts';
import { createProgress } from '../progress.ts';
import { symbolList } from '../args.ts';
import { isoHour, parseTimeArg } from '../../time.ts';

const FETCH_TABLES: FetchTable[] = ['candles_1h', 'perp_1h', 'mark_1h', 'funding'];

export const order = 40;

export function register(program: Command): void {
  program
    .command('fetch')
    .description('backfill history through ccxt (paging, rate limiting, resume from the last stored hour)')
    .requiredOption('--exchange <id>', FETCH_EXCHANGES.join(' | '))
    .requiredOption('--symbols <list>', 'comma-separated, e.g. BTCUSDT,ETHUSDT')
    .requiredOption('--since <time>', 'UTC date or time (2024-01-01, 2024-01-01T08:00) or epoch ms')
    .option('--until <time>', 'exclusive end (default: now; only closed bars are stored)')
    .option('--tables <list>', `comma-separated subset of ${FETCH_TABLES.join(', ')} (default: all the exchange has)`)
    .option('--api-base-url <url>', 'send requests to another server (e.g. a local fake exchange)')
    .option('--json [file]', 'print (or write) the fetch report as JSON')
    .action(async (opts: { exchange: string; symbols: string; since: string; until?: string; tables?: string; apiBaseUrl?: string; json?: string | boolean }, cmd: Command) => {
      if (!(FETCH_EXCHANGES as readonly string[]).includes(opts.exchange)) {
        throw new UserError(`--exchange: '${opts.exchange}' is not one of ${FETCH_EXCHANGES.join(', ')}`);
      }
      const tables = opts.tables?.split(',').map((t) => t.trim());
      for (const t of tables ?? []) {
        if (!(FETCH_TABLES as string[]).includes(t)) throw new UserError(`--tables: '${t}' is not one of ${FETCH_TABLES.join(', ')}`);
      }
      const profile = EXCHANGE_PROFILES[opts.exchange as FetchExchangeId];
      for (const t of tables ?? []) {
        if (!(profile.tables as string[]).includes(t)) throw new UserError(`${opts.exchange} has no table '${t}' to fetch (available: ${profile.tables.join(', ')})`);
      }
      parseTimeArg(opts.since, 'since');
      if (opts.until !== undefined) parseTimeArg(opts.until, 'until');
      // ccxt costs seconds of CPU to load: only once the options are known to be good
      const { fetchHistory } = await import('../../data/fetch-ccxt.ts');
      const g = globals(cmd);
      const progress = createProgress();
      let current = '';
      const report = await fetchHistory({
        exchange: opts.exchange as FetchExchangeId,
        symbols: symbolList(opts.symbols)!,
        since: opts.since,
        until: opts.until,
        tables: tables as FetchTable[] | undefined,
        datasetsDir: g.datasets ?? DEFAULT_DATASETS_DIR,
        apiBaseUrl: opts.apiBaseUrl,
        logger: loggerFor(g),
        onProgress(p) {
          const label = `${p.table} ${p.symbol}`;
          const span = Math.max(1, p.untilMs - p.startMs);
          if (label !== current) {
            if (current) progress.stop();
            progress.start(100, label);
            current = label;
          }
          progress.update(Math.min(100, Math.round((100 * (p.currentMs - p.startMs)) / span)));
        },
      }).finally(() => progress.stop());
      if (opts.json) return emitJson(opts.json, report);
      for (const s of report.series) {
        const from = isoHour(s.startMs);
        console.log(`${s.venue}/${s.table} ${s.symbol}: from ${from}: fetched ${s.fetched}, added ${s.added}, replaced ${s.replaced} (${s.requests} requests)`);
      }
      console.log(`fetched ${report.fetched} rows in ${report.requests} requests; added ${report.added}, replaced ${report.replaced}; ${report.filesWritten} files written`);
    });
}
