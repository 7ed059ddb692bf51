/**
 * hotfix, from its committed bundle, against a real origin: cherry-pick onto the release line,
 * next patch version, branch and tag in one atomic push; conflicts and bad input change nothing.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { join } from 'node:path';
import {
  checkoutClone,
  commit,
  git,
  originAndClone,
  removeDir,
  runAction,
  tempDir,
  type ActionRun,
} from '@sd-actions/testkit';

const CONFIG = 'services:\n  blue: { path: projects/blue }\n  green: { path: projects/green }\n';
let root: string;
let origin: string;
let work: string;
let c1: string;
let fix1: string;
let fix2: string;
let clashing: string;
let checkouts = 0;

function hotfix(inputs: Record<string, string>, depth?: number): Promise<ActionRun> {
  const checkout = checkoutClone(origin, join(root, `checkout-${++checkouts}`), { depth });
  return runAction('hotfix', { workspace: checkout, inputs, event: 'workflow_dispatch' });
}

function ok(run: ActionRun): ActionRun {
  if (run.code !== 0) throw new Error(`hotfix failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
  return run;
}

const refs = () => git(origin, 'for-each-ref', '--format=%(refname) %(objectname)');

beforeAll(() => {
  root = tempDir('hotfix-');
  ({ origin, work } = originAndClone(root));
  c1 = commit(work, 'feat(blue): 1.6.0', {
    '.github/sd-actions.yml': CONFIG,
    'projects/blue/app.txt': 'line 1\nline 2\nline 3\n',
    'projects/blue/config.txt': 'timeout=10\n',
    'projects/green/app.txt': 'green\n',
  });
  git(work, 'tag', 'blue/1.6.0', c1);
  git(work, 'tag', 'blue/1.5.3', c1);
  commit(work, 'feat(blue): rewrite app', {
    'projects/blue/app.txt': 'new line 1\nnew line 2\nnew line 3\n',
  });
  fix1 = commit(work, 'fix(blue): timeout', { 'projects/blue/config.txt': 'timeout=30\n' });
  fix2 = commit(work, 'fix(blue): log level', { 'projects/blue/log.txt': 'level=warn\n' });
  clashing = commit(work, 'fix(blue): touch rewritten lines', {
    'projects/blue/app.txt': 'new line 1\nfixed line 2\nnew line 3\n',
  });
  git(work, 'push', '-q', '--tags', 'origin', 'main');
});

afterAll(() => removeDir(root));

/**
 * What the first test leaves: blue 1.6.1 (fix1 on release/blue-1.6). Tests that start from it make
 * it themselves when run alone (`-t`); after the first test it is already there.
 */
async function blue161(): Promise<void> {
  if (git(origin, 'tag', '--list', 'blue/1.6.1') === '') ok(await hotfix({ service: 'blue', commits: fix1 }));
}

test('the first hotfix creates the release branch from the tag, picks, and tags 1.6.1 atomically', async () => {
  const run = ok(await hotfix({ service: 'blue', commits: fix1.slice(0, 7) }, 1));
  expect(run.outputs).toMatchObject({
    version: '1.6.1',
    tag: 'blue/1.6.1',
    'release-branch': 'release/blue-1.6',
    'base-version': '1.6.0',
    changed: 'true',
  });
  const head = run.outputs.commit!;
  expect(git(origin, 'rev-parse', 'refs/heads/release/blue-1.6')).toBe(head);
  expect(git(origin, 'rev-parse', 'blue/1.6.1^{commit}')).toBe(head);
  expect(git(origin, 'rev-parse', `${head}^`)).toBe(c1);
  expect(git(origin, 'log', '-1', '--format=%B', head)).toContain(`(cherry picked from commit ${fix1})`);
  expect(git(origin, 'show', `${head}:projects/blue/config.txt`)).toBe('timeout=30');
  // The rewrite that was not picked stays out of the release line.
  expect(git(origin, 'show', `${head}:projects/blue/app.txt`)).toBe('line 1\nline 2\nline 3');
  expect(run.summary).toContain('1.6.0 → 1.6.1');
});

test('a re-run is a no-op that says so', async () => {
  await blue161();
  const before = refs();
  const run = ok(await hotfix({ service: 'blue', commits: fix1 }));
  expect(run.outputs).toMatchObject({ version: '1.6.1', tag: 'blue/1.6.1', changed: 'false' });
  expect(run.stdout).toContain('Nothing changed');
  expect(refs()).toBe(before);
});

