/**
 * The measured side of the import bench, in its own process so its peak RSS is its own:
 *   node --import tsx import-bench-child.ts DATASETS FILELIST.json     (CSV / archive files)
 *   node --import tsx import-bench-child.ts DATASETS --freqtrade DIR   (a freqtrade data directory)
 * prints {"ms":…,"cpuMs":…,"maxRssMb":…,"rows":…,"filesWritten":…}
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { importFiles } from './import-files.ts';
import { importFreqtrade } from './freqtrade-import.ts';
import { ownPeakRssMb } from '../testing/peak-rss.ts';

const [datasetsDir, listOrFlag, dir] = process.argv.slice(2);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const report = listOrFlag === '--freqtrade'
  ? await importFreqtrade(datasetsDir, [dir])
  : await importFiles(datasetsDir, JSON.parse(fs.readFileSync(listOrFlag, 'utf8')) as string[]);
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const rows = report.files.reduce((a, f) => a + f.rows, 0);
process.stdout.write(`${JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMb: ownPeakRssMb(), rows, filesWritten: report.commit.filesWritten })}\n`);
