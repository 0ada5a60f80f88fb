// The run manifest's git commit read from the .git files against git itself, on this checkout and on SYNTHETIC .git
// folders (loose ref, packed ref, detached HEAD, a linked worktree's gitdir file, no repository).
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { gitCommit, gitCommitOf } from './run-store.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'git-commit-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const A = 'a'.repeat(40);
const B = '0123456789abcdef0123456789abcdef01234567';

function fakeRepo(name: string, files: Record<string, string>): string {
  const repo = path.join(tmp, name);
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
    fs.writeFileSync(path.join(repo, f), text);
  }
  return repo;
}

describe('gitCommit', () => {
  it('reads the same commit as git rev-parse HEAD on this checkout', () => {
    const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    let expected: string | null = null;
    try {
      expected = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      // not a git checkout (a tarball): then there is nothing to read either
    }
    expect(gitCommit()).toBe(expected);
  });

  it('follows a loose ref, a packed ref, a detached HEAD and a worktree gitdir file', () => {
    expect(gitCommitOf(fakeRepo('loose', { '.git/HEAD': 'ref: refs/heads/main\n', '.git/refs/heads/main': `${A}\n` }))).toBe(A);
    expect(gitCommitOf(fakeRepo('packed', { '.git/HEAD': 'ref: refs/heads/dev\n', '.git/packed-refs': `# pack-refs with: peeled\n${A} refs/heads/main\n${B} refs/heads/dev\n` }))).toBe(B);
    expect(gitCommitOf(fakeRepo('detached', { '.git/HEAD': `${B}\n` }))).toBe(B);
    const main = fakeRepo('main', { '.git/HEAD': 'ref: refs/heads/main\n', '.git/refs/heads/main': `${A}\n`, '.git/refs/heads/feature': `${B}\n` });
    fakeRepo('main/.git/worktrees/wt', { HEAD: 'ref: refs/heads/feature\n', commondir: '../..\n' });
    const wt = fakeRepo('wt', { '.git': `gitdir: ${path.join(main, '.git/worktrees/wt')}\n` });
    expect(gitCommitOf(wt)).toBe(B);
  });

  it('is null outside a repository', () => {
    expect(gitCommitOf(fakeRepo('plain', { 'README.md': 'no git here\n' }))).toBe(null);
  });
});
