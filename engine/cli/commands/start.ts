import type { Command } from 'commander';
import { checkData } from '../../data/check.ts';
import { summarizeDataset } from '../../data/summary.ts';
import { globals, storeFor } from '../context.ts';
import { printCheck, printSummary } from './data.ts';

/** The main job on the bundled data (`npm start`). */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('the main job on the bundled data: dataset summary and data-quality report')
    .action(async (_opts: unknown, cmd: Command) => {
      const store = await storeFor(globals(cmd));
      try {
        printSummary(await summarizeDataset(store));
        console.log('');
        printCheck(await checkData(store));
      } finally {
        store.close();
      }
    });
}
