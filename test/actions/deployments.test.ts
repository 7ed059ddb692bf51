/**
 * GitHub Deployments for each promotion (issue 14), from the committed bundles against the
 * OpenAPI-validated GitHub fake: promote creates the deployment (ref = the source commit, payload =
 * service, version, digest) with status in_progress; verify-deployment marks the newest deployment
 * of that digest success or failure; an API failure is a warning and the promotion still lands.
 * Each status's environment_url is the config's `environments.<env>.url` rendered (verify-deployment's
 * `environment-url` input overrides it).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { OciLayoutRegistry } from '@sd-actions/registry';
import {
  buildImage,
  commit,
  git,
  originAndClone,
  pushImage,
  removeDir,
  runAction,
  startGitHubFake,
  tempDir,
  type ActionRun,
  type GitHubFake,
} from '@sd-actions/testkit';

const FULL = 'acme/monorepo'; // the runner emulation's GITHUB_REPOSITORY

let gh: GitHubFake;
let root: string;
let origin: string;
let work: string;
let registry: OciLayoutRegistry;
let c1: string;
let d1: string;

function ok(run: ActionRun): ActionRun {
  if (run.code !== 0) throw new Error(`${run.code}:\n${run.stdout}\n${run.stderr}`);
  return run;
}

const promote = (inputs: Record<string, string>) =>
  runAction('promote', {
    actionDir: 'promote',
    workspace: work,
    inputs: { token: 'bot-token', ...inputs },
    event: 'workflow_dispatch',
    env: { GITHUB_API_URL: gh.url },
  });

const verify = (command: string, environmentUrl?: string) =>
  runAction('verify-deployment', {
    workspace: work,
    inputs: {
      token: 'bot-token',
      service: 'blue',
      environment: 'dev',
      record: 'false',
      checks: `command: ${JSON.stringify(command)}\n`,
      ...(environmentUrl ? { 'environment-url': environmentUrl } : {}),
    },
    env: { GITHUB_API_URL: gh.url, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  });

/** A new commit of blue, built and promoted into dev with deployments: false (no GitHub record). */
async function quietlyInDev(message: string, content: string): Promise<string> {
  git(work, 'pull', '-q', 'origin', 'main');
  const c = commit(work, message, { 'projects/blue/app.txt': content });
  git(work, 'push', '-q', 'origin', 'main');
  const image = buildImage({ files: [{ path: 'srv/blue.txt', data: Buffer.from(`blue at ${c}\n`) }] });
  const digest = await pushImage(registry, 'blue', `sha-${c.slice(0, 7)}`, image);
  ok(await promote({ service: 'blue', to: 'dev', digest, 'source-commit': c, deployments: 'false' }));
  return c;
}

const deployments = () => gh.repos.get(FULL)!.deployments;
const warnings = (run: ActionRun) =>
  run.annotations.filter((a) => a.level === 'warning').map((a) => a.message);

beforeAll(async () => {
  gh = await startGitHubFake();
  gh.addToken('bot-token', 'sd-bot');
  gh.addRepo(FULL, { collaborators: { 'sd-bot': 'write' } });
  root = tempDir('deployments-');
  const registryDir = join(root, 'registry');
  registry = new OciLayoutRegistry(registryDir, { baseDir: root });
  ({ origin, work } = originAndClone(root));
  c1 = commit(work, 'feat: first', {
    '.github/sd-actions.yml': `registry: { type: oci-layout, url: ${registryDir} }
services:
  blue: { path: projects/blue }
environments:
  dev:     { branch: gitops/dev-auto-update, tags: [dev], verify: { interval: 10ms, count: 1 },
             url: "https://{service}.{environment}.example.com/?version={version}" }
  staging: { from: dev, branch: gitops/staging-releases, tags: ["{version}"] }
`,
    'projects/blue/app.txt': 'blue 1\n',
  });
  git(work, 'push', '-q', 'origin', 'main');
  const image = buildImage({ files: [{ path: 'srv/blue.txt', data: Buffer.from(`blue at ${c1}\n`) }] });
  d1 = await pushImage(registry, 'blue', `sha-${c1.slice(0, 7)}`, image);
});
afterEach(() => {
  expect(gh.violations.splice(0)).toEqual([]);
});
afterAll(async () => {
  await gh.stop();
  removeDir(root);
});

