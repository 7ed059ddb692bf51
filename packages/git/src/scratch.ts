/**
 * A throwaway bare repository for writing to one branch of a remote without touching the
 * user's checkout: it fetches only that branch's tip (`--depth=1`), builds commits with
 * plumbing (a private index file, no working tree) and pushes them. Deleted by dispose().
 */
import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '@sd-actions/core';
import {
  DEFAULT_IDENTITY,
  extraHeaderEnv,
  identityEnv,
  isHttpUrl,
  redactUrl,
  type Identity,
} from './auth.js';
import { Git, GitError } from './git.js';

export interface ScratchOptions {
  /** The remote's URL (https, ssh or a local path). */
  url: string;
  /** Sent as an http extra header for http(s) remotes only. */
  authHeader?: string;
  identity?: Identity;
  /** Where to create the temporary repository (default RUNNER_TEMP, else the OS temp dir). */
  tempRoot?: string;
}

export type PushResult =
  | { ok: true }
  | {
      ok: false;
      /** The remote moved (or a concurrent push held its lock): fetch, redo the edit, push again. */
      retryable: boolean;
      detail: string;
    };

/**
 * An empty bare repository in a temporary directory with `origin` set to the remote (the auth
 * header only for http(s)): the start of every scratch clone (ScratchRepo, the build claims).
 */
