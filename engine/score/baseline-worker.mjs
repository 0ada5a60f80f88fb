// Worker threads do not inherit the CLI's loader: start from the CLI's bundle, or through tsx (scripts/cli-bundle.mjs).
import { importEntry } from '../../scripts/cli-bundle.mjs';

await importEntry(new URL('./baseline-worker.ts', import.meta.url));
