// Preloaded by the backtest bench (node --import): on exit, appends the main thread's own CPU time (user and system
// ms, from /proc on Linux) to the file named by BENCH_THREAD_CPU, the figure a shared machine does not inflate and
// the one the main thread's critical path is made of. Worker threads inherit the flag and do nothing.
import fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const file = process.env.BENCH_THREAD_CPU;
if (isMainThread && file) {
  process.on('exit', () => {
    try {
      // fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100 per second on Linux)
      const fields = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      fs.appendFileSync(file, `${Number(fields[11]) * 10} ${Number(fields[12]) * 10}\n`);
    } catch {
      // no /proc: the bench prints no main-thread figure
    }
  });
}
