/** resolveRemote words its errors for whoever named the remote: the CLI by default, an action by its input. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { resolveRemote } from '@sd-actions/gitops';
import { git, initRepo, removeDir, tempDir } from '@sd-actions/testkit';

let repo: string;
beforeAll(() => {
  repo = initRepo(tempDir('remote-'));
  git(repo, 'remote', 'add', 'origin', '/srv/origin.git');
});
afterAll(() => removeDir(repo));

describe('resolveRemote messages', () => {
  test.each([
    ['upstream', undefined, /^Remote: "upstream" is not a remote of the repository in /],
    ['-x', undefined, /^Remote: "-x" is not valid; expected a remote name like origin$/],
    ['upstream', 'Input "remote"', /^Input "remote": "upstream" is not a remote of the repository in /],
  ])('%s (label %s)', async (name, label, message) => {
    await expect(resolveRemote(repo, name, undefined, { label })).rejects.toThrow(message);
  });

  test('origin resolves to its URL', async () => {
    expect(await resolveRemote(repo, 'origin', undefined)).toEqual({
      name: 'origin',
      url: '/srv/origin.git',
      authHeader: undefined,
    });
  });
});
