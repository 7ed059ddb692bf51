/** Which of some paths exist at a commit: one `git cat-file --batch-check` for all of them. */
import type { Git } from './git.js';

export async function pathsAt(git: Git, commit: string, paths: readonly string[]): Promise<Set<string>> {
  const unique = [...new Set(paths)].filter((p) => p !== '' && !/[\n\r]/.test(p));
  if (unique.length === 0) return new Set();
  const out = await git.run(['cat-file', '--batch-check'], unique.map((p) => `${commit}:${p}\n`).join(''));
  const lines = out.split('\n');
  return new Set(unique.filter((_, i) => !/ missing$/.test(lines[i] ?? ' missing')));
}
