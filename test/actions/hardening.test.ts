/**
 * Issue 8, half-done promotions and chain skipping, through the committed bundles: every case is
 * refused before anything changes (origin's refs and every registry tag as they were), naming
 * the value and the rule; the hotfix flow (a build from a release branch into staging) still works.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OciLayoutRegistry } from '@sd-actions/registry';
import {
  type ActionRun,
  buildImage,
  checkoutClone,
  commit,
  git,
  originAndClone,
  pushImage,
  removeDir,
  runAction,
  tempDir,
} from '@sd-actions/testkit';

const SERVICES = ['blue', 'green', 'red'];

function config(registryDir: string, extra = ''): string {
  return `registry: { type: oci-layout, url: ${registryDir} }
services:
${SERVICES.map((s) => `  ${s}: { path: projects/${s} }`).join('\n')}
environments:
  dev:        { branch: gitops/dev-auto-update, tags: [dev] }
  staging:    { from: dev, branch: gitops/staging-releases, tags: ["{version}"] }
  production: { from: staging, branch: gitops/production-releases, tags: ["{version}", prd] }
${extra}`;
}

let root: string;
let origin: string;
let work: string;
let registryDir: string;
let registry: OciLayoutRegistry;
let c1: string;

async function build(service: string, sha: string): Promise<string> {
  const image = buildImage({
    files: [{ path: `srv/${service}.txt`, data: Buffer.from(`${service} at ${sha}\n`) }],
  });
  return pushImage(registry, service, `sha-${sha.slice(0, 7)}`, image);
}

function promote(inputs: Record<string, string>, action = 'promote'): Promise<ActionRun> {
  return runAction(action, {
    actionDir: action === 'promote' ? 'promote' : undefined,
    workspace: work,
    inputs,
    event: 'workflow_dispatch',
  });
}

function ok(run: ActionRun): ActionRun {
  if (run.code !== 0) throw new Error(`failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
  return run;
}

async function snapshot(): Promise<string> {
  const refs = git(origin, 'for-each-ref', '--format=%(refname) %(objectname)');
  const tags: string[] = [];
  for (const service of SERVICES) {
    for (const tag of (await registry.listTags(service)).sort())
      tags.push(`${service}:${tag}=${(await registry.resolve(service, tag))?.digest}`);
  }
  return `${refs}\n${tags.join('\n')}`;
}

/** Run, expect exactly one error annotation containing every `parts`, and nothing changed. */
async function refused(inputs: Record<string, string>, parts: string[], action = 'promote'): Promise<string> {
  const before = await snapshot();
  const run = await promote(inputs, action);
  expect(run.code).toBe(1);
  const errors = run.annotations.filter((a) => a.level === 'error');
  expect(errors).toHaveLength(1);
  for (const part of parts) expect(errors[0]!.message).toContain(part);
  expect(run.stdout).not.toContain('unexpected error');
  expect(await snapshot()).toBe(before);
  return errors[0]!.message;
}

beforeAll(async () => {
  root = tempDir('hardening-');
  registryDir = join(root, 'registry');
  registry = new OciLayoutRegistry(registryDir, { baseDir: root });
  ({ origin, work } = originAndClone(root));
  const files: Record<string, string> = { '.github/sd-actions.yml': config(registryDir) };
  for (const s of SERVICES) files[`projects/${s}/app.txt`] = `${s} 1\n`;
  c1 = commit(work, 'feat: first', files);
  git(work, 'push', '-q', 'origin', 'main');
});

afterAll(() => removeDir(root));

describe('item 3: a source commit must be in origin before anything changes', () => {
  test('a nonexistent source-commit is refused into dev', async () => {
    const d = await build('blue', c1);
    const ghost = 'd'.repeat(40);
    await refused({ service: 'blue', to: 'dev', digest: d, 'source-commit': ghost }, [
      `source commit ${ghost}`,
      'is not on any branch of origin',
      'nothing was changed',
    ]);
  });

  test('a commit only on a GitOps branch is not a source commit', async () => {
    const d = await build('blue', c1);
    ok(await promote({ service: 'blue', to: 'dev', digest: d, 'source-commit': c1 }));
    const gitopsTip = git(origin, 'rev-parse', 'gitops/dev-auto-update');
    await refused({ service: 'red', to: 'dev', digest: d, 'source-commit': gitopsTip }, [
      'is not on any branch of origin',
    ]);
  });

  test('promote-manifest refuses a source-commit origin does not have', async () => {
    await refused(
      {
        service: 'red',
        environment: 'dev',
        version: 'sha-ddddddd',
        digest: `sha256:${'1'.repeat(64)}`,
        'source-commit': 'd'.repeat(40),
      },
      ['Input "source-commit"', 'is not in remote "origin"'],
      'promote-manifest',
    );
  });
});

