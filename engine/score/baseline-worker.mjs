// Worker threads do not inherit tsx's loader (Node 20), so the worker registers it before loading its
// TypeScript entry, as scripts/regime.mjs does for the CLI.
import { register } from 'tsx/esm/api';

register();
await import('./baseline-worker.ts');
