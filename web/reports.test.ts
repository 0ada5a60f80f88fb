// The reports adapter: the report module's list when it gives one, the folder scan otherwise, and never a
// folder outside the reports directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listReports, scanReports } from './reports.ts';

let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regime-web-reports-'));
  for (const [name, html] of [
    ['alpha', '<title>Alpha report</title>'],
    ['beta', '<p>no title</p>'],
  ]) {
    fs.mkdirSync(path.join(dir, name));
    fs.writeFileSync(path.join(dir, name, 'index.html'), html);
  }
  fs.mkdirSync(path.join(dir, 'no-index'));
  fs.writeFileSync(path.join(dir, 'stray.html'), 'x');
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('reports', () => {
  it('scan: folders with an index.html, titled from the page or named after the folder', () => {
    const r = scanReports(dir);
    expect(r.map((x) => [x.name, x.title]).sort()).toEqual([
      ['alpha', 'Alpha report'],
      ['beta', 'beta'],
    ]);
    expect(scanReports(path.join(dir, 'missing'))).toEqual([]);
  });

  it('uses the report module when it answers, mapping its records onto folders', async () => {
    const lister = async () => (outDir: string) => [
      { id: 'beta', dir: path.join(outDir, 'beta'), html: path.join(outDir, 'beta', 'index.html'), title: 'Beta (rendered)', rendered_at: '2026-04-02T00:00:00Z', notebook: 'b', ok: false },
      // outside the reports folder, or without an index.html: never listed, so never served
      { id: 'evil', dir: '/etc', title: 'x' },
      { id: 'no-index', dir: path.join(outDir, 'no-index'), title: 'y' },
    ];
    expect(await listReports(dir, lister)).toEqual([{ name: 'beta', title: 'Beta (rendered)', label: 'Beta (rendered)', modified: '2026-04-02T00:00:00Z', notebook: 'b', ok: false }]);
  });

  it('falls back to the scan when the module is absent, throws or answers something unusable', async () => {
    const names = async (l: () => Promise<((d: string) => unknown) | null>) => (await listReports(dir, l)).map((r) => r.name).sort();
    expect(await names(async () => null)).toEqual(['alpha', 'beta']);
    expect(await names(async () => () => { throw new Error('broken'); })).toEqual(['alpha', 'beta']);
    expect(await names(async () => () => 'not a list')).toEqual(['alpha', 'beta']);
  });
});
