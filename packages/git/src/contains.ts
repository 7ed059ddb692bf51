/**
 * Whether a release line already holds a commit: the commit itself (it is an ancestor of the
 * line's tip) or an equivalent change (same patch-id, e.g. picked without -x). Returns the commit
 * on the line that holds it, or undefined.
 */
import type { Git } from './git.js';

async function patchId(git: Git, commit: string): Promise<string | undefined> {
  const diff = await git.exec([
    'show',
    '--no-ext-diff',
    '--no-textconv',
    '--format=',
    '--end-of-options',
    commit,
  ]);
  if (diff.code !== 0) return undefined;
  const out = await git.exec(['patch-id', '--stable'], diff.stdout.toString('utf8'));
  return out.stdout.toString('utf8').split(' ')[0] || undefined;
}

export async function heldBy(git: Git, tip: string, commit: string): Promise<string | undefined> {
  if (await git.ok(['merge-base', '--is-ancestor', commit, tip])) return commit;
  // Commits of the line, not on the commit's side, whose change equals one on that side.
  const out = await git.exec([
    'log',
    '--cherry-mark',
    '--left-only',
    '--no-merges',
    '--format=%m %H',
    `${tip}...${commit}`,
  ]);
  if (out.code !== 0) return undefined;
  const candidates = out.stdout
    .toString('utf8')
    .split('\n')
    .filter((l) => l.startsWith('= '))
    .map((l) => l.slice(2));
  if (candidates.length === 0) return undefined;
  const wanted = await patchId(git, commit);
  if (!wanted) return undefined;
  for (const c of candidates) if ((await patchId(git, c)) === wanted) return c;
  return undefined;
}
