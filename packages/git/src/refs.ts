/**
 * Release refs on the remote: immutable tags `{service}/{version}`, release branches
 * `release/{service}-{major}.{minor}`, and cherry-picks for hotfixes. All are idempotent: an
 * existing ref that already says the same thing is success, one that says something else is a
 * UserError, and nothing is ever force-pushed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FULL_SHA,
  refNameProblem,
  show,
  templateMatcher,
  UserError,
  type TemplateValues,
} from '@sd-actions/core';
import { DEFAULT_IDENTITY, identityEnv, type Identity } from './auth.js';
import { Git } from './git.js';

export interface RemoteRef {
  name: string;
  /** What the ref points at (a tag object for annotated tags). */
  sha: string;
  /** The commit it leads to (peeled). */
  commit: string;
}

/** Refs of a remote under a prefix (`refs/tags/`, `refs/heads/`), with annotated tags peeled. */
export async function listRemoteRefs(
  git: Git,
  remote: string,
  prefix: string,
): Promise<Map<string, RemoteRef>> {
  const out = await git.run(['ls-remote', '--end-of-options', remote, `${prefix}*`]);
  const listing = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [sha, ref] = line.split('\t');
    if (sha && ref) listing.set(ref, sha);
  }
  return refsUnder(listing, prefix);
}

/** The refs under a prefix in an `ls-remote` listing (refname → sha), annotated tags peeled. */
export function refsUnder(listing: ReadonlyMap<string, string>, prefix: string): Map<string, RemoteRef> {
  const refs = new Map<string, RemoteRef>();
  const peeled = new Map<string, string>();
  for (const [ref, sha] of listing) {
    if (!ref.startsWith(prefix)) continue;
    if (ref.endsWith('^{}')) peeled.set(ref.slice(prefix.length, -3), sha);
    else refs.set(ref.slice(prefix.length), { name: ref.slice(prefix.length), sha, commit: sha });
  }
  for (const [name, commit] of peeled) {
    const ref = refs.get(name);
    if (ref) ref.commit = commit;
  }
  return refs;
}

async function checkRefName(git: Git, kind: 'tag' | 'branch', name: string): Promise<void> {
  const problem = refNameProblem(name);
  const full = `refs/${kind === 'tag' ? 'tags' : 'heads'}/${name}`;
  if (problem || !(await git.ok(['check-ref-format', full])))
    throw new UserError(`${show(name)} is not a valid ${kind} name${problem ? `: it ${problem}` : ''}`);
}

/** Make sure a commit is in the local repository, fetching just it (depth 1) when it is not. */
export async function ensureCommit(git: Git, remote: string, commit: string): Promise<void> {
  if (!FULL_SHA.test(commit)) throw new UserError(`${show(commit)} is not a full commit SHA`);
  if (await git.hasCommit(commit)) return;
  const fetched = await git.exec([
    'fetch',
    '--quiet',
    '--no-tags',
    '--depth=1',
    '--end-of-options',
    remote,
    commit,
  ]);
  if (fetched.code !== 0 || !(await git.hasCommit(commit)))
    throw new UserError(`Commit ${commit} is not in ${remote}; was it pushed?`);
}

export type RefOutcome = 'created' | 'exists';

/** An annotated tag object for `commit`, written with mktag: no ref is created in the local repository. */
async function tagObject(
  git: Git,
  name: string,
  commit: string,
  message: string,
  identity?: Identity,
): Promise<string> {
  const withId = git.withEnv(identityEnv(identity ?? DEFAULT_IDENTITY));
  const tagger = await withId.run(['var', 'GIT_COMMITTER_IDENT']);
  const text = `object ${commit}\ntype commit\ntag ${name}\ntagger ${tagger}\n\n${message.replace(/\r/g, '').trimEnd()}\n`;
  return withId.run(['mktag'], text);
}

/**
 * Create tag `name` on `commit` at the remote. An annotated tag when `message` is given.
 * Exists at the same commit: 'exists'. Exists elsewhere: a UserError (tags are immutable).
 */
export async function ensureTag(
  git: Git,
  options: { remote: string; name: string; commit: string; message?: string; identity?: Identity },
): Promise<RefOutcome> {
  const { remote, name, commit } = options;
  await checkRefName(git, 'tag', name);
  const compare = async (): Promise<RefOutcome | undefined> => {
    const existing = (await listRemoteRefs(git, remote, 'refs/tags/')).get(name);
    if (!existing) return undefined;
    if (existing.commit === commit) return 'exists';
    throw new UserError(
      `Tag ${name} already exists at ${existing.commit.slice(0, 12)}, not ${commit.slice(0, 12)}; tags are never moved (release a new version instead)`,
    );
  };
  const before = await compare();
  if (before) return before;
  await ensureCommit(git, remote, commit);
  const object =
    options.message === undefined
      ? commit
      : await tagObject(git, name, commit, options.message, options.identity);
  const pushed = await git.exec([
    'push',
    '--porcelain',
    '--end-of-options',
    remote,
    `${object}:refs/tags/${name}`,
  ]);
  if (pushed.code === 0) return 'created';
  // Lost a race: fine when the winner tagged the same commit.
  const after = await compare();
  if (after) return after;
  throw new UserError(
    `Could not push tag ${name}: ${pushed.stderr.trim().split('\n').slice(-2).join(' / ')}`,
  );
}