describe('GitHub Deployments', () => {
  test('promote creates the deployment with status in_progress; verify marks it success, then failure', async () => {
    const run = ok(await promote({ service: 'blue', to: 'dev', digest: d1, 'source-commit': c1 }));
    expect(warnings(run)).toEqual([]);
    expect(deployments()).toHaveLength(1);
    const d = deployments()[0]!;
    expect(d.ref).toBe(c1);
    expect(d.environment).toBe('dev');
    expect(d.payload).toEqual({ service: 'blue', version: `sha-${c1.slice(0, 7)}`, digest: d1 });
    expect(d.statuses.map((s) => s.state)).toEqual(['in_progress']);
    expect(d.statuses[0]!.logUrl).toBe('https://github.example/acme/monorepo/actions/runs/1234');
    const urlOf = (version: string) => `https://blue.dev.example.com/?version=${version}`;
    expect(d.statuses[0]!.environmentUrl).toBe(urlOf(`sha-${c1.slice(0, 7)}`));

    // A re-run changes nothing, and records no second deployment.
    ok(await promote({ service: 'blue', to: 'dev', digest: d1, 'source-commit': c1 }));
    expect(deployments()).toHaveLength(1);

    const healthy = ok(await verify('true', 'https://blue.dev.example'));
    expect(healthy.outputs.result).toBe('healthy');
    expect(d.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    expect(d.statuses[1]!.environmentUrl).toBe('https://blue.dev.example'); // the input wins

    const unhealthy = await verify('false');
    expect(unhealthy.outputs.result).toBe('unhealthy');
    expect(d.statuses.map((s) => s.state)).toEqual(['in_progress', 'success', 'failure']);
    expect(d.statuses[2]!.environmentUrl).toBe(urlOf(`sha-${c1.slice(0, 7)}`)); // the config's
  });

  test('a failing deployments API is a warning only: the promotion still lands', async () => {
    // Blue in dev, as the first test leaves it (made here when this test runs alone).
    if (git(origin, 'for-each-ref', 'refs/heads/gitops/dev-auto-update') === '')
      ok(await promote({ service: 'blue', to: 'dev', digest: d1, 'source-commit': c1 }));
    gh.failNext({ status: 403, path: /\/deployments$/, times: 1 });
    const run = ok(await promote({ service: 'blue', to: 'staging', version: '1.6.0' }));
    expect(run.outputs.changed).toBe('true');
    expect(git(origin, 'show', 'gitops/staging-releases:release-manifests/staging.yaml')).toContain(
      'version: 1.6.0',
    );
    expect(warnings(run).join('\n')).toMatch(
      /GitHub Deployments: could not record the deployment of blue 1\.6\.0 to staging \(the promotion is not affected\)/,
    );
    expect(deployments().filter((d) => d.environment === 'staging')).toEqual([]);
  });

  test('deployments: false writes nothing to GitHub', async () => {
    const start = gh.calls.length;
    await quietlyInDev('feat: second', 'blue 2\n');
    expect(gh.calls.slice(start).filter((c) => c.method !== 'GET')).toEqual([]);
  });
  test('rollback-service marks the replaced deployment inactive and the restored version success', async () => {
    // The version to go back to: in dev without a deployment of its own, so the one found after
    // the rollback is the rollback's.
    const c2 = await quietlyInDev('feat: second, again', 'blue 2b\n');
    const c3 = commit(work, 'feat: third', { 'projects/blue/app.txt': 'blue 3\n' });
    git(work, 'push', '-q', 'origin', 'main');
    const image = buildImage({ files: [{ path: 'srv/blue.txt', data: Buffer.from(`blue at ${c3}\n`) }] });
    const d3 = await pushImage(registry, 'blue', `sha-${c3.slice(0, 7)}`, image);
    ok(await promote({ service: 'blue', to: 'dev', digest: d3, 'source-commit': c3 }));
    const bad = deployments().find((d) => (d.payload as { digest?: string }).digest === d3)!;
    expect(bad.statuses.map((s) => s.state)).toEqual(['in_progress']);

    const run = ok(
      await runAction('rollback-service', {
        workspace: work,
        inputs: {
          token: 'bot-token',
          service: 'blue',
          environment: 'dev',
          'to-version': `sha-${c2.slice(0, 7)}`,
          'allow-unverified': 'true',
          cooldown: '0',
          reason: 'test',
        },
        env: { GITHUB_API_URL: gh.url, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
      }),
    );
    expect(run.outputs['rolled-back']).toBe('true');
    expect(warnings(run).filter((w) => /GitHub Deployments/.test(w))).toEqual([]);
    expect(bad.statuses.map((s) => s.state)).toEqual(['in_progress', 'inactive']);
    const restored = deployments().filter((d) => d.ref === c2);
    expect(restored).toHaveLength(1);
    expect(restored[0]!.payload).toEqual({
      service: 'blue',
      version: `sha-${c2.slice(0, 7)}`,
      digest: expect.any(String),
    });
    expect(restored[0]!.statuses.map((s) => s.state)).toEqual(['success']);
    expect(restored[0]!.statuses[0]!.environmentUrl).toBe(
      `https://blue.dev.example.com/?version=sha-${c2.slice(0, 7)}`,
    );
  });
});
