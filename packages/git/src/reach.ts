/**
 * Where a source commit lives in origin: which branches contain it. A promotion records a
 * source commit in the ledger and later tags it; one that is not in origin (or only on a
 * GitOps branch) must be refused before the registry or any branch changes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  /** Where the throwaway repository goes (default RUNNER_TEMP, else the OS temp dir). */
  tempRoot?: string;
  /**
   * The remote's branches (name → tip) when the caller listed them already (listRemoteHeads):
   * a commit at a candidate's tip is then answered without any process.
   */
  heads?: ReadonlyMap<string, string>;
}

/** The remote's branches, name → tip, with one `ls-remote --heads`; a clear error when unreachable. */
export async function listRemoteHeads(git: Git, url: string): Promise<Map<string, string>> {
  const listed = await git.exec(['ls-remote', '--heads', '--end-of-options', 'origin']);
  if (listed.code !== 0)
    throw new UserError(
      `Could not list the branches of origin (${redactUrl(url)}): ${redactUrl(listed.stderr.trim().split('\n').slice(-2).join(' / '))}`,
    );
  const tips = new Map<string, string>();
  for (const line of listed.stdout.toString('utf8').split('\n')) {
    const [sha, ref] = line.split('\t');
    if (sha && ref?.startsWith('refs/heads/')) tips.set(ref.slice('refs/heads/'.length), sha);
  }
  return tips;
}

function candidatesOf(options: ReachOptions, tips: ReadonlyMap<string, string>): string[] {
  return [...tips.keys()].filter(
    (b) => (options.branches === undefined || options.branches.includes(b)) && !options.exclude?.includes(b),
  );
}

/**
 * The branches of the remote that contain `commit` (sorted), read in a throwaway repository:
 * a branch tip needs no fetch; otherwise the commit and the week of history before it, and the
 * whole history only when that is not enough. Empty when no candidate branch contains it,
 * including when the commit is not in the remote at all.
 */
export async function branchesContaining(options: ReachOptions): Promise<string[]> {
  const { commit } = options;
  if (!FULL_SHA.test(commit)) throw new UserError(`${show(commit)} is not a full commit SHA`);
  // The common case, a build of a branch tip, needs no history at all (nor a repository, when
  // the caller listed the branches).
  if (options.heads) {
    const atTip = candidatesOf(options, options.heads).filter((b) => options.heads!.get(b) === commit);
    if (atTip.length > 0) return atTip.sort();
  }
  // A directory of its own (not a shared temp root that other tools sweep).
  const tempRoot = await mkdtemp(join(options.tempRoot ?? process.env.RUNNER_TEMP ?? tmpdir(), 'sd-reach-'));
  const repo = await ScratchRepo.open({ url: options.url, authHeader: options.authHeader, tempRoot }).catch(
    async (err: unknown) => {
      await rm(tempRoot, { recursive: true, force: true });
      throw err;
    },
  );
  try {
    const git = repo.git;
    // No background gc or maintenance in a repository that is deleted right after.
    await git.run(['config', 'gc.auto', '0']);
    await git.run(['config', 'maintenance.auto', 'false']);
    const tips = options.heads ?? (await listRemoteHeads(git, options.url));
    const candidates = candidatesOf(options, tips);
    // The common case, a build of a branch tip, needs no history at all.
    const atTip = candidates.filter((b) => tips.get(b) === commit);
    if (atTip.length > 0) return atTip.sort();
    if (candidates.length === 0) return [];
    const refspecs = candidates.map((b) => `+refs/heads/${b}:refs/sd-reach/${b}`);
    const fetch = async (extra: string[]) =>
      git.exec(['fetch', '--quiet', '--no-tags', ...extra, '--end-of-options', 'origin', ...refspecs]);
    const containing = async () =>
      (await git.run(['for-each-ref', '--format=%(refname)', '--contains', commit, 'refs/sd-reach/']))
        .split('\n')
        .filter(Boolean)
        .map((ref) => ref.slice('refs/sd-reach/'.length))
        .sort();
    // The commit itself first (depth 1): absent means no branch has it. Its date bounds the
    // history worth fetching: a build is usually recent, so only the last days of each branch
    // are read; only when that finds nothing is the whole history fetched to be sure.
    const own = await git.exec([
      'fetch',
      '--quiet',
      '--no-tags',
      '--depth=1',
      '--end-of-options',
      'origin',
      commit,
    ]);
    if (own.code !== 0 || !(await git.hasCommit(commit))) return [];
    // Keep it referenced while deepening: the later fetches rewrite the shallow list.
    await git.run(['update-ref', 'refs/sd-own', commit]);
    const date = Number(await git.run(['show', '-s', '--format=%ct', commit]));
    const since = new Date((date - 7 * 86400) * 1000).toISOString();
    // (A window that selects no commit at all is an error for git: then read everything.)
    if ((await fetch([`--shallow-since=${since}`])).code === 0) {
      const recent = await containing();
      if (recent.length > 0) return recent;
    }
    const shallow = (await git.run(['rev-parse', '--is-shallow-repository'])) === 'true';
    const full = await fetch(shallow ? ['--unshallow'] : []);
    if (full.code !== 0)
      throw new UserError(
        `Could not fetch the branches of origin (${redactUrl(options.url)}): ${redactUrl(full.stderr.trim().split('\n').slice(-2).join(' / '))}`,
      );
    return await containing();
  } finally {
    await repo.dispose();
    await rm(tempRoot, { recursive: true, force: true });
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
