/**
 * promote's `[verification]` gate (issue 14), run from the committed bundle: a digest whose newest
 * verification in the `from` environment is unhealthy is refused before anything changes, naming
 * the verification commit and its reason; inconclusive warns; healthy lands. Verdicts are recorded
 * with gitops `recordVerification`, as verify-deployment records them. Real git (a bare origin) and
 * the oci-layout registry.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { parseConfig, type VerificationResult } from '@sd-actions/core';
import { ScratchRepo } from '@sd-actions/git';
import { recordVerification } from '@sd-actions/gitops';
import { OciLayoutRegistry } from '@sd-actions/registry';
import {
  buildImage,
  commit,
  git,
  originAndClone,
  pushImage,
  removeDir,
  runAction,
  tempDir,
  type ActionRun,
} from '@sd-actions/testkit';

function config(registryDir: string): string {
  return `registry: { type: oci-layout, url: ${registryDir} }
services:
  blue: { path: projects/blue }
environments:
  dev:        { branch: gitops/dev-auto-update, tags: [dev] }
  staging:    { from: dev, branch: gitops/staging-releases, tags: ["{version}"] }
  production: { from: staging, branch: gitops/production-releases, tags: ["{version}", prd] }
`;
}

let root: string;
let origin: string;
let work: string;
let configText: string;
let registry: OciLayoutRegistry;

async function build(sha: string): Promise<string> {
  const image = buildImage({ files: [{ path: 'srv/blue.txt', data: Buffer.from(`blue at ${sha}\n`) }] });
  return pushImage(registry, 'blue', `sha-${sha.slice(0, 7)}`, image);
}

const promote = (inputs: Record<string, string>): Promise<ActionRun> =>
  runAction('promote', { actionDir: 'promote', workspace: work, inputs, event: 'workflow_dispatch' });

function ok(run: ActionRun): ActionRun {
  if (run.code !== 0) throw new Error(`promote failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
  return run;
}

/** Everything a promotion can change: origin's refs and every registry tag. */
async function snapshot(): Promise<string> {
  const refs = git(origin, 'for-each-ref', '--format=%(refname) %(objectname)');
  const tags: string[] = [];
  for (const tag of (await registry.listTags('blue')).sort())
    tags.push(`${tag}=${(await registry.resolve('blue', tag))?.digest}`);
  return `${refs}\n${tags.join('\n')}`;
}

const messages = (run: ActionRun) => run.annotations.map((a) => a.message).join('\n');

/** Record a verdict on staging, as verify-deployment does; returns the verification commit. */
async function verify(version: string, digest: string, result: VerificationResult, reason: string) {
  const cfg = await parseConfig(configText);
  const repo = await ScratchRepo.open({ url: origin });
  try {
    const recorded = await recordVerification({
      repo,
      config: cfg,
      environment: cfg.environments.get('staging')!,
      record: {
        service: 'blue',
        environment: 'staging',
        version,
        digest,
        verification: result,
        runUrl: 'https://github.com/acme/monorepo/actions/runs/77',
        reason,
      },
    });
    expect(recorded.changed).toBe(true);
    return recorded.commit!;
  } finally {
    await repo.dispose();
  }
}

/** Promote a fresh build to dev, then to staging as `version`; returns its digest. */
async function toStaging(n: number, version: string): Promise<string> {
  const c = commit(work, `feat(blue): change ${n}`, { 'projects/blue/app.txt': `blue ${n}\n` });
  git(work, 'push', '-q', 'origin', 'main');
  const digest = await build(c);
  ok(await promote({ service: 'blue', to: 'dev', digest, 'source-commit': c }));
  ok(await promote({ service: 'blue', to: 'staging', version }));
  return digest;
}

beforeAll(() => {
  root = tempDir('promote-verification-');
  const registryDir = join(root, 'registry');
  registry = new OciLayoutRegistry(registryDir, { baseDir: root });
  ({ origin, work } = originAndClone(root));
  configText = config(registryDir);
  commit(work, 'chore: config', { '.github/sd-actions.yml': configText });
  git(work, 'push', '-q', 'origin', 'main');
});
afterAll(() => removeDir(root));

describe('promote [verification]', () => {
  test('unhealthy in staging: production refused, naming the commit and the reason; nothing changed', async () => {
    const digest = await toStaging(1, '1.6.0');
    const sha = await verify('1.6.0', digest, 'unhealthy', '3 of 6 health checks failed');
    const before = await snapshot();
    const run = await promote({ service: 'blue', to: 'production' });
    expect(run.code).toBe(1);
    expect(messages(run)).toMatch(/refused, nothing was changed/);
    expect(messages(run)).toMatch(
      new RegExp(
        `\\[verification\\] blue 1\\.6\\.0 \\(${digest}\\) was verified unhealthy in staging \\(as 1\\.6\\.0\\) by commit ${sha.slice(0, 12)}.*: 3 of 6 health checks failed`,
      ),
    );
    expect(await snapshot()).toBe(before);
  });

  test('a later healthy verdict for the same digest lets it land', async () => {
    // Where the test above left staging (1.6.0 verified unhealthy), made here when run alone.
    let digest = (await registry.resolve('blue', '1.6.0'))?.digest;
    if (!digest) {
      digest = await toStaging(1, '1.6.0');
      await verify('1.6.0', digest, 'unhealthy', '3 of 6 health checks failed');
    }
    await verify('1.6.0', digest, 'healthy', 'all checks passed');
    const run = ok(await promote({ service: 'blue', to: 'production' }));
    expect(run.outputs).toMatchObject({ version: '1.6.0', digest, changed: 'true' });
    expect((await registry.resolve('blue', 'prd'))?.digest).toBe(digest);
    expect(run.annotations.filter((a) => /\[verification\]/.test(a.message))).toEqual([]);
  });

  test('inconclusive warns and lands', async () => {
    const digest = await toStaging(2, '1.6.1');
    await verify('1.6.1', digest, 'inconclusive', 'no alarm data');
    const run = ok(await promote({ service: 'blue', to: 'production' }));
    expect(run.outputs).toMatchObject({ version: '1.6.1', digest, changed: 'true' });
    expect(
      run.annotations.some(
        (a) =>
          a.level === 'warning' &&
          /verified inconclusive in staging.*no alarm data; promoting it to production anyway \[verification\]/.test(
            a.message,
          ),
      ),
    ).toBe(true);
  });
});
