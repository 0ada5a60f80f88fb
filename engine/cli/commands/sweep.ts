import path from 'node:path';
import type { Command } from 'commander';
import { defaultResultsDir } from '../../results/results-dir.ts';
import { emitJson, globals, lazyStoreFor, storeFor, type GlobalOptions } from '../context.ts';
import { createProgress } from '../progress.ts';
import { positiveInt } from '../args.ts';
import { UserError } from '../../errors.ts';

interface SweepCliOptions {
  spec: string;
  workers?: string;
  json?: string | boolean;
  results?: string;
  limit?: string;
  queue?: string;
  batch?: string;
  featureCache?: boolean;
  server?: string | boolean;
}


export const order = 55;

export function register(program: Command): void {
  program
    .command('sweep')
    .description('try many detector/rule/cooldown configurations: select the best on the train period, report it on the holdout (or walk forward)')
    .requiredOption('--spec <file>', 'sweep spec (JSON): base config, grid and/or random samples over config key paths, from/to, split, select, score')
    .option('--workers <n>', 'worker threads (default: the CPU count)')
    .option('--results <dir>', 'results folder (default results/ or REGIME_RESULTS_DIR); the sweep writes sweeps/<sweep id>/ there')
    .option('--limit <n>', 'compute at most n new configurations, then stop (run again to resume)')
    .option('--json [file]', 'print (or write) the whole report, every result row included, as JSON')
    .option('--queue <redis-url>', 'compute the configurations on `regime worker` processes through BullMQ on Redis (redis://[:password@]host:port/db, rediss:// for TLS)')
    .option('--batch <n>', 'with --queue: configurations per queue job (default 50)')
    .option('--server [socket]', 'run the sweep on a running `regime sweep-server` (default socket: sweep-server.sock in results/ or REGIME_RESULTS_DIR, whatever --results says): no start-up, no JIT warm-up')
    .option('--no-feature-cache', 'replay the detectors even when <results>/cache/sweep-features holds their feature columns for this data and code')
    .addHelpText(
      'after',
      `
Spec example:
  { "from": "2022-01-01", "split": { "holdout_from": "2024-06-01" },
    "grid": { "volatility.thresholds.extreme": [2, 2.5, 3], "rules.funding_abs_z": [1.5, 2, 2.5] },
    "random": { "n": 200, "seed": 7, "params": { "regime.chop.max_heat": { "min": 0.3, "max": 0.6, "step": 0.05 } } },
    "select": { "metric": "nab", "by": "train", "min_alerts": 10 }, "score": { "permutations": 1000 } }

Keys: any config key path (detectors, rules, cooldown.<EVENT_TYPE>.*); random params take {min, max, step?} or a
list of choices. split: { holdout_from } or { holdout_fraction } (default 0.3, the last 30 %), or walk-forward:
  { "walk_forward": { "train_days": 360, "test_days": 90, "step_days": 90, "window": "rolling", "embargo_hours": 24 } }
(step_days defaults to test_days and may not be shorter; window 'rolling' or 'anchored'; embargo_hours default 0):
per fold the best configuration on train is judged on test; the report stitches the test periods into one
out-of-sample scorecard with random baseline (also written to walk_forward.json). select.metric: nab,
precision, recall, f1, false_alarms_per_week, median_lead_hours or mean_abs_return_<h>h; by: 'train' only.
Every configuration gets a p-value (precision vs random placement, exact) and a Benjamini–Hochberg q-value across
all configurations tried; the report says whether the selected one survives FDR 10 %.
Invalid combinations (e.g. explosive >= extreme) are reported and skipped.

A rerun of the same spec on the same data skips every configuration already stored (resume after a crash).
The detectors' feature columns are kept in <results>/cache/sweep-features (named by the dataset manifest, the
feature keys and the code): a later sweep over the same data and feature keys skips the feature replay.`,
    )
    .action(async (opts: SweepCliOptions, cmd: Command) => {
      if (opts.server !== undefined) return serverSweepCommand(opts, cmd);
      if (opts.queue !== undefined) return queuedSweepCommand(opts, cmd);
      // the engine only here: `--server` runs it elsewhere and should start in a bare node's time
      const [{ loadSweepSpec }, { runSweep }, { sweepReportOutput }, { loggerFor }] = await Promise.all([
        import('../../sweep/spec.ts'),
        import('../../sweep/sweep.ts'),
        import('../../sweep/report.ts'),
        import('../logger.ts'),
      ]);
      const spec = loadSweepSpec(opts.spec);
      const workers = opts.workers === undefined ? undefined : positiveInt(opts.workers, '--workers');
      const limit = opts.limit === undefined ? undefined : positiveInt(opts.limit, '--limit');
      const g = globals(cmd);
      // DuckDB is started only if the sweep reads the data: not when its inputs are cached
      const store = await lazyStoreFor(g);
      const progress = createProgress();
      let started = false;
      let report;
      try {
        report = await runSweep(store, spec, {
          workers,
          limit,
          resultsDir: opts.results ?? defaultResultsDir(),
          includeRows: Boolean(opts.json),
          featureCache: opts.featureCache === false ? false : undefined,
          logger: loggerFor(g),
          onProgress: (done, total) => {
            if (!started) {
              progress.start(total, 'sweep');
              started = true;
            }
            progress.update(done);
          },
        });
      } finally {
        progress.stop();
        store.close();
      }
      process.stdout.write(sweepReportOutput(report, opts.json));
    });
}

