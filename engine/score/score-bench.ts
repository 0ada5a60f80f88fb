/**
 * `npm run bench -- scoring`: the default backtest's scorecard (1,000-permutation random baseline per breakdown
 * row) and paper P&L on the full bundled history, each beside the code it replaced, timed alternately in this
 * process (medians), with the outputs checked equal. CPU times (process.cpuUsage: every thread of the process)
 * are given beside wall times because the machine is shared: wall moves with the load, CPU time less — though a
 * memory-bound loop's CPU time still grows when other processes crowd the caches.
 */
import os from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { openStore } from '../data/store.ts';
import { defaultConfig } from '../pipeline/config.ts';
import { loadReplayData } from '../replay/replay-data.ts';
import { runReplay } from '../replay/replay.ts';
import { pricesOf, toScorable } from '../replay/score-alerts.ts';
import { permutationValues, tablesReadThrough, type BaselineSpec } from './baseline.ts';
import { BaselinePool } from './baseline-pool.ts';
import { evaluatorValues, kernelVariant } from './baseline-reference.ts';
import { drawTables } from './draw-table.ts';
import { inSharedMemory } from './market-arrays.ts';
import { AlertSetEvaluator } from './evaluator.ts';
import { buildGrid } from './grid.ts';
import { prepareMarket, type Market } from './market.ts';
import { parseScoreOptions } from './options.ts';
import { paperPnl } from './pnl.ts';
import { parsePnlOptions } from './pnl-options.ts';
import { referenceRandom } from './pnl-reference.ts';
import { baselineSpecsOf, scoreOnMarket, scoreOnMarketWith } from './score.ts';
import { toPlain } from './stats.ts';
import { benchMedian } from '../testing/bench-median.ts';

const PAIRS = 3;
/** permutations in the kernel comparison (of the 1,000 a scorecard runs): keeps the reference's turn short */
const KERNEL_PERMUTATIONS = 200;

/**
 * The kernel's whole 1,000 permutations placed a chunk of permutations and one symbol's table at a time (each table
 * read through first), against one permutation at a time over every table (the order before session 24): two kernels
 * of the same spec, one made with room for a single permutation's scratch, alternating on this thread.
 */
async function placementOrderLines(market: Market, spec: BaselineSpec): Promise<string[]> {
  const permutations = spec.permutations;
  const chunked = structuredClone(spec);
  const single = kernelVariant(market, spec, 'one-permutation-at-a-time');
  const before: number[] = [];
  const after: number[] = [];
  let identical = true;
  let readThroughSingle = 0;
  let readThroughChunked = 0;
  for (let pair = 0; pair < PAIRS; pair++) {
    const r0 = tablesReadThrough();
    const old = await timed(() => permutationValues(market, single, 0, permutations));
    const r1 = tablesReadThrough();
    const now = await timed(() => permutationValues(market, chunked, 0, permutations));
    readThroughSingle += r1 - r0;
    readThroughChunked += tablesReadThrough() - r1;
    before.push(old.cpu);
    after.push(now.cpu);
    identical &&= sameBits(old.value, now.value);
  }
  return [
    `baseline kernel, all ${permutations.toLocaleString('en-US')} permutations (placements and rows), one thread, medians of ${PAIRS} alternating pairs:`,
    `  one permutation at a time, every table   ${ms(benchMedian(before))} CPU   (tables read through: ${readThroughSingle}; the order before session 24)`,
    `  a chunk at a time, one table at a time   ${ms(benchMedian(after))} CPU   (tables read through: ${readThroughChunked})   ${(benchMedian(before) / benchMedian(after)).toFixed(2)}× less CPU   values bit-identical: ${identical ? 'yes' : 'NO'}`,
  ];
}

function cpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

async function timed<T>(fn: () => T | Promise<T>): Promise<{ wall: number; cpu: number; value: T }> {
  const c0 = cpuMs();
  const t0 = performance.now();
  const value = await fn();
  return { wall: performance.now() - t0, cpu: cpuMs() - c0, value };
}

