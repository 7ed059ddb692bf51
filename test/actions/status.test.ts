import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createGitHubClient, ensureRequest } from '@sd-actions/github';
import {
  commit,
  git,
  originAndClone,
  removeDir,
  runAction,
  startGitHubFake,
  tempDir,
} from '@sd-actions/testkit';

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
  // Each promotion above is one commit pushed to its environment's branch on origin.
  expect(C).toMatch(/^[0-9a-f]{40}$/);
  expect(git(origin, 'rev-list', '--count', 'gitops/dev-auto-update')).toBe('2');
  expect(git(origin, 'rev-list', '--count', 'gitops/staging-releases')).toBe('2');
});

afterAll(() => removeDir(root));

test('status reports the matrix and what lags behind its from environment', async () => {
  const run = await runAction('status', { workspace: work, event: 'workflow_dispatch' });
  expect(run.code).toBe(0);
  // green: staging runs another build of the same source commit than dev, which orders neither
  // before the other ("≠ dev", not behind); production has nothing of what staging runs.
  expect(JSON.parse(run.outputs.behind!)).toEqual(['blue/production', 'green/production']);
  const matrix = JSON.parse(run.outputs.matrix!) as {
    service: string;
    cells: { environment: string; entry?: { version: string }; drift: string; mark?: string }[];
  }[];
  expect(matrix.map((r) => [r.service, r.cells.map((c) => c.entry?.version ?? null)])).toEqual([
    ['blue', ['sha-1111111', '1.0.0', null]],
    ['green', ['sha-2222222', '2.0.0', null]],
    ['red', [null, null, null]],
  ]);
  expect(matrix[1]!.cells.map((c) => [c.drift, c.mark ?? null])).toEqual([
    ['none', 'unverified'],
    ['differs', 'unverified'],
    ['missing', null],
  ]);
  expect(run.summary).toContain('| Service | dev | staging (from dev) | production (from staging) |');
  expect(run.summary).toMatch(
    /\| green \| sha-2222222 222222222222 unverified .*\| 2\.0\.0 333333333333 unverified .* ≠ dev \| — ⚠ behind staging \|/,
  );
  expect(run.summary).toContain('Approval requests not checked');
  expect(run.stdout).toMatch(/^service\s+dev\s+staging\s+production$/m);
});

test('with a token, open approval requests show in their cell (GitHub fake, real Octokit)', async () => {
  const gh = await startGitHubFake();
  try {
    gh.addToken('job-token', 'github-actions[bot]', { orgRead: false, userRead: false });
    gh.addRepo('acme/monorepo');
    await ensureRequest(
      createGitHubClient({ token: 'job-token', baseUrl: gh.url }),
      { owner: 'acme', repo: 'monorepo' },
      {
        binding: {
          service: 'green',
          environment: 'production',
          version: '2.0.0',
          digest: D(3),
          requester: 'dave',
          triggeringActor: 'dave',
          run: 'https://github.com/acme/monorepo/actions/runs/9',
          from: 'staging',
          requestedAt: '2026-11-22T09:00:00Z',
        },
        body: { count: 1, approvers: ['alice'] },
        gateLogin: 'github-actions[bot]',
      },
    );
    const run = await runAction('status', {
      workspace: work,
      event: 'workflow_dispatch',
      githubToken: 'job-token',
      env: { GITHUB_API_URL: gh.url },
    });
    expect(run.code).toBe(0);
    const matrix = JSON.parse(run.outputs.matrix!) as {
      service: string;
      cells: { environment: string; pending: { version: string; number: number }[] }[];
    }[];
    expect(matrix[1]!.cells[2]!.pending).toMatchObject([{ version: '2.0.0', number: 1 }]);
    expect(run.summary).toContain('⏳ green 2.0.0 → production awaits approval: #1 asked by dave');
    expect(gh.violations).toEqual([]);
  } finally {
    await gh.stop();
  }
});
