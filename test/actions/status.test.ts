import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { commit, git, originAndClone, removeDir, runAction, tempDir } from '@sd-actions/testkit';

let root: string;
let work: string;
const D = (n: number) => `sha256:${String(n).repeat(64)}`;
let C: string;

beforeAll(async () => {
  root = tempDir('status-');
  let origin: string;
  ({ origin, work } = originAndClone(root));
  C = commit(work, 'config', {
    '.github/sd-actions.yml':
      'services:\n  blue: { path: blue }\n  green: { path: green }\n  red: { path: red }\n',
  });
  git(work, 'push', '-q', 'origin', 'main');
  const write = async (service: string, environment: string, version: string, digest: string) => {
    const run = await runAction('promote-manifest', {
      workspace: work,
      inputs: { service, environment, version, digest, 'source-commit': C },
    });
    if (run.code !== 0) throw new Error(run.stdout);
  };
  await write('blue', 'dev', 'sha-1111111', D(1));
  await write('blue', 'staging', '1.0.0', D(1));
  await write('green', 'dev', 'sha-2222222', D(2));
  await write('green', 'staging', '2.0.0', D(3));
  expect(origin).toBeTruthy();
});

afterAll(() => removeDir(root));

test('status reports the matrix and what lags behind its from environment', async () => {
  const run = await runAction('status', { workspace: work, event: 'workflow_dispatch' });
  expect(run.code).toBe(0);
  // green: staging runs another digest than dev, and production has nothing of what staging runs.
  expect(JSON.parse(run.outputs.behind!)).toEqual(['blue/production', 'green/staging', 'green/production']);
  const matrix = JSON.parse(run.outputs.matrix!) as {
    service: string;
    cells: { environment: string; entry?: { version: string } }[];
  }[];
  expect(matrix.map((r) => [r.service, r.cells.map((c) => c.entry?.version ?? null)])).toEqual([
    ['blue', ['sha-1111111', '1.0.0', null]],
    ['green', ['sha-2222222', '2.0.0', null]],
    ['red', [null, null, null]],
  ]);
  expect(run.summary).toContain('| Service | dev | staging (from dev) | production (from staging) |');
  expect(run.summary).toMatch(
    /\| green \| sha-2222222 · 222222222222 .*\| 2\.0\.0 · 333333333333 .* ⚠ behind dev \| — \(behind staging\) \|/,
  );
  expect(run.stdout).toMatch(/^service\s+dev\s+staging\s+production$/m);
});