describe('item 4: values read back from a manifest are validated like inputs', () => {
  test('a hand-edited digest: dev in the dev manifest is refused naming file and key', async () => {
    const d = await build('green', c1);
    ok(await promote({ service: 'green', to: 'dev', digest: d, 'source-commit': c1 }));
    const scratch = join(root, 'edit-dev');
    checkoutClone(origin, scratch, { ref: 'gitops/dev-auto-update' });
    const path = join(scratch, 'release-manifests/dev.yaml');
    const text = git(scratch, 'show', 'HEAD:release-manifests/dev.yaml').replace(
      new RegExp(`digest: ${d}`),
      'digest: dev',
    );
    writeFileSync(path, `${text}\n`);
    git(scratch, 'commit', '-qam', 'hand edit');
    git(scratch, 'push', '-q', 'origin', 'HEAD:gitops/dev-auto-update');
    await refused({ service: 'green', to: 'staging', version: '1.0.0' }, [
      'gitops/dev-auto-update:release-manifests/dev.yaml: services.green.digest: "dev" is not valid',
      'sha256:',
    ]);
    // Repair for the later tests.
    ok(await promote({ service: 'green', to: 'dev', digest: d, 'source-commit': c1 }));
  });
});

describe('items 5-7: config and files that would fail half-way', () => {
  const withConfig = async (name: string, text: string) => {
    writeFileSync(join(work, name), text);
    return name;
  };

  test('item 5: a service name that cannot form a git tag is a config error', async () => {
    const file = await withConfig(
      'bad-service.yml',
      config(registryDir).replace(
        '  red: { path: projects/red }',
        '  api.lock: { path: projects/red, image: red }',
      ),
    );
    await refused({ service: 'api.lock', to: 'staging', version: '1.0.0', config: file }, [
      'services.api.lock',
      'not a valid git ref name',
    ]);
  });

  test('item 6: manifests into .git/ is a config error', async () => {
    const file = await withConfig(
      'bad-manifests.yml',
      config(registryDir, 'manifests: .git/{environment}.yaml\n'),
    );
    const message = await refused({ service: 'blue', to: 'staging', version: '1.0.0', config: file }, [
      'manifests: ".git/{environment}.yaml"',
      'inside .git/',
    ]);
    expect(message).not.toContain('\u0001');
  });

  test('item 7: a files entry naming the environment manifest is refused', async () => {
    await refused(
      {
        service: 'blue',
        to: 'staging',
        version: '1.0.0',
        files: 'release-manifests/staging.yaml:services.blue.version',
      },
      ['Input "files": "release-manifests/staging.yaml" is the environment manifest'],
    );
    await refused(
      {
        service: 'blue',
        environment: 'staging',
        version: '1.0.0',
        digest: `sha256:${'1'.repeat(64)}`,
        files: 'release-manifests/staging.yaml:services.blue.version',
      },
      ['is the environment manifest'],
      'promote-manifest',
    );
  });
});

describe('item 9: the chain cannot be skipped', () => {
  test('from: dev to production is refused naming the rule', async () => {
    await refused({ service: 'blue', to: 'production', from: 'dev', version: '1.0.0' }, [
      '[chain-order]',
      'environments.production.from',
    ]);
  });

  test('a build straight into production or (not a hotfix) staging is refused', async () => {
    const d = await build('blue', c1);
    await refused({ service: 'blue', to: 'production', version: '1.0.0', digest: d, 'source-commit': c1 }, [
      '[chain-from-build]',
      'acceptBuilds',
    ]);
    await refused({ service: 'blue', to: 'staging', version: '1.0.0', digest: d, 'source-commit': c1 }, [
      '[chain-from-build]',
      'release/blue-1.0',
    ]);
  });

  test('the hotfix flow still works: a build of the release branch goes into staging', async () => {
    const hot = join(root, 'hot');
    checkoutClone(origin, hot, { ref: 'main' });
    git(hot, 'checkout', '-q', '-b', 'release/red-2.0');
    const c = commit(hot, 'fix(red): hotfix', { 'projects/red/app.txt': 'red hot\n' });
    git(hot, 'push', '-q', 'origin', 'release/red-2.0');
    const d = await build('red', c);
    const run = ok(
      await promote({ service: 'red', to: 'staging', version: '2.0.1', digest: d, 'source-commit': c }),
    );
    expect(run.outputs).toMatchObject({ version: '2.0.1', from: 'build', changed: 'true' });
    expect(git(origin, 'rev-parse', 'red/2.0.1^{commit}')).toBe(c);
  });
});
