/** updateBranch and ScratchRepo against a real bare origin: retries, refusals, orphan branches, auth env. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backoffDelay, UserError } from '@sd-actions/core';
import {
  basicAuthHeader,
  extraHeaderEnv,
  parseIdentity,
  redactUrl,
  contentionDelay,
  ScratchRepo,
  updateBranch,
  type EditResult,
} from '@sd-actions/git';
import { commit, git, originAndClone, removeDir, tempDir } from '@sd-actions/testkit';

let root: string;
let origin: string;
let work: string;
const hook = () => join(origin, 'hooks', 'pre-receive');

beforeAll(() => {
  process.env.GIT_CONFIG_GLOBAL = '/dev/null';
  root = tempDir('update-branch-');
  ({ origin, work } = originAndClone(root));
  commit(work, 'initial', { 'README.md': 'hi\n' });
  git(work, 'push', '-q', 'origin', 'main');
});

afterAll(() => removeDir(root));

async function withRepo<T>(fn: (repo: ScratchRepo) => Promise<T>): Promise<T> {
  const repo = await ScratchRepo.open({ url: origin, tempRoot: root });
  try {
    return await fn(repo);
  } finally {
    await repo.dispose();
  }
}

/** An edit appending a line to a file; records the attempts it saw. */
function appendLine(path: string, line: string, seen: (string | undefined)[] = []) {
  return async (state: {
    tip?: string;
    read(p: string): Promise<string | undefined>;
  }): Promise<EditResult<number>> => {
    seen.push(state.tip);
    const text = (await state.read(path)) ?? '';
    if (text.includes(`${line}\n`)) return { value: seen.length };
    return {
      files: { [path]: `${text}${line}\n` },
      message: `add ${line}\n\nSd-Service: ${line}\n`,
      value: seen.length,
    };
  };
}

