/**
 * A service path (or literal dependsOn path) that does not exist at the compared head can never
 * match a change: detect-changed-service says so in a warning naming the service and the path,
 * instead of a silent "0 of N services changed".
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { commit, git, originAndClone, removeDir, runAction, tempDir } from '@sd-actions/testkit';

let root: string;
let work: string;
beforeAll(() => {
  root = tempDir('detect-missing-');
  ({ work } = originAndClone(root));
});
afterAll(() => removeDir(root));

test('missing paths at head are warnings naming service and path; existing ones (spaces, unicode) are not', async () => {
  const config = `services:
  blue: { path: projects/blue, dependsOn: [libs/payments, "libs/**/*.proto"] }
  red: { path: "projects/red team" }
  uni: { path: "projects/ünïcödé" }
  green: { path: projects/gren }
`;
  const before = commit(work, 'initial', {
    '.github/sd-actions.yml': config,
    'projects/blue/app.js': '1',
    'projects/red team/app.js': '1',
    'projects/ünïcödé/a.txt': '1',
    'projects/green/app.js': '1',
  });
  const after = commit(work, 'change green', { 'projects/green/app.js': '2' });
  git(work, 'push', '-q', 'origin', 'main');
  const run = await runAction('detect-changed-service', {
    workspace: work,
    event: 'push',
    sha: after,
    payload: { before, after, ref: 'refs/heads/main', repository: { default_branch: 'main' } },
  });
  expect(run.code).toBe(0);
  expect(JSON.parse(run.outputs.services!)).toEqual([]);
  const warnings = run.annotations.filter((a) => a.level === 'warning');
  expect(
    warnings.map((w) => [w.properties.title, w.message.replace(/ \(checked at [0-9a-f]{12}\)$/, '')]),
  ).toEqual([
    [
      'sd-actions: blue',
      'services.blue.dependsOn: "libs/payments" does not exist, so no change can ever match it; fix the path in .github/sd-actions.yml',
    ],
    [
      'sd-actions: green',
      'services.green.path: "projects/gren" does not exist, so no change can ever match it; fix the path in .github/sd-actions.yml',
    ],
  ]);
});
