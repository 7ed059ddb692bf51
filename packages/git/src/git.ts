/**
 * Git, driven with argument arrays only: refs and paths from inputs never reach a shell.
 * Every ref that comes from outside is passed after validation or behind `--end-of-options`
 * so it can never be read as an option.
 */
import { runProcess, type ProcessResult } from './process.js';

export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly code: number,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' / ')}`);
    this.name = 'GitError';
  }
}

export const ZERO_SHA = /^0+$/;
export { FULL_SHA } from '@sd-actions/core';

export interface GitOptions {
  /** Extra environment (e.g. GIT_CONFIG_* for an auth header); never put secrets in args. */
  env?: NodeJS.ProcessEnv;
}

export class Git {
  constructor(
    readonly cwd: string,
    private readonly options: GitOptions = {},
  ) {}

  /** The same repository with extra environment (an index file, an identity, auth config). */
  withEnv(env: NodeJS.ProcessEnv): Git {
    return new Git(this.cwd, { ...this.options, env: { ...this.options.env, ...env } });
  }

  /** Run git and return the raw result; the caller decides what a non-zero exit means. */
  async exec(args: readonly string[], input?: string): Promise<ProcessResult> {
    return runProcess('git', args, {
      cwd: this.cwd,
      input,
      env: {
        ...process.env,
        ...this.options.env,
        GIT_TERMINAL_PROMPT: '0',
        GIT_OPTIONAL_LOCKS: '0',
        LC_ALL: 'C',
      },
    });
  }

  /** Run git; a non-zero exit throws a GitError. Returns stdout as text, trailing newline removed. */
  async run(args: readonly string[], input?: string): Promise<string> {
    const result = await this.exec(args, input);
    if (result.code !== 0) throw new GitError(args, result.code, result.stderr);
    return result.stdout.toString('utf8').replace(/\n$/, '');
  }

  /** True when the command exits 0. */
  async ok(args: readonly string[]): Promise<boolean> {
    return (await this.exec(args)).code === 0;
  }

  /** The full SHA of a commit-ish, or undefined when it is not (or not yet) in this repository. */
  async resolveCommit(ref: string): Promise<string | undefined> {
    const result = await this.exec([
      'rev-parse',
      '--verify',
      '--quiet',
      '--end-of-options',
      `${ref}^{commit}`,
    ]);
    return result.code === 0 ? result.stdout.toString('utf8').trim() : undefined;
  }

  async hasCommit(sha: string): Promise<boolean> {
    return this.ok(['cat-file', '-e', `${sha}^{commit}`]);
  }

  async isShallow(): Promise<boolean> {
    return (await this.run(['rev-parse', '--is-shallow-repository'])) === 'true';
  }

  /** Fetch the whole history of a shallow clone from `remote`; true when it was shallow. */
  async unshallow(remote = 'origin'): Promise<boolean> {
    if (!(await this.isShallow())) return false;
    await this.run(['fetch', '--quiet', '--unshallow', '--no-tags', '--end-of-options', remote]);
    return true;
  }

  /**
   * Whether the clone is shallow and the full SHA of a commit-ish (undefined when it is not here),
   * in one process: rev-parse prints the shallow flag before it resolves, even when that fails.
   */
  async shallowAndCommit(ref: string): Promise<{ shallow: boolean; commit?: string }> {
    const result = await this.exec([
      'rev-parse',
      '--is-shallow-repository',
      '--verify',
      '--quiet',
      '--end-of-options',
      `${ref}^{commit}`,
    ]);
    const [flag, commit] = result.stdout.toString('utf8').split('\n');
    if (flag !== 'true' && flag !== 'false')
      throw new GitError(['rev-parse', '--is-shallow-repository'], result.code, result.stderr);
    return { shallow: flag === 'true', commit: result.code === 0 && commit ? commit : undefined };
  }

  async mergeBase(a: string, b: string): Promise<string | undefined> {
    const result = await this.exec(['merge-base', '--end-of-options', a, b]);
    return result.code === 0 ? result.stdout.toString('utf8').trim() : undefined;
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    return this.ok(['merge-base', '--is-ancestor', '--end-of-options', ancestor, descendant]);
  }

  /** Changed paths between two commits as [status, path] pairs, NUL-separated to survive any file name. */
  async diffNameStatus(base: string, head: string): Promise<{ status: string; path: string }[]> {
    // --no-renames: a rename is reported as a deletion plus an addition, so both paths count.
    const out = await this.exec([
      '-c',
      'core.quotePath=false',
      'diff',
      '--no-ext-diff',
      '--no-textconv',
      '--no-renames',
      '--name-status',
      '-z',
      '--end-of-options',
      base,
      head,
    ]);
    if (out.code !== 0) throw new GitError(['diff', base, head], out.code, out.stderr);
    const fields = out.stdout.toString('utf8').split('\0');
    const changes: { status: string; path: string }[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2)
      changes.push({ status: fields[i]!.charAt(0), path: fields[i + 1]! });
    return changes;
  }
}
