// Worker threads do not inherit tsx's loader (Node 20), so each worker registers it before loading the
// TypeScript entry, as scripts/regime.mjs does for the CLI.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