export async function openBareClone(
  prefix: string,
  options: ScratchOptions,
): Promise<{ dir: string; git: Git }> {
  const root = options.tempRoot ?? process.env.RUNNER_TEMP ?? tmpdir();
  const dir = await mkdtemp(join(root, prefix));
  const env: NodeJS.ProcessEnv = {};
  if (options.authHeader && isHttpUrl(options.url)) Object.assign(env, extraHeaderEnv(options.authHeader));
  const git = new Git(dir, { env });
  try {
    // No template: a throw-away repository needs no sample hooks or description files.
    await git.run(['init', '--quiet', '--bare', '--template=']);
    // What `git config core.logAllRefUpdates false`, `git config maintenance.auto false` (a
    // throw-away repository: no fetch should start `git maintenance`) and `git remote add` would
    // write, appended in one file write instead of more processes (a value git could not read back, e.g.
    // one with a line break, goes through git as before).
    if (/^[^\0\r\n]*$/.test(options.url))
      await appendFile(
        join(dir, 'config'),
        `[core]\n\tlogAllRefUpdates = false\n[maintenance]\n\tauto = false\n[remote "${REMOTE}"]\n\turl = ${configValue(options.url)}\n\tfetch = +refs/heads/*:refs/remotes/${REMOTE}/*\n`,
      );
    else {
      await git.run(['config', 'core.logAllRefUpdates', 'false']);
      await git.run(['config', 'maintenance.auto', 'false']);
      await git.run(['remote', 'add', REMOTE, options.url]);
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return { dir, git };
}

/** Push rejections that mean "someone else got there first", not "you may not". */
const RETRYABLE =
  /non-fast-forward|fetch first|cannot lock ref|incorrect old value provided|failed to update ref|reference already exists|failed to lock/i;

const REMOTE = 'origin';

export class ScratchRepo {
  private constructor(
    readonly dir: string,
    readonly git: Git,
    readonly url: string,
    private readonly identity: Identity,
  ) {}

  static async open(options: ScratchOptions): Promise<ScratchRepo> {
    const { dir, git } = await openBareClone('sd-git-', options);
    return new ScratchRepo(dir, git, options.url, options.identity ?? DEFAULT_IDENTITY);
  }

  /**
   * Branch tips this repository knows, for readers that may use them instead of fetching again:
   * only branches given to fetchBranches() are tracked; a later fetch or a landed push of such a
   * branch updates its entry. Other code that fetches as before sees no difference.
   */
  private readonly known = new Map<string, string | undefined>();
  /** File texts by `<commit sha>:<path>` (a commit's content never changes). */
  private readonly texts = new Map<string, string | undefined>();

  /** The remote's branches as listBranches() last listed them (refname → sha), until taken. */
  private listing: Map<string, string> | undefined;

  /**
   * The remote's branches (name → tip) with one `ls-remote --heads` (the remote lists only
   * `refs/heads/`), or a clear error when it cannot be reached. The listing is also kept for the
   * next reader that would look at the remote (takeListing): one listing serves both.
   */
  async listBranches(): Promise<Map<string, string>> {
    const listed = await this.git.exec(['ls-remote', '--heads', '--end-of-options', REMOTE]);
    if (listed.code !== 0)
      throw new UserError(
        `Could not list the branches of origin (${redactUrl(this.url)}): ${redactUrl(listed.stderr.trim().split('\n').slice(-2).join(' / '))}`,
      );
    const listing = new Map<string, string>();
    const heads = new Map<string, string>();
    for (const line of listed.stdout.toString('utf8').split('\n')) {
      const [sha, ref] = line.split('\t');
      if (!sha || !ref?.startsWith('refs/heads/') || !SHA.test(sha)) continue;
      listing.set(ref, sha);
      heads.set(ref.slice('refs/heads/'.length), sha);
    }
    this.listing = listing;
    return heads;
  }

  /** The listing listBranches() kept, once (then forgotten: a later look lists the remote again). */
  takeListing(): Map<string, string> | undefined {
    const listing = this.listing;
    this.listing = undefined;
    return listing;
  }

  /** The tip last seen of a branch tracked by fetchBranches() (`{ tip: undefined }`: no branch). */
  knownTip(branch: string): { tip: string | undefined } | undefined {
    return this.known.has(branch) ? { tip: this.known.get(branch) } : undefined;
  }

  /** Record what a fetch or a landed push showed the tip of a tracked branch to be. */
  noteTip(branch: string, tip: string | undefined): void {
    if (this.known.has(branch)) this.known.set(branch, tip);
  }

  /** Record a file's text at a commit (e.g. one this repository just wrote). */
  noteFile(commit: string, path: string, text: string | undefined): void {
    if (SHA.test(commit)) this.texts.set(`${commit}:${path}`, text);
  }

  /**
   * Fetch the tips of several branches in ONE process (depth 1) and track them (knownTip).
   * `heads` is the remote's branch list (name → tip, e.g. from `ls-remote --heads`): a branch
   * not in it does not exist and is not fetched, so one missing branch cannot fail the fetch.
   * Without `heads`, each branch is fetched on its own (fetchBranch).
   */
  async fetchBranches(
    branches: readonly string[],
    heads?: ReadonlyMap<string, string>,
  ): Promise<Map<string, string | undefined>> {
    const wanted = [...new Set(branches)];
    const tips = new Map<string, string | undefined>();
    if (!heads) {
      for (const b of wanted) tips.set(b, await this.fetchBranch(b));
    } else {
      const present = wanted.filter((b) => heads.has(b));
      for (const b of wanted) if (!heads.has(b)) tips.set(b, undefined);
      if (present.length > 0) {
        const result = await this.git.exec([
          'fetch',
          '--quiet',
          '--no-tags',
          '--depth=1',
          '--end-of-options',
          REMOTE,
          ...present.map((b) => `+refs/heads/${b}:refs/remotes/${REMOTE}/${b}`),
        ]);
        if (result.code !== 0) {
          // A branch deleted since it was listed: fall back to one fetch each.
          if (!/couldn't find remote ref/i.test(result.stderr))
            throw new UserError(
              `Could not fetch ${present.map((b) => JSON.stringify(b)).join(', ')} from ${redactUrl(this.url)}: ${lastLines(result.stderr)}`,
            );
          for (const b of present) tips.set(b, await this.fetchBranch(b));
        } else {
          // The fetched tips, in refspec order, from FETCH_HEAD (a file read, not a process).
          const fetched = (await readFile(join(this.dir, 'FETCH_HEAD'), 'utf8'))
            .split('\n')
            .map((line) => /^([0-9a-f]{40}|[0-9a-f]{64})\t/.exec(line)?.[1])
            .filter((sha): sha is string => sha !== undefined);
          for (const [i, b] of present.entries())
            tips.set(
              b,
              fetched[i] ??
                (await this.git.run([
                  'rev-parse',
                  '--verify',
                  '--end-of-options',
                  `refs/remotes/${REMOTE}/${b}^{commit}`,
                ])),
            );
        }
      }
    }
    for (const [b, tip] of tips) this.known.set(b, tip);
    return tips;
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Fetch the tip of one branch (depth 1). Undefined when the remote has no such branch. */
  async fetchBranch(branch: string): Promise<string | undefined> {
    const tracking = `refs/remotes/${REMOTE}/${branch}`;
    const result = await this.git.exec([
      'fetch',
      '--quiet',
      '--no-tags',
      '--depth=1',
      '--end-of-options',
      REMOTE,
      `+refs/heads/${branch}:${tracking}`,
    ]);
    if (result.code !== 0) {
      if (/couldn't find remote ref/i.test(result.stderr)) {
        await this.git.exec(['update-ref', '-d', tracking]);
        this.noteTip(branch, undefined);
        return undefined;
      }
      throw new UserError(
        `Could not fetch branch ${JSON.stringify(branch)} from ${redactUrl(this.url)}: ${lastLines(result.stderr)}`,
      );
    }
    // The fetched tip from FETCH_HEAD (a file read, not another git process per attempt).
    const fetched = /^([0-9a-f]{40}|[0-9a-f]{64})\t/.exec(
      await readFile(join(this.dir, 'FETCH_HEAD'), 'utf8'),
    );
    const tip =
      fetched?.[1] ??
      (await this.git.run(['rev-parse', '--verify', '--end-of-options', `${tracking}^{commit}`]));
    this.noteTip(branch, tip);
    return tip;
  }

  /** A file's text at a commit, or undefined when the commit does not have it. */
  async readFile(commit: string, path: string): Promise<string | undefined> {
    return (await this.readFiles([{ commit, path }]))[0];
  }

  /**
   * Several files' texts (undefined: missing) in ONE `cat-file --batch` process, which prints
   * "<oid> <type> <size>" and the bytes, or "<spec> missing", for each. Texts at a full commit
   * SHA are remembered: reading them again costs no process.
   */
  async readFiles(
    wanted: readonly { commit: string; path: string }[],
    options: { notAFile?: 'throw' | 'absent' } = {},
  ): Promise<(string | undefined)[]> {
    const texts: (string | undefined)[] = new Array<string | undefined>(wanted.length).fill(undefined);
    const ask: { index: number; spec: string }[] = [];
    for (const [index, { commit, path }] of wanted.entries()) {
      const spec = `${commit}:${path}`;
      if (/[\r\n]/.test(spec)) continue; // not a path any config renders
      if (this.texts.has(spec)) texts[index] = this.texts.get(spec);
      else ask.push({ index, spec });
    }
    if (ask.length === 0) return texts;
    const out = await this.git.exec(['cat-file', '--batch'], ask.map((a) => `${a.spec}\n`).join(''));
    if (out.code !== 0) throw new GitError(['cat-file', '--batch', ask[0]!.spec], out.code, out.stderr);
    let at = 0;
    for (const { index, spec } of ask) {
      const end = out.stdout.indexOf(10, at);
      if (end < 0) break;
      const line = out.stdout.subarray(at, end).toString('utf8');
      at = end + 1;
      const { commit, path } = wanted[index]!;
      const header = /^[0-9a-f]{40,64} (\w+) (\d+)$/.exec(line);
      if (!header) {
        if (line === `${spec} missing`) this.noteFile(commit, path, undefined);
        continue; // missing (or ambiguous): no bytes follow
      }
      const size = Number(header[2]);
      if (header[1] !== 'blob') {
        if (options.notAFile !== 'absent')
          throw new UserError(`${path} at ${commit.slice(0, 12)} is not a file`);
        at += size + 1;
        continue;
      }
      texts[index] = out.stdout.subarray(at, at + size).toString('utf8');
      this.noteFile(commit, path, texts[index]);
      at += size + 1;
    }
    return texts;
  }

  /**
   * A commit with `files` written on top of `parent` (or a root commit holding only them).
   * Undefined when the tree would not change.
   *
   * Two git processes whatever the number of files (it runs once per attempt of a race): the
   * files' current modes and blob ids from one `ls-tree` (an unchanged edit stops here, comparing
   * blob ids computed in memory), then one `fast-import` that writes the blobs and the commit.
   */
  async commitFiles(
    parent: string | undefined,
    files: Record<string, string>,
    message: string,
    options: { allowEmpty?: boolean } = {},
  ): Promise<string | undefined> {
    const [made] = await this.commitChain(parent, [{ files, message, allowEmpty: options.allowEmpty }]);
    if (made) for (const p of Object.keys(files)) this.noteFile(made.commit, p, files[p]!);
    return made?.commit;
  }

  /**
   * A chain of commits on top of `parent`, each with its own files and message, the next built on
   * the one before (linear history). A step whose files change nothing is skipped (no commit).
   * Returns the commits made, in order, with the index of the step each came from.
   *
   * Two git processes however long the chain: one `ls-tree` for the modes and blob ids of every
   * path involved, then one `fast-import` writing all blobs and commits.
   */
  async commitChain(
    parent: string | undefined,
    steps: readonly { files: Record<string, string>; message: string; allowEmpty?: boolean }[],
  ): Promise<{ step: number; commit: string }[]> {
    const paths = [...new Set(steps.flatMap((s) => Object.keys(s.files)))];
    const existing = new Map<string, { mode: string; oid: string }>();
    if (parent && paths.length > 0) {
      const listed = await this.git.exec(['ls-tree', '-z', '--end-of-options', parent, '--', ...paths]);
      if (listed.code !== 0) throw new GitError(['ls-tree', parent], listed.code, listed.stderr);
      for (const record of listed.stdout.toString('utf8').split('\0')) {
        const m = /^(\d+) (\w+) ([0-9a-f]+)\t(.*)$/s.exec(record);
        if (m) existing.set(m[4]!, { mode: m[1]!, oid: m[3]! });
      }
    }
    const algorithm = parent?.length === 64 ? 'sha256' : 'sha1';
    const blobId = (text: string) => {
      const bytes = Buffer.from(text, 'utf8');
      return createHash(algorithm).update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
    };
    // The blob ids along the chain, in memory: a step that changes nothing makes no commit.
    const current = new Map<string, string | undefined>(paths.map((p) => [p, existing.get(p)?.oid]));
    const when = `${Math.floor(Date.now() / 1000)} +0000`;
    const who = `${this.identity.name} <${this.identity.email}>`;
    const data = (text: string) => `data ${Buffer.byteLength(text, 'utf8')}\n${text}\n`;
    const parts: string[] = [];
    const made: number[] = [];
    for (const [index, step] of steps.entries()) {
      const changed = Object.keys(step.files).filter((p) => current.get(p) !== blobId(step.files[p]!));
      if (changed.length === 0 && !step.allowEmpty) continue;
      for (const p of changed) current.set(p, blobId(step.files[p]!));
      const mark = made.length + 1;
      parts.push(
        'commit refs/sd-actions/scratch\n',
        `mark :${mark}\n`,
        `author ${who} ${when}\n`,
        `committer ${who} ${when}\n`,
        data(step.message),
        mark > 1 ? `from :${mark - 1}\n` : parent ? `from ${parent}\n` : '',
        ...changed.map((p) => {
          const mode = existing.get(p)?.mode === '100755' ? '100755' : '100644';
          return `M ${mode} inline ${quotePath(p)}\n${data(step.files[p]!)}`;
        }),
        '\n',
      );
      made.push(index);
    }
    if (made.length === 0) return [];
    for (let mark = 1; mark <= made.length; mark++) parts.push(`get-mark :${mark}\n`);
    const imported = await this.git
      .withEnv(identityEnv(this.identity))
      .exec(['fast-import', '--quiet', '--force', '--date-format=raw', '--done'], `${parts.join('')}done\n`);
    if (imported.code !== 0) throw new GitError(['fast-import'], imported.code, imported.stderr);
    const commits = imported.stdout.toString('utf8').trim().split('\n');
    return made.map((step, i) => ({ step, commit: commits[i]!.trim() }));
  }

  /**
   * The newest commits of a branch on the remote, newest first, each with its parents (none
   * shown for the deepest: the shallow boundary): the newest `depth`, or those committed since a
   * time (unix seconds; at least the tip). Empty when the branch does not exist.
   */
  async recentCommits(
    branch: string,
    range: { depth: number } | { since: number },
  ): Promise<{ sha: string; parents: string[]; message: string }[]> {
    const tracking = `refs/remotes/${REMOTE}/${branch}`;
    const fetched = await this.git.exec([
      'fetch',
      '--quiet',
      '--no-tags',
      'depth' in range ? `--depth=${range.depth}` : `--shallow-since=${Math.floor(range.since)}`,
      '--end-of-options',
      REMOTE,
      `+refs/heads/${branch}:${tracking}`,
    ]);
    if (fetched.code !== 0) {
      if (/couldn't find remote ref/i.test(fetched.stderr)) return [];
      throw new UserError(
        `Could not fetch branch ${JSON.stringify(branch)} from ${redactUrl(this.url)}: ${lastLines(fetched.stderr)}`,
      );
    }
    return this.logCommits([...('depth' in range ? [`-n${range.depth}`] : []), tracking, '--']);
  }

  /** `git log` of the arguments: each commit with its parents and message, newest first. */
  private async logCommits(args: string[]): Promise<{ sha: string; parents: string[]; message: string }[]> {
    const out = await this.git.exec(['log', '--format=%H%x00%P%x00%B%x1e', ...args]);
    if (out.code !== 0) throw new GitError(['log', ...args], out.code, out.stderr);
    return out.stdout
      .toString('utf8')
      .split('\x1e')
      .map((record) => record.replace(/^\n/, ''))
      .filter((record) => record.includes('\0'))
      .map((record) => {
        const [sha, parents, message] = record.split('\0');
        return { sha: sha!, parents: (parents ?? '').split(' ').filter(Boolean), message: message ?? '' };
      });
  }

  /**
   * The messages of up to `max` commits of a branch, newest first, starting at `from` (a commit
   * of that branch): deepens the shallow fetch as far as needed. For reading the ledger.
   */
  async commitMessages(branch: string, from: string, max = 200): Promise<{ sha: string; message: string }[]> {
    await this.git.exec([
      'fetch',
      '--quiet',
      '--no-tags',
      `--depth=${max}`,
      '--end-of-options',
      REMOTE,
      `+refs/heads/${branch}:refs/remotes/${REMOTE}/${branch}`,
    ]);
    return this.logCommits([`-n${max}`, '--end-of-options', from]);
  }

  /** The unified diff a commit introduces (against its parent, or everything for a root commit). */
  async diff(parent: string | undefined, commit: string): Promise<string> {
    const common = ['--no-color', '--no-ext-diff', '--no-textconv', '--src-prefix=a/', '--dst-prefix=b/'];
    return parent
      ? this.git.run(['diff', ...common, '--end-of-options', parent, commit])
      : this.git.run(['show', ...common, '--format=', '--end-of-options', commit]);
  }

  /** Push a commit to a branch: never forced, so only a fast-forward (or creating the branch) lands. */
  async push(commit: string, branch: string): Promise<PushResult> {
    const result = await this.git.exec([
      'push',
      '--porcelain',
      '--no-verify',
      '--end-of-options',
      REMOTE,
      `${commit}:refs/heads/${branch}`,
    ]);
    if (result.code === 0) return { ok: true };
    const text = `${result.stdout.toString('utf8')}\n${result.stderr}`;
    const rejected = text
      .split('\n')
      .filter((line) => line.startsWith('!') || /^(?:error|fatal|remote):/.test(line))
      .map((line) => redactUrl(line.replace(/\t/g, ' ').trim()));
    return {
      ok: false,
      retryable: RETRYABLE.test(text),
      detail: rejected.join(' / ') || lastLines(result.stderr),
    };
  }
}

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** A value for a git config file: double-quoted, with backslashes and quotes escaped. */
function configValue(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** A path for fast-import: C-quoted, so spaces, quotes and any unicode pass unchanged. */
function quotePath(path: string): string {
  return `"${path.replace(/["\\]/g, (c) => `\\${c}`).replace(/[\u0000-\u001f]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`)}"`;
}

function lastLines(stderr: string): string {
  return redactUrl(stderr.trim().split('\n').slice(-3).join(' / '));
}
