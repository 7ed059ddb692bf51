/** Real temporary git repositories for tests: a bare origin, clones, commits. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.com',
  GIT_COMMITTER_NAME: 'Test Committer',
  GIT_COMMITTER_EMAIL: 'committer@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    env: { ...process.env, ...GIT_ENV },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

export function tempDir(prefix = 'sd-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Write files (path → content; null deletes) relative to the repo. */
export function writeFiles(repo: string, files: Record<string, string | null>): void {
  for (const [path, content] of Object.entries(files)) {
    const full = join(repo, path);
    if (content === null) rmSync(full, { recursive: true, force: true });
    else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
    }
  }
}

/** Write, stage everything and commit; returns the new SHA. */
export function commit(repo: string, message: string, files: Record<string, string | null> = {}): string {
  writeFiles(repo, files);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '--allow-empty', '-m', message);
  return git(repo, 'rev-parse', 'HEAD');
}

/** A new repository on branch main. */
export function initRepo(dir: string): string {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  return dir;
}

/** A bare origin plus a working clone that pushes to it. */
export function originAndClone(root: string): { origin: string; work: string } {
  const origin = join(root, 'origin.git');
  git(root, 'init', '-q', '--bare', '-b', 'main', origin);
  const work = join(root, 'work');
  initRepo(work);
  git(work, 'remote', 'add', 'origin', origin);
  return { origin, work };
}

/** A clone like actions/checkout makes: shallow (file:// so --depth applies), one branch. */
export function checkoutClone(
  origin: string,
  dest: string,
  options: { depth?: number; ref?: string } = {},
): string {
  const args = ['clone', '-q', '--no-tags'];
  if (options.depth) args.push(`--depth=${options.depth}`);
  if (options.ref) args.push('--branch', options.ref);
  args.push(`file://${origin}`, dest);
  git(dirname(dest), ...args);
  return dest;
}
