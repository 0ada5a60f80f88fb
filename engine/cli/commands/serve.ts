import type { Command } from 'commander';
import { UserError } from '../../errors.ts';
import { defaultResultsDir } from '../../results/run-store.ts';
import { globals } from '../context.ts';
import { loggerFor } from '../logger.ts';

interface ServeOptions {
  port: string;
  host: string;
  run?: string;
  token?: string;
  results?: string;
}

export const order = 70;

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve the dashboard and the API over a saved backtest run (the time slider replays its hours)')
    .option('--port <n>', 'port (0 picks a free one)', '3000')
    .option('--host <addr>', 'address to bind; anything but loopback requires an API token', '127.0.0.1')
    .option('--run <id>', "run id (a unique prefix or suffix is enough) or 'latest' (default: the newest full-range run of the default config)")
    .option('--token <token>', 'API token required on every route but /healthz (default REGIME_API_TOKEN; prefer the variable: arguments show in ps)')
    .option('--results <dir>', 'results folder (default results/ or REGIME_RESULTS_DIR)')
    .action(async (opts: ServeOptions, cmd: Command) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port: '${opts.port}' is not a port number`);
      // loaded here, not at the top: every other command would otherwise pay for fastify and the page's modules
      const { startServer } = await import('../../../web/server.ts');
      const { createRunSource } = await import('../../../web/run-source.ts');
      const { SecurityConfigError, authConfig } = await import('../../../web/security.ts');
      // refuse an unsafe bind before spending seconds loading the run
      try {
        authConfig(opts.host, opts.token);
      } catch (err) {
        if (err instanceof SecurityConfigError) throw new UserError(err.message);
        throw err;
      }
      const resultsDir = opts.results ?? defaultResultsDir();
      const { defaultRun, runName } = await import('../../../web/default-run.ts');
      const chosen = opts.run === undefined ? defaultRun(resultsDir) : null;
      const source = createRunSource(resultsDir, chosen?.manifest.id ?? opts.run ?? 'latest');
      await source.ready();
      const logger = loggerFor(globals(cmd));
      let server;
      try {
        server = await startServer({ source, port, host: opts.host, token: opts.token, resultsDir, logger, datasetsDir: globals(cmd).datasets });
      } catch (err) {
        if (err instanceof SecurityConfigError) throw new UserError(err.message);
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new UserError(`port ${port} on ${opts.host} is in use: pass --port`);
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UserError(`--host: cannot bind '${opts.host}'`);
        throw err;
      }
      const m = source.record.manifest;
      console.log(`Serving run ${runName(m)} (${m.symbols.join(', ')}, ${m.from} → ${m.to} UTC)${chosen ? ` — ${chosen.why}; --run picks another` : ''}`);
      console.log(`Dashboard: ${server.url}/   API: ${server.url}/api/health   API docs: ${server.url}/docs`);
      if (opts.token || process.env.REGIME_API_TOKEN) console.log(`Every route needs the token: browsers log in once at ${server.url}/login (or open ${server.url}/#token=…); scripts send Authorization: Bearer.`);
      console.log('Ctrl-C stops.');
      const stop = () => {
        server.close().finally(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