/** Create branch `name` at `commit` on the remote when it is missing. An existing branch is left alone. */
export async function ensureBranch(
  git: Git,
  options: { remote: string; name: string; commit: string },
): Promise<{ outcome: RefOutcome; commit: string }> {
  const { remote, name, commit } = options;
  await checkRefName(git, 'branch', name);
  const existing = (await listRemoteRefs(git, remote, 'refs/heads/')).get(name);
  if (existing) return { outcome: 'exists', commit: existing.commit };
  await ensureCommit(git, remote, commit);
  const pushed = await git.exec([
    'push',
    '--porcelain',
    '--end-of-options',
    remote,
    `${commit}:refs/heads/${name}`,
  ]);
  if (pushed.code === 0) return { outcome: 'created', commit };
  const raced = (await listRemoteRefs(git, remote, 'refs/heads/')).get(name);
  if (raced) return { outcome: 'exists', commit: raced.commit };
  throw new UserError(
    `Could not create branch ${name}: ${pushed.stderr.trim().split('\n').slice(-2).join(' / ')}`,
  );
}

/** Remote tags matching a template like `{service}/{version}` (optionally with fixed values). */
export async function listTags(
  git: Git,
  remote: string,
  template: string,
  fixed: TemplateValues = {},
): Promise<(RemoteRef & { values: TemplateValues })[]> {
  const match = templateMatcher(template, fixed);
  const out: (RemoteRef & { values: TemplateValues })[] = [];
  for (const ref of (await listRemoteRefs(git, remote, 'refs/tags/')).values()) {
    const values = match(ref.name);
    if (values) out.push({ ...ref, values });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Cherry-pick commits (with `-x`) on top of `onto` in a temporary worktree of `git`'s repository
 * and return the resulting commit; the caller pushes it. On a conflict the pick is aborted, the
 * worktree removed, and a UserError lists the conflicting paths.
 */
export async function cherryPick(
  git: Git,
  options: { onto: string; commits: readonly string[]; identity?: Identity; tempRoot?: string },
): Promise<string> {
  for (const c of options.commits)
    if (!FULL_SHA.test(c)) throw new UserError(`${show(c)} is not a full commit SHA`);
  const root = options.tempRoot ?? process.env.RUNNER_TEMP ?? tmpdir();
  const dir = await mkdtemp(join(root, 'sd-pick-'));
  await git.run(['worktree', 'add', '--quiet', '--detach', '--end-of-options', dir, options.onto]);
  const tree = new Git(dir).withEnv(identityEnv(options.identity ?? DEFAULT_IDENTITY));
  try {
    for (const commit of options.commits) {
      const picked = await tree.exec([
        '-c',
        'commit.gpgSign=false',
        'cherry-pick',
        '-x',
        '--end-of-options',
        commit,
      ]);
      if (picked.code !== 0) {
        const conflicts = (await tree.exec(['diff', '--name-only', '--diff-filter=U', '-z'])).stdout
          .toString('utf8')
          .split('\0')
          .filter(Boolean);
        await tree.exec(['cherry-pick', '--abort']);
        throw new UserError(
          `Cherry-picking ${commit.slice(0, 12)} onto ${options.onto} conflicts${conflicts.length ? ` in ${conflicts.join(', ')}` : `: ${picked.stderr.trim().split('\n').slice(-2).join(' / ')}`}; resolve it by hand on a branch and retry`,
        );
      }
    }
    return await tree.run(['rev-parse', 'HEAD']);
  } finally {
    await git.exec(['worktree', 'remove', '--force', dir]);
    await rm(dir, { recursive: true, force: true });
    await git.exec(['worktree', 'prune']);
  }
}

/**
 * Move (or create) a branch to `commit` and create an annotated tag on it in ONE atomic push:
 * either both land or neither does, so a hotfix never leaves a branch without its tag or a tag
 * without its branch. Never forced: the branch update lands only as a fast-forward (or as a new
 * branch), so a release branch that moved meanwhile rejects the whole push.
 */
export async function pushBranchAndTag(
  git: Git,
  options: {
    remote: string;
    branch: string;
    commit: string;
    tag: string;
    message: string;
    identity?: Identity;
  },
): Promise<void> {
  await checkRefName(git, 'branch', options.branch);
  await checkRefName(git, 'tag', options.tag);
  const tag = await tagObject(git, options.tag, options.commit, options.message, options.identity);
  const pushed = await git.exec([
    'push',
    '--porcelain',
    '--atomic',
    '--end-of-options',
    options.remote,
    `${options.commit}:refs/heads/${options.branch}`,
    `${tag}:refs/tags/${options.tag}`,
  ]);
  if (pushed.code !== 0)
    throw new UserError(
      `Could not push ${options.branch} and tag ${options.tag} together (nothing was changed): ${pushed.stderr.trim().split('\n').slice(-2).join(' / ')}; re-run to retry from the current state`,
    );
}
