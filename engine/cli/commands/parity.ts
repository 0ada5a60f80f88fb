import type { Command } from 'commander';
import { parseTimeArg } from '../../time.ts';
import { UserError } from '../../errors.ts';
import { runParity } from '../../live/parity.ts';
import { loadConfigFile } from '../../pipeline/load-config.ts';
import { DEFAULT_WARMUP_HOURS } from '../../replay/backtest.ts';
import { emitJson, globals } from '../context.ts';
import { loggerFor } from '../logger.ts';
import { symbolList } from '../args.ts';

export const order = 62;

export function register(program: Command): void {
  program
    .command('parity')
    .description('run live mode against a local fake exchange serving the history, replay the same hours, diff alerts and features')
    .requiredOption('--from <time>', 'first hour compared (UTC date/time or epoch ms)')
    .requiredOption('--to <time>', 'end, exclusive')
    .option('--config <file>', 'pipeline config (as for backtest)')
    .option('--symbols <list>', 'comma-separated symbols (overrides the config)')
    .option('--warmup <hours>', `hours replayed before --from on both sides (default ${DEFAULT_WARMUP_HOURS})`)
    .option('--no-liquidations', 'do not stream the window\'s liquidations through the fake websocket')
    .option('--json [file]', 'print (or write) the parity report as JSON')
    .action(async (opts: { from: string; to: string; config?: string; symbols?: string; warmup?: string; liquidations?: boolean; json?: string | boolean }, cmd: Command) => {
      const g = globals(cmd);
      const symbols = symbolList(opts.symbols);
      const config = loadConfigFile(opts.config, symbols ? { symbols } : {});
      const warmupHours = opts.warmup === undefined ? DEFAULT_WARMUP_HOURS : Number(opts.warmup);
      if (!Number.isInteger(warmupHours) || warmupHours < 0) throw new UserError(`--warmup: '${opts.warmup}' is not a whole number of hours`);
      const hour = (t: number) => Math.floor(t / 3_600_000) * 3_600_000;
      const report = await runParity({
        from: hour(parseTimeArg(opts.from, '--from')),
        to: hour(parseTimeArg(opts.to, '--to')),
        config,
        datasetsDir: g.datasets,
        warmupHours,
        liquidations: opts.liquidations !== false,
        logger: loggerFor(g),
      });
      if (opts.json) await emitJson(opts.json, report);
      if (opts.json !== true) {
        console.log(`Parity ${report.from} → ${report.to} (${report.hours} h, ${report.symbols.join(', ')}, warm-up ${report.warmup_hours} h)`);
        console.log(`live:   ${report.live.alerts} alerts, ${report.live.feature_rows} feature rows, ${report.live.liquidation_orders_streamed} liquidation orders streamed, ${report.live.rest_requests} REST requests, ${report.live.elapsed_ms} ms`);
        console.log(`replay: ${report.replay.alerts} alerts, ${report.replay.feature_rows} feature rows, ${report.replay.elapsed_ms} ms`);
        console.log(`differences: ${report.alert_differences.length} alerts, ${report.feature_differences_total} feature rows`);
        for (const d of report.alert_differences.slice(0, 20)) console.log(`  alert ${d.kind}: ${new Date(d.ts).toISOString()} ${d.symbol} ${d.event_type}${d.fields ? ` (${d.fields.join(', ')})` : ''}`);
        for (const d of report.feature_differences.slice(0, 20)) console.log(`  features ${d.kind}: ${new Date(d.ts).toISOString()} ${d.symbol}${d.columns ? ` (${d.columns.join(', ')})` : ''}`);
        console.log(report.ok ? 'OK: 0 differences' : 'DIFFERENCES FOUND');
      }
      if (!report.ok) process.exitCode = 1;
    });
}
