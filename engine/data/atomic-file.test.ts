// moveFile across filesystems: rename's EXDEV (a tmpfs /tmp) is simulated, since the test machine has one filesystem.
import { afterEach, describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { moveFile } from './atomic-file.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('moveFile', () => {
  it('renames; across filesystems copies and removes the source; any other failure is thrown', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'move-file-'));
    try {
      const a = path.join(dir, 'a');
      fs.writeFileSync(a, 'one');
      moveFile(a, path.join(dir, 'b'));
      expect(fs.readFileSync(path.join(dir, 'b'), 'utf8')).toBe('one');
      expect(fs.existsSync(a)).toBe(false);

      const exdev = Object.assign(new Error('EXDEV: cross-device link not permitted'), { code: 'EXDEV' });
      const rename = vi.spyOn(fs, 'renameSync').mockImplementation(() => {
        throw exdev;
      });
      moveFile(path.join(dir, 'b'), path.join(dir, 'c'));
      expect(rename).toHaveBeenCalledTimes(1);
      expect(fs.readFileSync(path.join(dir, 'c'), 'utf8')).toBe('one');
      expect(fs.existsSync(path.join(dir, 'b'))).toBe(false);

      rename.mockRestore();
      expect(() => moveFile(path.join(dir, 'missing'), path.join(dir, 'd'))).toThrow(/ENOENT/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
