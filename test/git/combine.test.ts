/**
 * updateBranchCombining against a real bare origin: a burst lands once per edit with linear
 * history, other runs' pending edits are landed with their own message and author, and pending
 * edits that are not certain (moved entry, stale, unreadable) are never landed.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  CHANGE_ID_TRAILER,
  PENDING_PREFIX,
  ScratchRepo,
  updateBranchCombining,
  withChangeId,
  type CombineOptions,
  type EditResult,
} from '@sd-actions/git';
import { commit, git, originAndClone, removeDir, tempDir } from '@sd-actions/testkit';

let root: string;
let origin: string;
let work: string;
let branchNo = 0;

beforeAll(() => {
  process.env.GIT_CONFIG_GLOBAL = '/dev/null';
  root = tempDir('combine-');
  ({ origin, work } = originAndClone(root));
  commit(work, 'initial', { 'kv.txt': '' });
  git(work, 'push', '-q', 'origin', 'main');
});

afterAll(() => removeDir(root));

/** A fresh branch with kv.txt, for one test. */
function newBranch(): string {
  const name = `env/c${++branchNo}`;
  git(work, 'push', '-q', 'origin', `main:refs/heads/${name}`);
  return name;
}

const FILE = 'kv.txt';
const parse = (text: string | undefined) =>
  new Map(
    (text ?? '')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('=') as [string, string]),
  );
