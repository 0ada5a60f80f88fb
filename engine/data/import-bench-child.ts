/**
 * The measured side of the import bench, in its own process so its peak RSS is its own:
 * node --import tsx import-bench-child.ts DATASETS FILELIST.json → prints {"ms":…,"maxRssMb":…,"rows":…}
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { importFiles } from './import-files.ts';

const [datasetsDir, listFile] = process.argv.slice(2);
const files = JSON.parse(fs.readFileSync(listFile, 'utf8')) as string[];
const t0 = performance.now();
const report = await importFiles(datasetsDir, files);
const ms = performance.now() - t0;
const rows = report.files.reduce((a, f) => a + f.rows, 0);
process.stdout.write(`${JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024, rows, filesWritten: report.commit.filesWritten })}\n`);
