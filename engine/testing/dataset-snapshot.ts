/** every file under a dataset folder with its sha256: "nothing written" in a test means this does not change */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function datasetSnapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(root, p)] = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(root);
  return out;
}
