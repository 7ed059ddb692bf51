/** ScratchRepo.open writes its config itself (one git process): git must read back what it wrote. */
import { expect, test } from '@jest/globals';
import { ScratchRepo } from '@sd-actions/git';

test.each([
  'https://github.example/acme/monorepo.git',
  '/tmp/a "quoted" dir/with\\backslash/origin.git',
  'git@github.example:acme/mono repo.git',
])('the origin url %s reads back unchanged, with the fetch refspec and no reflogs', async (url) => {
  const repo = await ScratchRepo.open({ url });
  try {
    expect(await repo.git.run(['config', '--get', 'remote.origin.url'])).toBe(url);
    expect(await repo.git.run(['config', '--get', 'remote.origin.fetch'])).toBe(
      '+refs/heads/*:refs/remotes/origin/*',
    );
    expect(await repo.git.run(['config', '--get', 'core.logAllRefUpdates'])).toBe('false');
    expect(await repo.git.run(['remote'])).toBe('origin');
  } finally {
    await repo.dispose();
  }
});
