/** Release refs against a real bare origin: tags, release branches, listing, cherry-picks. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { UserError } from '@sd-actions/core';
import { cherryPick, ensureBranch, ensureTag, Git, listTags } from '@sd-actions/git';
import { checkoutClone, commit, git, originAndClone, removeDir, tempDir } from '@sd-actions/testkit';

let root: string;
let origin: string;
let work: string;
let c1: string;
let c2: string;
let checkout: Git;

beforeAll(() => {
  process.env.GIT_CONFIG_GLOBAL = '/dev/null';
  root = tempDir('refs-');
  ({ origin, work } = originAndClone(root));
  c1 = commit(work, 'one', { 'projects/blue/app.js': 'line 1\n' });
  c2 = commit(work, 'two', { 'projects/blue/app.js': 'line 1\nline 2\n' });
  git(work, 'push', '-q', 'origin', 'main');
  // A shallow checkout that has only c2: tagging c1 must fetch it.
  checkout = new Git(checkoutClone(origin, join(root, 'checkout'), { depth: 1 }));
});

afterAll(() => removeDir(root));

describe('tags', () => {
  test('created once, then a no-op; a different commit is refused', async () => {
    expect(await ensureTag(checkout, { remote: 'origin', name: 'blue/1.0.0', commit: c1 })).toBe('created');
    expect(git(origin, 'rev-parse', 'blue/1.0.0')).toBe(c1);
    expect(await ensureTag(checkout, { remote: 'origin', name: 'blue/1.0.0', commit: c1 })).toBe('exists');
    await expect(ensureTag(checkout, { remote: 'origin', name: 'blue/1.0.0', commit: c2 })).rejects.toThrow(
      /^Tag blue\/1\.0\.0 already exists at [0-9a-f]{12}, not [0-9a-f]{12}; tags are never moved/,
    );
    expect(git(origin, 'rev-parse', 'blue/1.0.0')).toBe(c1);
  });

  test('annotated tags, peeled when compared', async () => {
    expect(
      await ensureTag(checkout, {
        remote: 'origin',
        name: 'blue/1.1.0',
        commit: c2,
        message: 'blue 1.1.0\n\nSd-Version: 1.1.0',
      }),
    ).toBe('created');
    expect(git(origin, 'cat-file', '-t', 'blue/1.1.0')).toBe('tag');
    expect(git(origin, 'rev-parse', 'blue/1.1.0^{commit}')).toBe(c2);
    expect(git(origin, 'cat-file', 'tag', 'blue/1.1.0')).toContain(
      'tagger github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>',
    );
    expect(
      await ensureTag(checkout, { remote: 'origin', name: 'blue/1.1.0', commit: c2, message: 'again' }),
    ).toBe('exists');
    // The user's repository got no local tag.
    expect(await checkout.run(['tag', '--list'])).toBe('');
  });

  test('names are checked before anything is pushed', async () => {
    for (const name of ['blue/1.0.0;rm -rf', '-f', 'blue/../x', 'blue/1.0.0.lock'])
      await expect(ensureTag(checkout, { remote: 'origin', name, commit: c1 })).rejects.toThrow(UserError);
  });

  test('listing by template', async () => {
    await ensureTag(checkout, { remote: 'origin', name: 'green/2.0.0', commit: c1 });
    const blue = await listTags(checkout, 'origin', '{service}/{version}', { service: 'blue' });
    expect(blue.map((t) => [t.name, t.values.version, t.commit])).toEqual([
      ['blue/1.0.0', '1.0.0', c1],
      ['blue/1.1.0', '1.1.0', c2],
    ]);
    expect((await listTags(checkout, 'origin', '{service}/{version}')).map((t) => t.values.service)).toEqual([
      'blue',
      'blue',
      'green',
    ]);
  });
});

describe('release branches', () => {
  test('created when missing, left alone when present', async () => {
    expect(await ensureBranch(checkout, { remote: 'origin', name: 'release/blue-1.0', commit: c1 })).toEqual({
      outcome: 'created',
      commit: c1,
    });
    expect(await ensureBranch(checkout, { remote: 'origin', name: 'release/blue-1.0', commit: c2 })).toEqual({
      outcome: 'exists',
      commit: c1,
    });
    expect(git(origin, 'rev-parse', 'release/blue-1.0')).toBe(c1);
  });
});

describe('cherry-pick', () => {
  let fix: string;
  let clash: string;
  beforeAll(() => {
    git(work, 'checkout', '-q', '-b', 'topic', c2);
    fix = commit(work, 'fix: other file', { 'projects/blue/fix.js': 'fixed\n' });
    clash = commit(work, 'fix: rewrite', { 'projects/blue/app.js': 'rewritten\n' });
  });

  test('onto a release branch in a temporary worktree', async () => {
    const repo = new Git(work);
    const head = await repo.run(['rev-parse', 'HEAD']);
    const picked = await cherryPick(repo, { onto: c1, commits: [fix], tempRoot: root });
    expect(git(work, 'rev-parse', `${picked}~1`)).toBe(c1);
    expect(git(work, 'log', '-1', '--format=%B', picked)).toContain(`(cherry picked from commit ${fix})`);
    expect(git(work, 'show', `${picked}:projects/blue/fix.js`)).toBe('fixed');
    expect(await repo.run(['rev-parse', 'HEAD'])).toBe(head);
    expect(git(work, 'worktree', 'list').split('\n')).toHaveLength(1);
  });

  test('a conflict is aborted cleanly and named', async () => {
    const repo = new Git(work);
    await expect(cherryPick(repo, { onto: c1, commits: [clash], tempRoot: root })).rejects.toThrow(
      new RegExp(`^Cherry-picking ${clash.slice(0, 12)} onto ${c1} conflicts in projects/blue/app.js`),
    );
    expect(git(work, 'worktree', 'list').split('\n')).toHaveLength(1);
    expect(git(work, 'status', '--porcelain')).toBe('');
  });
});