function sameBits(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

const ms = (x: number) => `${x.toFixed(0)} ms`;

export async function benchScoring(): Promise<string[]> {
  const store = await openStore();
  const lines: string[] = [];
  try {
    const config = defaultConfig();
    const data = await loadReplayData(store, config.symbols);
    const replay = runReplay(data, config, { emitFrom: data.firstHour });
    const prices = pricesOf(data, replay.emitFrom);
    const alerts = replay.alerts.map(toScorable);
    const options = parseScoreOptions({ permutations: 1000, seed: 1 });
    lines.push(`## Scoring: the default backtest's scorecard and paper P&L (${alerts.length.toLocaleString('en-US')} alerts, full bundled history)`);
    lines.push(`machine load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores at the start (wall times move with it; CPU time less so)`);

    const prep = await timed(() => prepareMarket(prices, options));
    const market: Market = prep.value;
    lines.push(`prepareMarket (first call, cold)            ${ms(prep.wall)} wall, ${ms(prep.cpu)} CPU`);

    // the backtest takes the market its pool's worker prepared during the replay, its arrays in shared memory, so
    // this thread only receives the objects around them; here both ends run in this process over a MessageChannel,
    // alternating with preparing the market on this thread
    const channel = new MessageChannel();
    const prepared: number[] = [];
    const copied: number[] = [];
    const received: number[] = [];
    let sameMarket = true;
    try {
      for (let pair = 0; pair < PAIRS; pair++) {
        const own = await timed(() => {
          const mk = prepareMarket(prices, options);
          drawTables(mk);
          return mk;
        });
        prepared.push(own.cpu);
        const inShared = await timed(() => inSharedMemory(() => {
          const mk = prepareMarket(prices, options);
          return { market: mk, tables: drawTables(mk) };
        }));
        copied.push(inShared.cpu);
        const arrived = new Promise<{ market: Market }>((resolve) => channel.port2.once('message', resolve));
        channel.port1.postMessage(inShared.value);
        const got = await timed(() => arrived);
        received.push(got.cpu);
        sameMarket &&= JSON.stringify(got.value.market.options) === JSON.stringify(market.options) && sameBits(got.value.market.hourly, market.hourly);
      }
    } finally {
      channel.port1.close();
    }
    lines.push(`the scorecard's market, medians of ${PAIRS} alternating:`);
    lines.push(`  prepareMarket + draw tables on this thread ${ms(benchMedian(prepared))} CPU`);
    lines.push(`  taken from the pool's worker              ${ms(benchMedian(received))} CPU on this thread (the worker's market in shared memory: ${ms(benchMedian(copied))} CPU, made during the replay)   same options and hourly table: ${sameMarket ? 'yes' : 'NO'} (the whole market and draw tables: baseline-pool.test.ts)`);

    // the baseline a scorecard hands its runner: every anchored alert placed once per permutation, every row counted from those placements
    const evaluator = new AlertSetEvaluator(market);
    const [spec] = baselineSpecsOf(market, alerts);
    const memberships = spec.rows.reduce((n, r) => n + r.members.length, 0);
    const before: number[] = [];
    const after: number[] = [];
    let identical = true;
    for (let pair = 0; pair < PAIRS; pair++) {
      const old = await timed(() => evaluatorValues(evaluator, spec, 0, KERNEL_PERMUTATIONS));
      const now = await timed(() => permutationValues(market, spec, 0, KERNEL_PERMUTATIONS));
      before.push(old.cpu);
      after.push(now.cpu);
      identical &&= sameBits(old.value, now.value);
    }
    const perAlert = (cpu: number) => ((cpu * 1e6) / (KERNEL_PERMUTATIONS * spec.keys.length)).toFixed(0);
    lines.push(
      `baseline kernel, ${KERNEL_PERMUTATIONS} permutations × ${spec.keys.length.toLocaleString('en-US')} alerts placed once each, counted in ${spec.rows.length} rows (${memberships.toLocaleString('en-US')} row memberships), one thread, medians of ${PAIRS} alternating pairs:`,
    );
    lines.push(`  reference (hash placements, evaluator per row)  ${ms(benchMedian(before))} CPU   ${perAlert(benchMedian(before))} ns/alert placed`);
    lines.push(`  shared-placement kernel                   ${ms(benchMedian(after))} CPU   ${perAlert(benchMedian(after))} ns/alert placed   ${(benchMedian(before) / benchMedian(after)).toFixed(2)}× less CPU   values bit-identical: ${identical ? 'yes' : 'NO'}`);
    lines.push(...(await placementOrderLines(market, spec)));

    // the whole scorecard as the backtest computes it: on this thread, then with the pool (its worker started and ready, as after the replay)
    const pool = new BaselinePool(prices, options);
    await pool.ready();
    const single: { wall: number; cpu: number }[] = [];
    const pooled: { wall: number; cpu: number }[] = [];
    const sequential: { wall: number; cpu: number }[] = [];
    const beside: { wall: number; cpu: number }[] = [];
    const pnlOptions = { random_entries: 1000, seed: 1 };
    let sameCard = true;
    let samePnlOnWorker = true;
    try {
      for (let pair = 0; pair < PAIRS; pair++) {
        const a = await timed(() => scoreOnMarket(prepareMarket(prices, options), alerts));
        const b = await timed(() => scoreOnMarketWith(prepareMarket(prices, options), alerts, pool.runner));
        single.push(a);
        pooled.push(b);
        sameCard &&= JSON.stringify(a.value) === JSON.stringify(b.value);
        // score then P&L on this thread, as runBacktest does now, against the P&L on the worker beside the scorecard
        const c = await timed(async () => [await scoreOnMarketWith(prepareMarket(prices, options), alerts, pool.runner), paperPnl(prices, alerts, pnlOptions)] as const);
        const d = await timed(() => Promise.all([scoreOnMarketWith(prepareMarket(prices, options), alerts, pool.runner), pool.paperPnl(alerts, pnlOptions)]));
        sequential.push(c);
        beside.push(d);
        samePnlOnWorker &&= JSON.stringify(c.value) === JSON.stringify([d.value[0], d.value[1]]);
      }
    } finally {
      await pool.close();
    }
    const wall = (xs: { wall: number }[]) => benchMedian(xs.map((x) => x.wall));
    const cpu = (xs: { cpu: number }[]) => benchMedian(xs.map((x) => x.cpu));
    lines.push(`scorecard incl. prepareMarket, 1,000 permutations (as elapsed_ms.score), medians of ${PAIRS}:`);
    lines.push(`  this thread only                          ${ms(wall(single))} wall, ${ms(cpu(single))} CPU`);
    lines.push(`  with the pool (${os.availableParallelism() - 1} worker, ready)             ${ms(wall(pooled))} wall, ${ms(cpu(pooled))} CPU (whole process: this thread + the worker)   same scorecard: ${sameCard ? 'yes' : 'NO'}`);

    lines.push(`score + pnl, medians of ${PAIRS} (the pool's worker ready):`);
    lines.push(`  one after the other                       ${ms(wall(sequential))} wall, ${ms(cpu(sequential))} CPU (whole process)`);
    lines.push(`  P&L on the worker beside the scorecard (as runBacktest does) ${ms(wall(beside))} wall, ${ms(cpu(beside))} CPU (whole process)   ${(wall(sequential) / wall(beside)).toFixed(2)}× less wall   same results: ${samePnlOnWorker ? 'yes' : 'NO'}`);

    // paper P&L: the whole of it now, and the random entries alone as they were computed before (the part made fast)
    const o = parsePnlOptions(pnlOptions);
    const pnlNow: number[] = [];
    const pnlWall: number[] = [];
    const randomBefore: number[] = [];
    let samePnl = true;
    for (let pair = 0; pair < PAIRS; pair++) {
      const now = await timed(() => paperPnl(prices, alerts, pnlOptions));
      pnlNow.push(now.cpu);
      pnlWall.push(now.wall);
      const pnl = now.value;
      const grid = buildGrid(prices, 1);
      const old = await timed(() =>
        pnl.summary.rows.map((row) => {
          const equity = pnl.curves.find((c) => c.key === row.key)!.equity;
          return referenceRandom(grid, row, pnl.trades.get(row.key)!, equity[equity.length - 1] - 1, o);
        }),
      );
      randomBefore.push(old.cpu);
      samePnl &&= pnl.summary.rows.every((row, i) => JSON.stringify(row.random) === JSON.stringify(toPlain(old.value[i])));
    }
    lines.push(`paper P&L, 1,000 random-entry draws per row (as elapsed_ms.pnl), medians of ${PAIRS}:`);
    lines.push(`  paperPnl now, all of it                   ${ms(benchMedian(pnlWall))} wall, ${ms(benchMedian(pnlNow))} CPU`);
    lines.push(`  the previous random entries alone         ${ms(benchMedian(randomBefore))} CPU   same random-entry figures: ${samePnl ? 'yes' : 'NO'}`);
    const scoringWall = wall(beside);
    lines.push(`score + pnl as runBacktest does, ${ms(scoringWall)} wall   goal (issue #13, scoring half of goal 1) < 700 ms wall on 2 cores   ${scoringWall < 700 ? 'MET' : 'NOT MET'}`);
    return lines;
  } finally {
    store.close();
  }
}

