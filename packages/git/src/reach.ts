/**
 * Where a source commit lives in origin: which branches contain it. A promotion records a
 * source commit in the ledger and later tags it; one that is not in origin (or only on a
 * GitOps branch) must be refused before the registry or any branch changes.
 */
import { show, UserError } from '@sd-actions/core';
import { redactUrl } from './auth.js';
import { FULL_SHA, type Git } from './git.js';
import { ScratchRepo } from './scratch.js';

export interface ReachOptions {
  url: string;
  authHeader?: string;
  commit: string;
  /** Only these branches (names under refs/heads/); default: every branch. */
  branches?: readonly string[];
  /** Branches never counted (the GitOps environment branches). */
  exclude?: readonly string[];
}

/**
 * The branches of the remote that contain `commit` (sorted). Fetches only commits (a tree-less
 * partial fetch where the server supports it) into a throwaway repository. Empty when no
 * candidate branch contains it, including when the commit is not in the remote at all.
 */
export async function branchesContaining(options: ReachOptions): Promise<string[]> {
  const { commit } = options;
  if (!FULL_SHA.test(commit)) throw new UserError(`${show(commit)} is not a full commit SHA`);
  const repo = await ScratchRepo.open({ url: options.url, authHeader: options.authHeader });
  try {
    const git = repo.git;
    const listed = await git.exec(['ls-remote', '--heads', '--end-of-options', 'origin']);
    if (listed.code !== 0)
      throw new UserError(
        `Could not list the branches of origin (${redactUrl(options.url)}): ${redactUrl(listed.stderr.trim().split('\n').slice(-2).join(' / '))}`,
      );
    const tips = new Map<string, string>();
    for (const line of listed.stdout.toString('utf8').split('\n')) {
      const [sha, ref] = line.split('\t');
      if (sha && ref?.startsWith('refs/heads/')) tips.set(ref.slice('refs/heads/'.length), sha);
    }
    const candidates = [...tips.keys()].filter(
      (b) =>
        (options.branches === undefined || options.branches.includes(b)) && !options.exclude?.includes(b),
    );
    // The common case, a build of a branch tip, needs no history at all.
    const atTip = candidates.filter((b) => tips.get(b) === commit);
    if (atTip.length > 0) return atTip.sort();
    if (candidates.length === 0) return [];
    const fetched = await git.exec([
      'fetch',
      '--quiet',
      '--no-tags',
      '--filter=tree:0',
      '--end-of-options',
      'origin',
      ...candidates.map((b) => `+refs/heads/${b}:refs/sd-reach/${b}`),
    ]);
    if (fetched.code !== 0)
      throw new UserError(
        `Could not fetch the branches of origin (${redactUrl(options.url)}): ${redactUrl(fetched.stderr.trim().split('\n').slice(-2).join(' / '))}`,
      );
    if (!(await git.hasCommit(commit))) return [];
    const out = await git.run([
      'for-each-ref',
      '--format=%(refname)',
      '--contains',
      commit,
      'refs/sd-reach/',
    ]);
    return out
      .split('\n')
      .filter(Boolean)
      .map((ref) => ref.slice('refs/sd-reach/'.length))
      .sort();
  } finally {
    await repo.dispose();
  }
}

/** Fetch errors that mean "the remote has no such object", as opposed to "cannot reach it". */
const NOT_THERE =
  /not our ref|couldn't find remote ref|no such remote ref|unadvertised object|bad object|invalid index-pack/i;

/**
 * Fail unless the scratch repository's origin has `commit` (fetched by SHA, depth 1): the
 * input names it, and nothing has been written yet. An origin that cannot be reached is its own
 * clear error.
 */
export async function requireRemoteCommit(
  git: Git,
  commit: string,
  remoteLabel = 'origin',
  input = 'source-commit',
): Promise<void> {
  if (!FULL_SHA.test(commit))
    throw new UserError(`Input "${input}": ${show(commit)} is not a full commit SHA`);
  if (await git.hasCommit(commit)) return;
  const url = (await git.exec(['remote', 'get-url', 'origin'])).stdout.toString('utf8').trim();
  const fetched = await git.exec([
    'fetch',
    '--quiet',
    '--no-tags',
    '--depth=1',
    '--end-of-options',
    'origin',
    commit,
  ]);
  if (fetched.code === 0 && (await git.hasCommit(commit))) return;
  const detail = redactUrl(fetched.stderr.trim().split('\n').slice(-2).join(' / '));
  if (fetched.code !== 0 && !NOT_THERE.test(fetched.stderr))
    throw new UserError(`Could not fetch commit ${commit} from ${redactUrl(url)}: ${detail}`);
  throw new UserError(
    `Input "${input}": ${commit} is not in ${remoteLabel}; expected the commit the image was built from, pushed. Nothing was changed`,
  );
}
