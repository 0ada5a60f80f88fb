/** The vega browser builds in node_modules (their exports hide build/*.min.js from require.resolve). */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function vendorFile(pkg: string, file: string): string {
  const main = require.resolve(pkg);
  let dir = path.dirname(main);
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const f = path.join(dir, 'build', file);
  if (!fs.existsSync(f)) throw new Error(`${pkg}: ${f} is missing (npm ci?)`);
  return f;
}
