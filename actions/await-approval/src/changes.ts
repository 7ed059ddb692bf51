/**
 * What a request shows about the change: the version now running in the target environment and
 * the commits since its source commit, read from the workspace checkout (`git log`, limited to the
 * service's path). Best effort: a shallow checkout or a missing commit leaves the list out.
 */
import { FULL_SHA } from '@sd-actions/core';
import { Git } from '@sd-actions/git';

export interface Changes {
  currentVersion?: string;
  commits?: { sha: string; subject: string }[];
  /** How many commits there are in all (the list may stop before). */
  totalCommits?: number;
  /** Why the commits are missing, for the log. */
  note?: string;
}

/** The body lists this many commits and counts the rest. */
const MAX_COMMITS = 50;

export async function commitsBetween(
  workspace: string,
  from: string | undefined,
  to: string | undefined,
  path: string,
): Promise<Pick<Changes, 'commits' | 'totalCommits' | 'note'>> {
  if (!from || !to) return { note: 'the source commits are not recorded in the manifests' };
  if (!FULL_SHA.test(from) || !FULL_SHA.test(to)) return { note: 'the manifests name no full commit SHAs' };
  const git = new Git(workspace);
  if (!(await git.hasCommit(from)) || !(await git.hasCommit(to)))
    return {
      note: `${from.slice(0, 7)} or ${to.slice(0, 7)} is not in the checkout (fetch-depth: 0 shows the commits)`,
    };
  const out = await git.run([
    'log',
    `--max-count=${MAX_COMMITS}`,
    '--format=%H%x1f%s',
    '--end-of-options',
    `${from}..${to}`,
    '--',
    path,
  ]);
  const commits = out
    .split('\n')
    .filter((line) => line.includes('\x1f'))
    .map((line) => {
      const [sha, subject] = line.split('\x1f') as [string, string];
      return { sha, subject };
    });
  const total = Number(
    await git.run(['rev-list', '--count', '--end-of-options', `${from}..${to}`, '--', path]),
  );
  return { commits, totalCommits: Number.isInteger(total) ? total : commits.length };
}
