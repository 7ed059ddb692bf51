/**
 * detect-changed-service with `compare-to-environment` (issue 8 item 10): each service is compared
 * with the commit the environment's manifest records, so a release run that GitHub cancelled
 * while pending (one pending run per concurrency group) loses nothing. Real git, the bundle.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import {
  checkoutClone,
  commit,
  git,
  originAndClone,
  removeDir,
  runAction,
  tempDir,
  type ActionRun,
} from '@sd-actions/testkit';

const CONFIG = `registry: { type: oci, url: registry.example:5000/acme }
services:
  blue: { path: projects/blue }
  green: { path: projects/green }
  red: { path: projects/red }
environments:
  dev: { branch: gitops/dev-auto-update, tags: [dev] }
  staging: { from: dev, branch: gitops/staging-releases, tags: ["{version}"] }
`;

let root: string;
let origin: string;
let work: string;
let gitops: string;
let checkouts = 0;

function manifest(commits: Record<string, string>): string {
  const lines = ['environment: dev', 'services:'];
  for (const [service, sha] of Object.entries(commits))
    lines.push(
      `  ${service}:`,
      `    version: sha-${sha.slice(0, 7)}`,
      `    image: registry.example:5000/acme/${service}`,
      `    digest: sha256:${'a'.repeat(64)}`,
      `    commit: ${sha}`,
    );
  return lines.join('\n') + '\n';
}

/** What a release run's promote step does to dev: record the commits in the dev manifest. */
function recordInDev(commits: Record<string, string>): void {
  commit(gitops, 'promote', { 'release-manifests/dev.yaml': manifest(commits) });
  git(gitops, 'push', '-q', 'origin', 'HEAD:refs/heads/gitops/dev-auto-update');
}

/** A push to main and the run GitHub starts for it: a depth-1 checkout of main, the push event. */
function push(message: string, files: Record<string, string>): { before: string; after: string } {
  const before = git(work, 'rev-parse', 'HEAD');
  const after = commit(work, message, files);
  git(work, 'push', '-q', 'origin', 'main');
  return { before, after };
}

async function releaseRun(
  pushed: { before: string; after: string },
  inputs: Record<string, string> = { 'compare-to-environment': 'dev' },
): Promise<ActionRun> {
  const checkout = checkoutClone(origin, join(root, `checkout-${++checkouts}`), { depth: 1, ref: 'main' });
  return runAction('detect-changed-service', {
    workspace: checkout,
    inputs,
    event: 'push',
    sha: pushed.after,
    ref: 'refs/heads/main',
    payload: { ...pushed, ref: 'refs/heads/main', repository: { default_branch: 'main' } },
  });
}