test('the next hotfix goes on the existing branch as 1.6.2', async () => {
  await blue161();
  const run = ok(await hotfix({ service: 'blue', commits: fix2 }));
  expect(run.outputs).toMatchObject({ version: '1.6.2', 'base-version': '1.6.1' });
  expect(git(origin, 'rev-parse', `${run.outputs.commit}^`)).toBe(
    git(origin, 'rev-parse', 'blue/1.6.1^{commit}'),
  );
});

test('an older line can be patched', async () => {
  const run = ok(await hotfix({ service: 'blue', commits: fix2, line: '1.5' }));
  expect(run.outputs).toMatchObject({ version: '1.5.4', 'release-branch': 'release/blue-1.5' });
});

test('a cherry-pick conflict stops with the file and leaves no branch, tag or worktree', async () => {
  const before = refs();
  const checkout = checkoutClone(origin, join(root, 'conflict-checkout'));
  const run = await runAction('hotfix', {
    workspace: checkout,
    inputs: { service: 'blue', commits: clashing },
    event: 'workflow_dispatch',
  });
  expect(run.code).toBe(1);
  expect(run.annotations[0]?.message).toMatch(/conflicts in projects\/blue\/app\.txt/);
  expect(refs()).toBe(before);
  expect(git(checkout, 'worktree', 'list').split('\n')).toHaveLength(1);
  expect(git(checkout, 'status', '--porcelain')).toBe('');
});

test.each([
  [
    { service: 'blue', commits: 'abc;rm -rf /' },
    'Input "commits": "abc;rm" is not valid; expected a commit SHA',
  ],
  [{ service: 'blue', commits: '' }, 'Input "commits" is required'],
  [{ service: 'blue', commits: 'deadbeefdeadbeef' }, 'Input "commits": "deadbeefdeadbeef" is not a commit'],
  [{ service: 'bleu', commits: 'abcdef1' }, 'Input "service": "bleu" is not a service'],
  [{ service: 'green', commits: 'abcdef1' }, 'green has no release yet'],
  [{ service: 'blue', commits: 'abcdef1', line: '9.9' }, 'has no release on 9.9'],
])('bad input %j is refused and changes nothing', async (inputs, message) => {
  const before = refs();
  const run = await hotfix(inputs);
  expect(run.code).toBe(1);
  expect(run.annotations[0]?.message).toContain(message);
  expect(refs()).toBe(before);
});

test('a commit the release line already holds says so, and which commit holds it; nothing changes', async () => {
  await blue161();
  // c1 is where the 1.6 line was cut; `again` makes fix1's change once more on main (same patch).
  commit(work, 'revert the timeout', { 'projects/blue/config.txt': 'timeout=10\n' });
  const again = commit(work, 'fix(blue): timeout, again', { 'projects/blue/config.txt': 'timeout=30\n' });
  git(work, 'push', '-q', 'origin', 'main');
  const picked = git(origin, 'rev-parse', 'blue/1.6.1^{commit}');
  const before = refs();
  const cut = await hotfix({ service: 'blue', commits: c1, line: '1.6' });
  expect(cut.code).toBe(1);
  expect(cut.annotations[0]?.message).toMatch(
    new RegExp(
      `${c1.slice(0, 12)} is already on release/blue-1\\.6 \\(the line was cut after it: [0-9a-f]{12} contains it\\); nothing to hotfix`,
    ),
  );
  const same = await hotfix({ service: 'blue', commits: again, line: '1.6' });
  expect(same.code).toBe(1);
  expect(same.annotations[0]?.message).toContain(
    `${again.slice(0, 12)} is already on release/blue-1.6 as ${picked.slice(0, 12)} (the same change)`,
  );
  expect(cut.annotations[0]?.message).not.toMatch(/--skip|conflict/);
  expect(refs()).toBe(before);
});

test('a commit touching none of the service paths is picked with a warning', async () => {
  const other = commit(work, 'fix(green): only green', { 'projects/green/app.txt': 'green 2\n' });
  git(work, 'push', '-q', 'origin', 'main');
  const run = ok(await hotfix({ service: 'blue', commits: other, line: '1.6' }));
  expect(run.annotations).toContainEqual(
    expect.objectContaining({
      level: 'warning',
      message: `${other.slice(0, 12)} changes none of blue's paths (projects/blue); is it the right commit for this service?`,
    }),
  );
});