/** the sweep on a `regime sweep-server`: the same output and exit code as a run in this process */
async function serverSweepCommand(opts: SweepCliOptions, cmd: Command): Promise<void> {
  const [{ sweepOnServer }, { defaultSocket, PROTOCOL_VERSION }, { currentCodeVersion }, { DEFAULT_DATASETS_DIR }] = await Promise.all([
    import('../../sweep/sweep-client.ts'),
    import('../../sweep/server-protocol.ts'),
    import('../../queue/code-version.ts'),
    import('../../data/layout.ts'),
  ]);
  if (opts.queue !== undefined) throw new UserError('--server: not with --queue (the server computes the configurations on its own workers)');
  if (opts.workers !== undefined) throw new UserError('--workers: not with --server (the server keeps the workers it was started with)');
  const g: GlobalOptions = globals(cmd);
  const socket = path.resolve(typeof opts.server === 'string' ? opts.server : defaultSocket());
  const progress = createProgress();
  let started = false;
  let answer;
  try {
    answer = await sweepOnServer(
      socket,
      {
        v: PROTOCOL_VERSION,
        code: currentCodeVersion(),
        spec: path.resolve(opts.spec),
        results: path.resolve(opts.results ?? defaultResultsDir()),
        json: typeof opts.json === 'string' ? path.resolve(opts.json) : Boolean(opts.json),
        limit: opts.limit === undefined ? null : positiveInt(opts.limit, '--limit'),
        featureCache: opts.featureCache !== false,
        datasets: path.resolve(g.datasets ?? DEFAULT_DATASETS_DIR),
        db: g.db === undefined ? null : path.resolve(g.db),
        logLevel: g.verbose ? 'debug' : (process.env.LOG_LEVEL ?? 'warn'),
        verbose: Boolean(g.verbose),
      },
      {
        progress: (done, total) => {
          if (!started) {
            progress.start(total, 'sweep');
            started = true;
          }
          progress.update(done);
        },
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
      },
    );
  } finally {
    progress.stop();
  }
  if (answer.error !== null) console.error(answer.error);
  process.exitCode = answer.exit;
}

async function queuedSweepCommand(opts: SweepCliOptions, cmd: Command): Promise<void> {
  const [{ runQueuedSweep, formatQueueLine, queueProgressLabel }, { loadSweepSpec }, { formatSweepReport }, { loggerFor }] = await Promise.all([
    import('../../sweep/queue-coordinator.ts'),
    import('../../sweep/spec.ts'),
    import('../../sweep/report.ts'),
    import('../logger.ts'),
  ]);
  if (opts.workers !== undefined) throw new UserError('--workers: not with --queue (start `regime worker --queue …` processes instead)');
  const spec = loadSweepSpec(opts.spec);
  const limit = opts.limit === undefined ? undefined : positiveInt(opts.limit, '--limit');
  const batch = opts.batch === undefined ? undefined : positiveInt(opts.batch, '--batch');
  const g = globals(cmd);
  const store = await storeFor(g);
  const progress = createProgress();
  let started = false;
  let labelAt = 0;
  let report;
  try {
    report = await runQueuedSweep(store, spec, {
      queue: opts.queue!,
      batch,
      limit,
      resultsDir: opts.results ?? defaultResultsDir(),
      includeRows: Boolean(opts.json),
      logger: loggerFor(g),
      onStatus: (s) => {
        if (!started) {
          progress.start(s.total, queueProgressLabel(s));
          started = true;
        }
        // the label carries the rate: redrawn once a second, not on every configuration
        const now = Date.now();
        if (now - labelAt >= 1000) {
          labelAt = now;
          progress.update(s.done, queueProgressLabel(s));
        } else progress.update(s.done);
      },
    });
  } finally {
    progress.stop();
    store.close();
  }
  if (opts.json) await emitJson(opts.json, report);
  if (opts.json !== true) console.log(`${formatSweepReport(report)}\n${formatQueueLine(report)}`);
}
