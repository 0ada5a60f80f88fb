#!/usr/bin/env node
// The `regime` command: TypeScript runs through tsx, so there is no build step between a clone and a run.
import { register } from 'tsx/esm/api';

register();
await import('../engine/cli/main.ts');
