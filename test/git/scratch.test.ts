/**
 * ScratchRepo.open writes its config itself (one git process): git must read back what it wrote.
 * listBranches lists the branches once and keeps the listing for one later reader.
 */
import { expect, test } from '@jest/globals';
import { refsUnder, ScratchRepo } from '@sd-actions/git';
import { commit, git, originAndClone, removeDir, tempDir } from '@sd-actions/testkit';

test.each([
  'https://github.example/acme/monorepo.git',
  '/tmp/a "quoted" dir/with\\backslash/origin.git',
  'git@github.example:acme/mono repo.git',
])('the origin url %s reads back unchanged, with the fetch refspec and no reflogs', async (url) => {
  const repo = await ScratchRepo.open({ url });
  try {
    expect(await repo.git.run(['config', '--get', 'remote.origin.url'])).toBe(url);
    expect(await repo.git.run(['config', '--get', 'remote.origin.fetch'])).toBe(
      '+refs/heads/*:refs/remotes/origin/*',
    );
    expect(await repo.git.run(['config', '--get', 'core.logAllRefUpdates'])).toBe('false');
    expect(await repo.git.run(['config', '--get', 'maintenance.auto'])).toBe('false');
    expect(await repo.git.run(['remote'])).toBe('origin');
  } finally {
    await repo.dispose();
  }
});

test('listBranches lists the branches (no other refs) once, and keeps the listing for one reader', async () => {
  const root = tempDir('scratch-list-');
  try {
    const { origin, work } = originAndClone(root);
    const first = commit(work, 'one', { 'a.txt': '1' });
    git(work, 'tag', '-a', '-m', 'v1', 'svc/1.0.0');
    git(work, 'push', '-q', 'origin', 'main', 'svc/1.0.0', `${first}:refs/sd-actions/pending/env/x`);
    const repo = await ScratchRepo.open({ url: origin, tempRoot: root });
    try {
      expect(await repo.listBranches()).toEqual(new Map([['main', first]]));
      expect(repo.takeListing()).toEqual(new Map([['refs/heads/main', first]]));
      expect(repo.takeListing()).toBeUndefined();
    } finally {
      await repo.dispose();
    }
    const unreachable = await ScratchRepo.open({ url: `${root}/missing.git`, tempRoot: root });
    try {
      await expect(unreachable.listBranches()).rejects.toThrow(/^Could not list the branches of origin/);
    } finally {
      await unreachable.dispose();
    }
  } finally {
    removeDir(root);
  }
});

test('refsUnder peels annotated tags in a listing', () => {
  const listing = new Map([
    ['refs/tags/svc/1.0.0', 'a'.repeat(40)],
    ['refs/tags/svc/1.0.0^{}', 'b'.repeat(40)],
    ['refs/heads/main', 'c'.repeat(40)],
  ]);
  expect(refsUnder(listing, 'refs/tags/')).toEqual(
    new Map([['svc/1.0.0', { name: 'svc/1.0.0', sha: 'a'.repeat(40), commit: 'b'.repeat(40) }]]),
  );
});