function services(run: ActionRun): string[] {
  if (run.code !== 0) throw new Error(`action failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.outputs.services ?? 'null') as string[];
}

beforeAll(() => {
  root = tempDir('detect-env-');
  ({ origin, work } = originAndClone(root));
  commit(work, 'initial', {
    '.github/sd-actions.yml': CONFIG,
    'projects/blue/app.js': 'blue 1',
    'projects/green/app.js': 'green 1',
    'projects/red/app.js': 'red 1',
  });
  git(work, 'push', '-q', 'origin', 'main');
  gitops = join(root, 'gitops');
  git(root, 'init', '-q', '-b', 'gitops/dev-auto-update', gitops);
  git(gitops, 'remote', 'add', 'origin', origin);
});

afterAll(() => removeDir(root));

describe('three pushes, the middle run cancelled while pending', () => {
  test.each([
    ['the run for A deployed blue', true, ['green', 'red']],
    ['the run for A failed before deploying blue', false, ['blue', 'green', 'red']],
  ])('%s: the run for C reports the cancelled push too', async (_name, aDeployed, expected) => {
    const start = git(work, 'rev-parse', 'HEAD');
    const deployed = { blue: start, green: start, red: start };
    recordInDev(deployed); // dev runs the starting commit

    // Push A changes blue; its run reports blue (and its promote records it, unless it failed).
    const a = push('A: blue', { 'projects/blue/app.js': `blue ${Date.now()}` });
    expect(services(await releaseRun(a))).toEqual(['blue']);
    if (aDeployed) recordInDev({ ...deployed, blue: a.after });

    // Push B changes green; its run waits in the concurrency group and is cancelled by C's.
    push('B: green', { 'projects/green/app.js': `green ${Date.now()}` });
    // Push C changes red.
    const c = push('C: red', { 'projects/red/app.js': `red ${Date.now()}` });

    // Without compare-to-environment the run for C compares only its own push: green is dropped.
    expect(services(await releaseRun(c, {}))).toEqual(['red']);

    const runC = await releaseRun(c);
    expect(services(runC)).toEqual(expected);
    expect(JSON.parse(runC.outputs.reasons!)).toMatchObject({
      green: 'changed: projects/green/app.js',
      red: 'changed: projects/red/app.js',
    });
    expect(runC.outputs['base-source']).toMatch(/compared with what dev runs/);
    expect(runC.annotations).toEqual([]);
  });

  test('a service dev never ran is reported with its reason', async () => {
    recordInDev({ red: git(work, 'rev-parse', 'HEAD') });
    const c = push('D: red', { 'projects/red/app.js': `red ${Date.now()}` });
    const run = await releaseRun(c);
    expect(services(run)).toEqual(['blue', 'green', 'red']);
    expect(JSON.parse(run.outputs.reasons!)).toMatchObject({
      blue: 'never deployed to dev',
      green: 'never deployed to dev',
    });
  });
});

describe('edges', () => {
  test("a recorded commit not in head's history counts as changed, with a warning", async () => {
    const headNow = git(work, 'rev-parse', 'HEAD');
    git(work, 'checkout', '-q', '-b', 'side');
    const side = commit(work, 'side', { 'side.txt': 'x' });
    git(work, 'push', '-q', 'origin', 'side');
    git(work, 'checkout', '-q', 'main');
    recordInDev({ blue: headNow, green: side, red: headNow });
    const e = push('E: nothing of blue/red', { 'docs.md': `${Date.now()}` });
    const run = await releaseRun(e);
    expect(services(run)).toEqual(['green']);
    expect(run.annotations).toEqual([
      expect.objectContaining({ level: 'warning', message: expect.stringContaining(side.slice(0, 12)) }),
    ]);
  });

  test('dev running a newer commit than head reports nothing for it', async () => {
    const older = git(work, 'rev-parse', 'HEAD');
    const newer = push('F', { 'projects/blue/app.js': `blue ${Date.now()}` }).after;
    recordInDev({ blue: newer, green: newer, red: newer });
    expect(services(await releaseRun({ before: older, after: older }))).toEqual([]);
  });

  test('an environment branch that does not exist yet: every service, never deployed', async () => {
    // Whether or not the tests above made it (this one may run alone), take it away for this run.
    const existed = git(origin, 'for-each-ref', 'refs/heads/gitops/dev-auto-update') !== '';
    if (existed) git(gitops, 'push', '-q', 'origin', ':refs/heads/gitops/dev-auto-update');
    try {
      const g = push('G', { 'docs.md': `${Date.now()}` });
      expect(services(await releaseRun(g))).toEqual(['blue', 'green', 'red']);
    } finally {
      if (existed) git(gitops, 'push', '-q', 'origin', 'HEAD:refs/heads/gitops/dev-auto-update');
    }
  });

  test.each([
    [
      { 'compare-to-environment': 'qa' },
      /Input "compare-to-environment": "qa" is not an environment of the config; expected one of dev, staging/,
    ],
    [
      { 'compare-to-environment': 'dev', base: 'HEAD~1' },
      /Inputs "base" and "compare-to-environment" exclude each other/,
    ],
  ])('bad input %j fails naming it', async (inputs, message) => {
    const head = git(work, 'rev-parse', 'HEAD');
    const run = await releaseRun({ before: head, after: head }, inputs);
    expect(run.code).not.toBe(0);
    expect(run.annotations.map((a) => a.message).join('\n')).toMatch(message);
  });
});