describe('updateBranch', () => {
  test('creates an orphan branch, then fast-forwards it; an edit that changes nothing makes no commit', async () => {
    await withRepo(async (repo) => {
      const first = await updateBranch({ repo, branch: 'env/a', edit: appendLine('list.txt', 'one') });
      expect(first).toMatchObject({ changed: true, created: true, attempts: 1, base: undefined });
      expect(git(origin, 'rev-parse', 'env/a')).toBe(first.commit);
      expect(git(origin, 'rev-list', '--max-parents=0', 'env/a')).toBe(first.commit);
      expect(first.diff).toContain('+one');
      const second = await updateBranch({ repo, branch: 'env/a', edit: appendLine('list.txt', 'two') });
      expect(second).toMatchObject({ changed: true, created: false, base: first.commit });
      expect(git(origin, 'show', 'env/a:list.txt')).toBe('one\ntwo');
      const again = await updateBranch({ repo, branch: 'env/a', edit: appendLine('list.txt', 'two') });
      expect(again).toMatchObject({ changed: false, diff: '' });
      expect(again.commit).toBeUndefined();
      expect(git(origin, 'rev-parse', 'env/a')).toBe(second.commit);
    });
  });

  test('a dry run builds the commit and diff but pushes nothing', async () => {
    const before = git(origin, 'rev-parse', 'env/a');
    await withRepo(async (repo) => {
      const dry = await updateBranch({
        repo,
        branch: 'env/a',
        edit: appendLine('list.txt', 'three'),
        dryRun: true,
      });
      expect(dry.changed).toBe(true);
      expect(dry.diff).toMatch(/^diff --git a\/list\.txt b\/list\.txt[\s\S]*\n\+three$/);
    });
    expect(git(origin, 'rev-parse', 'env/a')).toBe(before);
  });

  describe('when the branch moves during the push', () => {
    let marker = 0;
    function raceOnce(branch: string, file: string, line: string): string {
      const clone = join(root, `clone-${++marker}`);
      git(root, 'clone', '-q', '--branch', branch, origin, clone);
      const sha = commit(clone, `theirs ${line}`, {
        [file]: `${git(clone, 'show', `HEAD:${file}`)}\n${line}\n`,
      });
      git(clone, 'push', '-q', 'origin', `HEAD:refs/side/${marker}`);
      const flag = join(root, `fired-${marker}`);
      writeFileSync(
        hook(),
        `#!/bin/sh\ncat >/dev/null\n[ -e '${flag}' ] && exit 0\ntouch '${flag}'\nenv -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES git update-ref refs/heads/${branch} ${sha}\n`,
      );
      chmodSync(hook(), 0o755);
      return sha;
    }
    afterAll(() => rmSync(hook(), { force: true }));

    test('the edit is re-run on the new tip after a delay jittered over the observed round time, without force', async () => {
      const theirs = raceOnce('env/a', 'list.txt', 'theirs');
      const delays: number[] = [];
      const seen: (string | undefined)[] = [];
      const result = await withRepo((repo) =>
        updateBranch({
          repo,
          branch: 'env/a',
          edit: appendLine('list.txt', 'ours', seen),
          retry: {
            baseMs: 100,
            sleep: async (ms) => void delays.push(ms),
            random: () => 0.5,
            now: (
              (t) => () =>
                (t += 40)
            )(0), // each attempt "takes" 40 ms
          },
        }),
      );
      expect(result).toMatchObject({ changed: true, attempts: 2, base: theirs });
      expect(seen).toHaveLength(2);
      expect(seen[1]).toBe(theirs);
      expect(delays).toEqual([20]); // half of one 40 ms round
      expect(git(origin, 'show', 'env/a:list.txt')).toBe('one\ntwo\ntheirs\nours');
      expect(git(origin, 'rev-list', '--merges', 'env/a')).toBe('');
    });

    test('out of rounds: a UserError and the remote keeps the other commit', async () => {
      const theirs = raceOnce('env/a', 'list.txt', 'theirs-2');
      const error = await withRepo((repo) =>
        updateBranch({
          repo,
          branch: 'env/a',
          edit: appendLine('list.txt', 'lost'),
          retry: { maxRounds: 1 },
        }),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as Error).message).toMatch(
        /^Branch "env\/a" kept moving: gave up after 1 attempts \(last: .*cannot lock ref/,
      );
      expect(git(origin, 'rev-parse', 'env/a')).toBe(theirs);
    });

    test('losing to promotions that land is progress: it never uses up the attempts', async () => {
      raceOnce('env/a', 'list.txt', 'theirs-3');
      const result = await withRepo((repo) =>
        updateBranch({
          repo,
          branch: 'env/a',
          edit: appendLine('list.txt', 'landed'),
          retry: { attempts: 1, sleep: async () => undefined },
        }),
      );
      expect(result).toMatchObject({ changed: true, attempts: 2 });
      expect(git(origin, 'show', 'env/a:list.txt')).toMatch(/theirs-3\nlanded$/);
    });

    test('a lock held while the branch does not move uses up the attempts in a row', async () => {
      const tip = git(origin, 'rev-parse', 'env/a');
      writeFileSync(
        hook(),
        `#!/bin/sh\ncat >/dev/null\necho "error: cannot lock ref 'refs/heads/env/a': held elsewhere" >&2\nexit 1\n`,
      );
      chmodSync(hook(), 0o755);
      try {
        const error = await withRepo((repo) =>
          updateBranch({
            repo,
            branch: 'env/a',
            edit: appendLine('list.txt', 'stuck'),
            retry: { attempts: 3, sleep: async () => undefined },
          }),
        ).catch((e: unknown) => e);
        expect((error as Error).message).toMatch(
          /kept being refused while the branch did not move: gave up after 3 attempts in a row/,
        );
        expect(git(origin, 'rev-parse', 'env/a')).toBe(tip);
      } finally {
        rmSync(hook(), { force: true });
      }
    });

    test('an edit that throws on the fresh state (a conflict) pushes nothing', async () => {
      const theirs = raceOnce('env/a', 'list.txt', 'conflict');
      const error = await withRepo((repo) =>
        updateBranch({
          repo,
          branch: 'env/a',
          retry: { sleep: async () => undefined },
          edit: async (state) => {
            if (state.attempt > 1) throw new UserError('conflict seen');
            return appendLine('list.txt', 'mine')(state);
          },
        }),
      ).catch((e: unknown) => e);
      expect((error as Error).message).toBe('conflict seen');
      expect(git(origin, 'rev-parse', 'env/a')).toBe(theirs);
    });

    test('a refusal that is not a race is not retried', async () => {
      writeFileSync(hook(), '#!/bin/sh\necho "policy: no" >&2\nexit 1\n');
      chmodSync(hook(), 0o755);
      let attempts = 0;
      const error = await withRepo((repo) =>
        updateBranch({
          repo,
          branch: 'env/a',
          edit: (state) => {
            attempts = state.attempt;
            return appendLine('list.txt', 'refused')(state);
          },
        }),
      ).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(
        /^The push to branch "env\/a" was refused: .*pre-receive hook declined/,
      );
      expect(attempts).toBe(1);
    });
  });
});

