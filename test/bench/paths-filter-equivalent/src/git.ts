/**
 * The git calls paths-filter makes in push mode, through @actions/exec as it does: the current
 * branch, a local check (fetch only when missing) for each side, then one
 * `git diff --no-renames --name-status -z base..head`.
 */
import * as core from '@actions/core';
import { getExecOutput } from '@actions/exec';
import type { ChangedFile, Status } from './filter.js';

export const NULL_SHA = '0'.repeat(40);
const STATUS: Record<string, Status> = {
  A: 'added',
  C: 'copied',
  D: 'deleted',
  M: 'modified',
  R: 'renamed',
  U: 'unmerged',
};

export const isSha = (ref: string): boolean => /^[0-9a-f]{40}$/i.test(ref);

export function shortName(ref: string): string {
  for (const prefix of ['refs/heads/', 'refs/tags/', 'refs/'])
    if (ref.startsWith(prefix)) return ref.slice(prefix.length);
  return ref;
}

async function git(
  args: string[],
  ignoreReturnCode = false,
): Promise<{ code: number; out: string; err: string }> {
  const r = await getExecOutput('git', args, { ignoreReturnCode, silent: false });
  return { code: r.exitCode, out: r.stdout, err: r.stderr };
}

export async function currentRef(): Promise<string> {
  core.startGroup('Get current git ref');
  try {
    const branch = (await git(['branch', '--show-current'])).out.trim();
    if (branch) return branch;
    const tag = await git(['describe', '--tags', '--exact-match'], true);
    if (tag.code === 0) return tag.out.trim();
    return (await git(['rev-parse', 'HEAD'])).out.trim();
  } finally {
    core.endGroup();
  }
}

async function localRef(name: string): Promise<string | undefined> {
  if (isSha(name))
    return (await git(['cat-file', '-e', `${name}^{commit}`], true)).code === 0 ? name : undefined;
  const refs = (await git(['show-ref', name], true)).out
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter(
      (r) =>
        /^refs\/(heads|tags|remotes\/origin)\//.test(r) &&
        shortName(r.replace('remotes/origin/', 'heads/')) === name,
    );
  return refs.find((r) => r.startsWith('refs/remotes/origin/')) ?? refs[0];
}

async function available(name: string): Promise<string> {
  core.startGroup(`Ensuring ${name} is fetched from origin`);
  try {
    let ref = await localRef(name);
    if (ref === undefined) {
      await git(['fetch', '--depth=1', '--no-tags', 'origin', name]);
      ref = await localRef(name);
    }
    if (ref === undefined) throw new Error(`Could not determine what ${name} is`);
    return ref;
  } finally {
    core.endGroup();
  }
}

export async function changes(base: string, head: string): Promise<ChangedFile[]> {
  const from = await available(base);
  const to = await available(head);
  core.startGroup(`Change detection ${base}..${head}`);
  let out: string;
  try {
    out = (await git(['diff', '--no-renames', '--name-status', '-z', `${from}..${to}`])).out;
  } finally {
    // The NUL-separated output went to the log: the next command must start on a new line.
    core.info('');
    core.endGroup();
  }
  const tokens = out.split('\0').filter(Boolean);
  const files: ChangedFile[] = [];
  for (let i = 0; i + 1 < tokens.length; i += 2)
    files.push({ status: STATUS[tokens[i]!] ?? 'modified', filename: tokens[i + 1]! });
  return files;
}
