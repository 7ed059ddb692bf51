/** updateBranchMany and ScratchRepo.commitChain against a real bare origin: one push, a linear chain, a re-applied batch. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ScratchRepo, updateBranchMany, type BranchState } from '@sd-actions/git';
import { commit, git, originAndClone, removeDir, tempDir } from '@sd-actions/testkit';

let root: string;
let origin: string;
let work: string;

beforeAll(() => {
  process.env.GIT_CONFIG_GLOBAL = '/dev/null';
  root = tempDir('update-branch-many-');
  ({ origin, work } = originAndClone(root));
  commit(work, 'initial', { 'list.txt': 'start\n' });
  git(work, 'push', '-q', 'origin', 'main');
});

afterAll(() => removeDir(root));

/** A batch appending each name to list.txt, one commit each (a name already there is skipped). */
function appendAll(names: string[], tips: (string | undefined)[] = []) {
  return async (state: BranchState) => {
    tips.push(state.tip);
    let text = (await state.read('list.txt')) ?? '';
    const commits = names.map((name) => {
      if (!text.includes(`${name}\n`)) text += `${name}\n`;
      return { files: { 'list.txt': text }, message: `add ${name}\n\nSd-Service: ${name}\n` };
    });
    return { commits, value: tips.length };
  };
}

const log = (ref: string) => git(origin, 'log', '--format=%s%x09%P', ref).trim().split('\n');

describe('updateBranchMany', () => {
  test('one commit per edit, linear, carried by one push; a re-run changes nothing', async () => {
    const repo = await ScratchRepo.open({ url: origin, tempRoot: root });
    try {
      const before = git(origin, 'rev-parse', 'main').trim();
      const update = await updateBranchMany({ repo, branch: 'main', edit: appendAll(['a', 'b', 'c']) });
      expect(update.changed).toBe(true);
      expect(update.commits.map((c) => c.step)).toEqual([0, 1, 2]);
      const history = log('main');
      expect(history.slice(0, 4).map((l) => l.split('\t')[0])).toEqual([
        'add c',
        'add b',
        'add a',
        'initial',
      ]);
      expect(history.every((l) => (l.split('\t')[1] ?? '').split(' ').filter(Boolean).length <= 1)).toBe(
        true,
      );
      expect(git(origin, 'rev-parse', 'main~3').trim()).toBe(before);
      const again = await updateBranchMany({ repo, branch: 'main', edit: appendAll(['a', 'b', 'c']) });
      expect(again).toMatchObject({ changed: false, commits: [] });
      // An edit that changes nothing in the middle of a batch makes no commit.
      const mixed = await updateBranchMany({ repo, branch: 'main', edit: appendAll(['b', 'd']) });
      expect(mixed.commits.map((c) => c.step)).toEqual([1]);
    } finally {
      await repo.dispose();
    }
  });

  test('a lost race re-applies the whole batch on the new tip', async () => {
    const repo = await ScratchRepo.open({ url: origin, tempRoot: root });
    try {
      const tips: (string | undefined)[] = [];
      let raced = false;
      const edit = appendAll(['x', 'y'], tips);
      const update = await updateBranchMany({
        repo,
        branch: 'main',
        retry: { sleep: async () => undefined },
        edit: async (state) => {
          if (!raced) {
            raced = true;
            git(work, 'pull', '-q', '--ff-only', 'origin', 'main');
            commit(work, 'other', { 'other.txt': 'x\n' });
            git(work, 'push', '-q', 'origin', 'main');
          }
          return edit(state);
        },
      });
      expect(update.attempts).toBe(2);
      expect(
        log('main')
          .slice(0, 3)
          .map((l) => l.split('\t')[0]),
      ).toEqual(['add y', 'add x', 'other']);
      expect(git(origin, 'show', 'main:list.txt')).toBe('start\na\nb\nc\nd\nx\ny');
    } finally {
      await repo.dispose();
    }
  });
});
