/** Which branches of a real bare origin contain a source commit (issue 8 item 3). */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { branchesContaining, requireRemoteCommit, ScratchRepo } from '@sd-actions/git';
import { commit, git, originAndClone, removeDir, tempDir } from '@sd-actions/testkit';

let root: string;
let origin: string;
let work: string;
let old: string;
let recent: string;
let sideOnly: string;

/** A commit dated `days` ago (author and committer), so the recent-history window is exercised. */
function datedCommit(repo: string, message: string, days: number): string {
  const date = new Date(Date.now() - days * 86400e3).toISOString();
  writeFileSync(join(repo, `${message}.txt`), `${message}\n`);
  git(repo, 'add', '-A');
  execFileSync('git', ['commit', '-q', '-m', message], {
    cwd: repo,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_DATE: date,
    },
  });
  return git(repo, 'rev-parse', 'HEAD');
}

beforeAll(() => {
  process.env.GIT_CONFIG_GLOBAL = '/dev/null';
  root = tempDir('reach-');
  ({ origin, work } = originAndClone(root));
  old = datedCommit(work, 'old', 60);
  for (let i = 0; i < 3; i++) datedCommit(work, `mid${i}`, 30 - i);
  recent = commit(work, 'recent', { 'r.txt': 'r\n' });
  commit(work, 'tip', { 't.txt': 't\n' });
  git(work, 'push', '-q', 'origin', 'main');
  git(work, 'checkout', '-q', '-b', 'side', old);
  sideOnly = datedCommit(work, 'side', 59);
  git(work, 'push', '-q', 'origin', 'side');
  git(work, 'push', '-q', 'origin', `${sideOnly}:refs/heads/gitops/dev`);
});

afterAll(() => removeDir(root));

const reach = (commitSha: string, extra: { branches?: string[]; exclude?: string[] } = {}) =>
  branchesContaining({ url: origin, commit: commitSha, tempRoot: root, ...extra });

describe('branchesContaining', () => {
  test('a recent commit is found from the recent history alone', async () => {
    expect(await reach(recent)).toEqual(['main']);
  });
  test('an old commit deep in history is found (the whole history is read when needed)', async () => {
    expect(await reach(old)).toEqual(['gitops/dev', 'main', 'side']);
  });
  test('a commit on an excluded branch only is on no branch', async () => {
    expect(await reach(sideOnly, { exclude: ['side'] })).toEqual(['gitops/dev']);
    expect(await reach(sideOnly, { exclude: ['side', 'gitops/dev'] })).toEqual([]);
    expect(await reach(sideOnly, { branches: ['main'] })).toEqual([]);
  });
  test('a commit origin does not have is on no branch', async () => {
    expect(await reach('d'.repeat(40))).toEqual([]);
  });
  test('an unreachable origin is a clear error', async () => {
    await expect(branchesContaining({ url: join(root, 'nowhere'), commit: recent })).rejects.toThrow(
      /^Could not list the branches of origin/,
    );
  });
});

describe('requireRemoteCommit', () => {
  test('passes for a pushed commit, names the input otherwise', async () => {
    const repo = await ScratchRepo.open({ url: origin, tempRoot: root });
    try {
      await requireRemoteCommit(repo.git, recent);
      await expect(requireRemoteCommit(repo.git, 'd'.repeat(40))).rejects.toThrow(
        /^Input "source-commit": d{40} is not in origin/,
      );
    } finally {
      await repo.dispose();
    }
  });
});