describe('retry policy, auth and identity', () => {
  test('exponential, capped, with jitter in the upper half', () => {
    const policy = { attempts: 10, maxRounds: 200, baseMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, policy, () => 1))).toEqual([100, 200, 400, 800, 1000]);
  });

  test('losing to a moving branch waits in round times: full jitter, doubling, capped at 16 rounds', () => {
    const policy = { attempts: 10, maxRounds: 200, baseMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 5, 9].map((n) => contentionDelay(policy, 30, n, () => 1))).toEqual([
      30, 60, 120, 480, 480,
    ]);
    expect(contentionDelay(policy, 30, 3, () => 0)).toBe(0);
    expect(contentionDelay(policy, 500, 9, () => 1)).toBe(1000); // maxMs still caps it
  });

  test('the token travels as an extra header in GIT_CONFIG_* env, appended to existing entries', () => {
    const header = basicAuthHeader('ghs_secret');
    expect(header).toBe(
      `AUTHORIZATION: basic ${Buffer.from('x-access-token:ghs_secret').toString('base64')}`,
    );
    expect(extraHeaderEnv(header, { GIT_CONFIG_COUNT: '2' })).toEqual({
      GIT_CONFIG_COUNT: '3',
      GIT_CONFIG_KEY_2: 'http.extraheader',
      GIT_CONFIG_VALUE_2: header,
    });
    expect(redactUrl('https://user:tok@github.com/acme/x.git')).toBe('https://***@github.com/acme/x.git');
  });

  test('identities', () => {
    expect(parseIdentity('Release Bot <bot@example.com>')).toEqual({
      name: 'Release Bot',
      email: 'bot@example.com',
    });
    expect(() => parseIdentity('Bot <bot@example.com>\nx')).toThrow('Input "committer"');
    expect(() => parseIdentity('<bot@example.com>')).toThrow('expected "Name <email>"');
  });

  test('an https remote gets the header, seen by git as config (and never in its arguments)', async () => {
    const repo = await ScratchRepo.open({
      url: 'https://git.invalid/acme/x.git',
      authHeader: 'AUTHORIZATION: basic c2VjcmV0',
      tempRoot: root,
    });
    try {
      expect(await repo.git.run(['config', '--get', 'http.extraheader'])).toBe(
        'AUTHORIZATION: basic c2VjcmV0',
      );
      expect(await repo.git.run(['config', '--file', 'config', '--list'])).not.toContain('c2VjcmV0');
    } finally {
      await repo.dispose();
    }
    const local = await ScratchRepo.open({
      url: origin,
      authHeader: 'AUTHORIZATION: basic c2VjcmV0',
      tempRoot: root,
    });
    try {
      expect((await local.git.exec(['config', '--get', 'http.extraheader'])).code).toBe(1);
    } finally {
      await local.dispose();
    }
  });
});

describe('ScratchRepo commits (ls-tree + fast-import, two processes an attempt)', () => {
  test('odd paths, the executable bit, nested new files, an unchanged edit and the identity', async () => {
    const odd = 'dir "q"/spa ce/ünï\\cödé.yaml';
    commit(work, 'odd files', { [odd]: 'one\n', 'bin/run.sh': '#!/bin/sh\n' });
    git(work, 'update-index', '--chmod=+x', 'bin/run.sh');
    git(work, 'commit', '-q', '-m', 'exec');
    git(work, 'push', '-q', 'origin', 'HEAD:refs/heads/odd');
    await withRepo(async (repo) => {
      const tip = await repo.fetchBranch('odd');
      expect(tip).toBe(git(work, 'rev-parse', 'HEAD'));
      expect(await repo.readFile(tip!, odd)).toBe('one\n');
      expect(await repo.readFile(tip!, 'missing.txt')).toBeUndefined();
      await expect(repo.readFile(tip!, 'bin')).rejects.toThrow('bin at');
      expect(await repo.commitFiles(tip, { [odd]: 'one\n' }, 'same')).toBeUndefined();
      expect(await repo.commitFiles(tip, { [odd]: 'one\n' }, 'ledger', { allowEmpty: true })).toMatch(
        /^[0-9a-f]{40}$/,
      );
      const made = await repo.commitFiles(
        tip,
        { [odd]: 'two ✓\n', 'bin/run.sh': '#!/bin/sh\necho\n', 'new/deep/file.txt': '' },
        'edit ünï\n\nSd-Service: x\n',
      );
      expect(await repo.push(made!, 'odd')).toEqual({ ok: true });
    });
    const show = (spec: string) => git(origin, 'show', spec);
    expect(show(`odd:${odd}`)).toBe('two ✓');
    expect(git(origin, 'ls-tree', 'odd', 'bin/run.sh')).toMatch(/^100755 /);
    expect(git(origin, 'ls-tree', '-r', '--name-only', 'odd')).toContain('new/deep/file.txt');
    expect(git(origin, 'log', '-1', '--format=%an <%ae>|%cn|%B', 'odd')).toBe(
      'github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>|github-actions[bot]|edit ünï\n\nSd-Service: x',
    );
    expect(git(origin, 'rev-list', '--count', 'odd')).toBe(
      String(Number(git(work, 'rev-list', '--count', 'HEAD')) + 1),
    );
  });
});
