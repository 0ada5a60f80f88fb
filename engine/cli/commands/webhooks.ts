import type { Command } from 'commander';
import { UserError } from '../../errors.ts';
import { loadLiveConfig } from '../../live/config.ts';
import { defaultLiveDir } from '../../live/source.ts';
import { LiveStore } from '../../live/store.ts';
import { buildEndpoints, parseWebhookConfig } from '../../notify/endpoints.ts';
import { redact, redactDeep } from '../../notify/redact.ts';
import { sendTestMessages } from '../../notify/samples.ts';
import { emitJson } from '../context.ts';
import { renderTable } from '../format.ts';
import { positiveInt } from '../args.ts';

export const order = 61;

export function register(program: Command): void {
  const hooks = program.command('webhooks').description('webhook endpoints: list them, send test messages, read the delivery log');
  hooks
    .command('list')
    .description('the configured endpoints (config `webhooks` section and WEBHOOKS_* env vars), secrets redacted')
    .option('--config <file>', 'live config file')
    .option('--json [file]', 'print (or write) as JSON')
    .action(async (opts: { config?: string; json?: string | boolean }) => {
      const endpoints = buildEndpoints(loadLiveConfig(opts.config).webhooks);
      const rows = endpoints.map((e) => ({ endpoint: e.redacted, kind: e.kind, routes: [...e.routes].join(',') }));
      if (opts.json) return emitJson(opts.json, rows);
      if (rows.length === 0) return console.log('no webhook endpoints configured (config `webhooks` or WEBHOOKS_CASCADE, _FUNDING, _VOLATILITY, _CORRELATION, _REGIME, _ALL)');
      console.log(renderTable(['endpoint', 'kind', 'routes'], rows.map((r) => [r.endpoint, r.kind, r.routes])));
    });
  hooks
    .command('test')
    .description('send one sample of each event type, marked [TEST], to every endpoint it routes to')
    .option('--config <file>', 'live config file')
    .option('--paper', 'also mark the samples [PAPER]')
    .option('--json [file]', 'print (or write) the results as JSON')
    .option('--attempts <n>', 'attempts per message: a 429 or 5xx is retried after its Retry-After or 1 s, 2 s… (default 3)')
    .action(async (opts: { config?: string; paper?: boolean; json?: string | boolean; attempts?: string }) => {
      const maxAttempts = opts.attempts === undefined ? undefined : positiveInt(opts.attempts, '--attempts');
      const cfg = loadLiveConfig(opts.config).webhooks;
      const endpoints = buildEndpoints(cfg);
      if (endpoints.length === 0) throw new UserError('no webhook endpoints configured (config `webhooks` or WEBHOOKS_* env vars)');
      const results = await sendTestMessages(endpoints, { httpSecret: cfg.http_secret, timeoutMs: cfg.timeout_ms, paper: opts.paper ?? false, maxAttempts });
      const failed = results.filter((r) => !r.result.ok).length;
      if (opts.json) await emitJson(opts.json, redactDeep(results.map((r) => ({ event_type: r.event_type, endpoint: r.endpoint, kind: r.kind, attempts: r.attempts, ok: r.result.ok, status: r.result.status, latency_ms: Math.round(r.result.latencyMs), error: r.result.error }))));
      else {
        console.log(redact(renderTable(
          ['event type', 'endpoint', 'kind', 'attempts', 'result'],
          results.map((r) => [r.event_type, r.endpoint, r.kind, r.attempts, r.result.ok ? `ok ${r.result.status} (${Math.round(r.result.latencyMs)} ms)` : `FAILED ${r.result.error ?? r.result.status}`]),
        )));
      }
      if (failed > 0) throw new UserError(`${failed} of ${results.length} test messages failed`, 1);
    });
  hooks
    .command('logs')
    .description('the webhook delivery log of the live store (URLs redacted)')
    .option('--results <dir>', 'live results folder (default results/live)')
    .option('--limit <n>', 'newest n attempts', '50')
    .option('--config <file>', 'live config file: its secrets are redacted from the output too')
    .option('--json [file]', 'print (or write) as JSON')
    .action(async (opts: { results?: string; limit: string; config?: string; json?: string | boolean }) => {
      // registers every configured secret (file and WEBHOOKS_* env) with the redactor
      if (opts.config) loadLiveConfig(opts.config);
      else parseWebhookConfig({});
      const store = await LiveStore.open(opts.results ?? defaultLiveDir(), { readOnly: true });
      try {
        const logs = redactDeep(await store.webhookLogs(Number(opts.limit) || 50));
        if (opts.json) return emitJson(opts.json, logs);
        console.log(renderTable(
          ['at', 'event', 'endpoint', 'attempt', 'status', 'ms', 'ok', 'error'],
          logs.map((l) => [new Date(l.at).toISOString().slice(0, 19), l.event_id, l.url, l.attempt, l.status ?? '—', Math.round(l.latency_ms), l.success ? 'yes' : 'no', l.error ?? '']),
        ));
      } finally {
        await store.close();
      }
    });
}