const render = (map: Map<string, string>) =>
  [...map]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}\n`)
    .join('');
const set = (text: string | undefined, key: string, value: string) =>
  render(new Map(parse(text)).set(key, value));
const message = (key: string, value: string) =>
  `set ${key}\n\nSet ${key} to ${value}.\n\nKv-Key: ${key}\nKv-Value: ${value}\n`;

/** The edit of one run: set key=value in kv.txt. */
function setKey(key: string, value: string) {
  return async (state: { read(p: string): Promise<string | undefined> }): Promise<EditResult<string>> => {
    const text = await state.read(FILE);
    if (parse(text).get(key) === value) return { value: 'same' };
    return { files: { [FILE]: set(text, key, value) }, message: message(key, value), value: 'set' };
  };
}

/** Replays a pending set: only when the key is unchanged since its base. */
const replay: CombineOptions['replay'] = (pending, read) => {
  const m = /^Kv-Key: (\S+)\nKv-Value: (\S+)$/m.exec(pending.message);
  const [file] = pending.files;
  if (!m || pending.files.length !== 1 || file?.path !== FILE) return undefined;
  const current = read(FILE);
  if (parse(current).get(m[1]!) !== parse(file.base).get(m[1]!)) return undefined;
  return { [FILE]: set(current, m[1]!, m[2]!) };
};

const fast = { sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 5))) };

async function withRepo<T>(fn: (repo: ScratchRepo) => Promise<T>): Promise<T> {
  const repo = await ScratchRepo.open({ url: origin, tempRoot: root });
  try {
    return await fn(repo);
  } finally {
    await repo.dispose();
  }
}

/** Publish a pending edit the way a run that lost would: a commit on `base`, under its own ref. */
async function publishPending(branch: string, base: string, key: string, value: string, id: string) {
  return withRepo(async (repo) => {
    await repo.fetchBranch(branch);
    const text = await repo.readFile(base, FILE);
    const sha = await repo.commitFiles(
      base,
      { [FILE]: set(text, key, value) },
      withChangeId(message(key, value), id),
    );
    git(repo.dir, 'push', '-q', 'origin', `${sha!}:${PENDING_PREFIX}/${branch}/${id}`);
    return sha!;
  });
}

const pendingRefs = (branch: string) =>
  git(origin, 'for-each-ref', '--format=%(refname)', `${PENDING_PREFIX}/${branch}/`);

describe('updateBranchCombining', () => {
  test('a burst of runs at once: every edit lands exactly once, linear, each run reports its own commit', async () => {
    const branch = newBranch();
    const base = git(origin, 'rev-parse', branch);
    const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
    const results = await Promise.all(
      keys.map((key) =>
        withRepo((repo) =>
          updateBranchCombining({
            repo,
            branch,
            edit: setKey(key, 'v1'),
            retry: fast,
            combine: { replay },
          }),
        ),
      ),
    );
    expect(Number(git(origin, 'rev-list', '--count', `${base}..${branch}`))).toBe(keys.length);
    expect(git(origin, 'rev-list', '--merges', branch)).toBe('');
    expect(git(origin, 'show', `${branch}:${FILE}`)).toBe(keys.map((k) => `${k}=v1`).join('\n'));
    for (const [i, result] of results.entries()) {
      expect(result.changed).toBe(true);
      const text = git(origin, 'log', '-1', '--format=%B', result.commit!);
      expect(text).toContain(`Kv-Key: ${keys[i]}\nKv-Value: v1\n${CHANGE_ID_TRAILER}: `);
      expect(git(origin, 'merge-base', '--is-ancestor', result.commit!, branch)).toBe('');
      expect(result.diff).toContain(`+${keys[i]}=v1`);
    }
    const ids = git(
      origin,
      'log',
      `--format=%(trailers:key=${CHANGE_ID_TRAILER},valueonly)`,
      `${base}..${branch}`,
    )
      .split('\n')
      .filter(Boolean);
    expect(new Set(ids).size).toBe(keys.length);
    expect(pendingRefs(branch)).toBe('');
  });

  test("another run's pending edit lands in the same push, one commit with its own message and author", async () => {
    const branch = newBranch();
    const base = git(origin, 'rev-parse', branch);
    const theirs = await publishPending(branch, base, 'a', '1', 'run-a');
    const result = await withRepo((repo) =>
      updateBranchCombining({ repo, branch, edit: setKey('b', '2'), retry: fast, combine: { replay } }),
    );
    expect(git(origin, 'rev-list', '--count', `${base}..${branch}`)).toBe('2');
    expect(git(origin, 'rev-parse', `${branch}~1`)).toBe(result.commit);
    const landed = git(origin, 'rev-parse', branch);
    expect(git(origin, 'log', '-1', '--format=%B', landed)).toBe(
      git(origin, 'log', '-1', '--format=%B', theirs),
    );
    expect(git(origin, 'log', '-1', '--format=%an <%ae> %ad', landed)).toBe(
      git(origin, 'log', '-1', '--format=%an <%ae> %ad', theirs),
    );
    expect(git(origin, 'show', `${branch}:${FILE}`)).toBe('a=1\nb=2');
    expect(pendingRefs(branch)).toBe('');
  });

  test('a pending edit whose value moved since its base is left to its owner', async () => {
    const branch = newBranch();
    const base = git(origin, 'rev-parse', branch);
    await publishPending(branch, base, 'a', '1', 'run-a');
    await withRepo((repo) =>
      updateBranchCombining({
        repo,
        branch,
        edit: setKey('a', '9'),
        retry: fast,
        combine: { replay: () => undefined },
      }),
    );
    await withRepo((repo) =>
      updateBranchCombining({ repo, branch, edit: setKey('b', '2'), retry: fast, combine: { replay } }),
    );
    expect(git(origin, 'show', `${branch}:${FILE}`)).toBe('a=9\nb=2');
    expect(pendingRefs(branch)).toBe(`${PENDING_PREFIX}/${branch}/run-a`);
  });

  test('a stale pending edit is never landed, and is deleted', async () => {
    const branch = newBranch();
    const base = git(origin, 'rev-parse', branch);
    await publishPending(branch, base, 'a', '1', 'run-old');
    const later = Date.now() + 11 * 60_000;
    await withRepo((repo) =>
      updateBranchCombining({
        repo,
        branch,
        edit: setKey('b', '2'),
        retry: fast,
        combine: { replay, clock: () => later },
      }),
    );
    expect(git(origin, 'show', `${branch}:${FILE}`)).toBe('b=2');
    expect(pendingRefs(branch)).toBe('');
  });

  test('an edit that refuses pushes nothing and leaves pending edits alone', async () => {
    const branch = newBranch();
    const base = git(origin, 'rev-parse', branch);
    await publishPending(branch, base, 'a', '1', 'run-a');
    await expect(
      withRepo((repo) =>
        updateBranchCombining({
          repo,
          branch,
          edit: () => {
            throw new Error('conflict');
          },
          retry: fast,
          combine: { replay },
        }),
      ),
    ).rejects.toThrow('conflict');
    expect(git(origin, 'rev-parse', branch)).toBe(base);
    expect(pendingRefs(branch)).toBe(`${PENDING_PREFIX}/${branch}/run-a`);
  });

  test('a run behind pending edits whose owners are gone takes over once the branch stops moving, and lands them', async () => {
    const branch = newBranch();
    const base = git(origin, 'rev-parse', branch);
    // Two runs that began a moment ago published and were then killed: both are ahead in line.
    const started = Date.now() - 1000;
    await publishPending(branch, base, 'a', '1', `${started}-run-a`);
    await publishPending(branch, base, 'c', '3', `${started + 1}-run-c`);
    const lines: string[] = [];
    const result = await withRepo((repo) =>
      updateBranchCombining({
        repo,
        branch,
        edit: setKey('b', '2'),
        retry: fast,
        log: (line) => lines.push(line),
        combine: { replay },
      }),
    );
    expect(lines[0]).toMatch(/^2 edit\(s\) pending on .*; published this one for the next landing$/);
    expect(git(origin, 'show', `${branch}:${FILE}`)).toBe('a=1\nb=2\nc=3');
    expect(git(origin, 'rev-list', '--count', `${base}..${branch}`)).toBe('3');
    expect(git(origin, 'rev-parse', `${branch}~2`)).toBe(result.commit);
    expect(pendingRefs(branch)).toBe('');
  });

  test('runs behind a killed run take over; the one whose edit another landed reports that commit', async () => {
    const branch = newBranch();
    const base = git(origin, 'rev-parse', branch);
    await publishPending(branch, base, 'a', '1', `${Date.now() - 1000}-run-a`);
    const results = await Promise.all(
      ['b', 'c'].map((key) =>
        withRepo((repo) =>
          updateBranchCombining({ repo, branch, edit: setKey(key, '2'), retry: fast, combine: { replay } }),
        ),
      ),
    );
    expect(git(origin, 'show', `${branch}:${FILE}`)).toBe('a=1\nb=2\nc=2');
    expect(git(origin, 'rev-list', '--count', `${base}..${branch}`)).toBe('3');
    for (const [i, key] of ['b', 'c'].entries()) {
      const result = results[i]!;
      expect(result.changed).toBe(true);
      expect(git(origin, 'log', '-1', '--format=%(trailers:key=Kv-Key,valueonly)', result.commit!)).toBe(key);
      expect(git(origin, 'merge-base', '--is-ancestor', result.commit!, branch)).toBe('');
      expect(result.diff).toContain(`+${key}=2`);
    }
    expect(pendingRefs(branch)).toBe('');
  });

  test('withChangeId appends to the trailer block, or starts one', () => {
    expect(withChangeId('s\n\nbody\n\nA-B: c\n', 'x')).toBe(`s\n\nbody\n\nA-B: c\n${CHANGE_ID_TRAILER}: x\n`);
    expect(withChangeId('subject only', 'x')).toBe(`subject only\n\n${CHANGE_ID_TRAILER}: x\n`);
  });
});
