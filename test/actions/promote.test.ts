/**
 * promote, the front door, run from its committed bundle as the runner runs it: real git (a bare
 * origin, checkouts), the embedded oci-layout registry, and one run against the real
 * docker-registry. Every refusal must leave origin and the registry exactly as they were.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OciLayoutRegistry, OciRegistry } from '@sd-actions/registry';
import {
  type ActionRun,
  buildImage,
  checkoutClone,
  commit,
  git,
  originAndClone,
  pushImage,
  pushTestImage,
  removeDir,
  runAction,
  startRegistry,
  tempDir,
} from '@sd-actions/testkit';

const SERVICES = [
  'blue',
  'green',
  ...Array.from({ length: 20 }, (_, i) => `svc${String(i + 1).padStart(2, '0')}`),
];

function config(registryDir: string): string {
  return `# promote test config
registry: { type: oci-layout, url: ${registryDir} }
services:
${SERVICES.map((s) => `  ${s}: { path: projects/${s}${s === 'blue' ? ', dependsOn: ["libs/{pay,bill}/**"]' : ''} }`).join('\n')}
environments:
  dev:        { branch: gitops/dev-auto-update, tags: [dev] }
  staging:    { from: dev, branch: gitops/staging-releases, tags: ["{version}"] }
  production: { from: staging, branch: gitops/production-releases, tags: ["{version}", prd], minSoak: 1h }
`;
}

let root: string;
let origin: string;
let work: string;
let registryDir: string;
let registry: OciLayoutRegistry;

/** Build a small real image for `service` at `sha` in the layout, as build-once-tag would. */
async function build(service: string, sha: string): Promise<string> {
  const image = buildImage({
    files: [{ path: `srv/${service}.txt`, data: Buffer.from(`${service} at ${sha}\n`) }],
  });
  return pushImage(registry, service, `sha-${sha.slice(0, 7)}`, image);
}

function promote(
  inputs: Record<string, string>,
  options: { workspace?: string; killWhenFile?: string; now?: Date } = {},
): Promise<ActionRun> {
  return runAction('promote', {
    actionDir: 'promote',
    workspace: options.workspace ?? work,
    inputs,
    event: 'workflow_dispatch',
    killWhenFile: options.killWhenFile,
    // The actions' clock, placed instead of waited for (minSoak).
    env: options.now ? { SD_ACTIONS_TEST_NOW: options.now.toISOString() } : undefined,
  });
}

function ok(run: ActionRun): ActionRun {
  if (run.code !== 0) throw new Error(`promote failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
  return run;
}

/** Everything a promotion can change: origin's refs and every registry tag. */
async function snapshot(): Promise<string> {
  const refs = git(origin, 'for-each-ref', '--format=%(refname) %(objectname)');
  const tags: string[] = [];
  for (const service of ['blue', 'green']) {
    for (const tag of (await registry.listTags(service)).sort())
      tags.push(`${service}:${tag}=${(await registry.resolve(service, tag))?.digest}`);
  }
  return `${refs}\n${tags.join('\n')}`;
}

function manifest(branch: string, env: string): string {
  return git(origin, 'show', `${branch}:release-manifests/${env}.yaml`);
}

let c1: string;
let d1: string;

/**
 * A new origin and registry with every service's first commit (c1) and blue's build of it (d1).
 * Each describe starts from one in its beforeAll, so no describe sees what another left behind.
 */
const roots: string[] = [];
async function freshWorld(): Promise<void> {
  root = tempDir('promote-');
  roots.push(root);
  registryDir = join(root, 'registry');
  registry = new OciLayoutRegistry(registryDir, { baseDir: root });
  ({ origin, work } = originAndClone(root));
  const files: Record<string, string> = { '.github/sd-actions.yml': config(registryDir) };
  for (const s of SERVICES) files[`projects/${s}/app.txt`] = `${s} 1\n`;
  c1 = commit(work, 'feat: first', files);
  git(work, 'push', '-q', 'origin', 'main');
  d1 = await build('blue', c1);
}

afterAll(() => roots.forEach(removeDir));

const hasRef = (ref: string) => git(origin, 'for-each-ref', ref) !== '';

/**
 * The states the chain's tests start from, each reached by the promotions the tests before it
 * make. Re-runs converge, so a test runs alone (`-t`) or after the others alike: what is already
 * there is left as it is.
 */
async function blueInDev(): Promise<void> {
  if (!hasRef('refs/heads/gitops/dev-auto-update'))
    ok(await promote({ service: 'blue', to: 'dev', digest: d1, 'source-commit': c1 }));
}
async function blueInStaging(): Promise<void> {
  await blueInDev();
  if (!hasRef('refs/tags/blue/1.6.0'))
    ok(await promote({ service: 'blue', to: 'staging', version: '1.6.0' }));
}
/** Blue 1.6.0 in production (past the soak), then 1.7.0 of a later commit (c4) in dev and staging. */
async function blueReleasedTwice(): Promise<void> {
  await blueInStaging();
  const reached = Date.parse(/promotedAt: (\S+)/.exec(manifest('gitops/staging-releases', 'staging'))![1]!);
  ok(await promote({ service: 'blue', to: 'production' }, { now: new Date(reached + 2 * 3600e3) }));
  const c4 = commit(work, 'feat(blue): second release', { 'projects/blue/app.txt': 'blue 4\n' });
  git(work, 'push', '-q', 'origin', 'main');
  const d4 = await build('blue', c4);
  ok(await promote({ service: 'blue', to: 'dev', digest: d4, 'source-commit': c4 }));
  ok(await promote({ service: 'blue', to: 'staging', version: '1.7.0' }));
}

describe('the promotion chain', () => {
  beforeAll(freshWorld);

  test('dev takes the build: manifest entry, the moving dev tag, no git tag', async () => {
    const run = ok(await promote({ service: 'blue', to: 'dev', digest: d1, 'source-commit': c1 }));
    expect(run.outputs).toMatchObject({
      version: `sha-${c1.slice(0, 7)}`,
      digest: d1,
      tag: '',
      changed: 'true',
      from: 'build',
      'previous-version': '',
    });
    expect(run.outputs['image-ref']).toBe(`${registryDir}/blue@${d1}`);
    expect(manifest('gitops/dev-auto-update', 'dev')).toContain(`version: sha-${c1.slice(0, 7)}`);
    expect((await registry.resolve('blue', 'dev'))?.digest).toBe(d1);
    expect(run.summary).toContain('What runs where');
    expect(run.summary).toMatch(/\| blue \| \*\*sha-/);
  });

  test('staging cuts 1.6.0: registry tag, manifest, git tag and release branch on the source commit', async () => {
    await blueInDev();
    const run = ok(await promote({ service: 'blue', to: 'staging', version: '1.6.0' }));
    expect(run.outputs).toMatchObject({
      version: '1.6.0',
      digest: d1,
      tag: 'blue/1.6.0',
      changed: 'true',
      from: 'dev',
      'previous-version': '',
    });
    expect((await registry.resolve('blue', '1.6.0'))?.digest).toBe(d1);
    expect(manifest('gitops/staging-releases', 'staging')).toMatch(
      /blue:\n {4}version: 1\.6\.0\n {4}image: .*\n {4}digest: sha256:/,
    );
    expect(git(origin, 'rev-parse', 'blue/1.6.0^{commit}')).toBe(c1);
    expect(git(origin, 'rev-parse', 'refs/heads/release/blue-1.6')).toBe(c1);
    const message = git(origin, 'log', '-1', '--format=%B', 'gitops/staging-releases');
    expect(message).toMatch(/^promote\(blue\): 1\.6\.0 to staging/);
    expect(message).toContain(`Sd-Digest: ${d1}`);
    expect(message).toContain('Sd-From-Environment: dev');
  });

  test('a re-run is a no-op that says so', async () => {
    await blueInStaging();
    const before = await snapshot();
    const run = ok(await promote({ service: 'blue', to: 'staging', version: '1.6.0' }));
    expect(run.outputs.changed).toBe('false');
    expect(run.stdout).toContain('Nothing changed');
    expect(await snapshot()).toBe(before);
  });

  test('production waits for the soak, then takes 1.6.0 from staging with the prd tag', async () => {
    await blueInStaging();
    const before = await snapshot();
    const reached = Date.parse(/promotedAt: (\S+)/.exec(manifest('gitops/staging-releases', 'staging'))![1]!);
    const early = await promote(
      { service: 'blue', to: 'production' },
      { now: new Date(reached + 10 * 60e3) },
    );
    expect(early.code).toBe(1);
    expect(early.annotations[0]?.message).toMatch(
      /\[min-soak\] blue reached staging 1\dm ago; production requires 1h/,
    );
    expect(await snapshot()).toBe(before);

    const run = ok(
      await promote({ service: 'blue', to: 'production' }, { now: new Date(reached + 2 * 3600e3) }),
    );
    expect(run.outputs).toMatchObject({ version: '1.6.0', digest: d1, from: 'staging', changed: 'true' });
    expect((await registry.resolve('blue', 'prd'))?.digest).toBe(d1);
    expect(manifest('gitops/production-releases', 'production')).toContain(`digest: ${d1}`);
  });

  test('dry-run shows the diff and changes nothing', async () => {
    await blueInStaging();
    const c2 = commit(work, 'fix(blue): rounding', { 'projects/blue/app.txt': 'blue 2\n' });
    git(work, 'push', '-q', 'origin', 'main');
    const d2 = await build('blue', c2);
    ok(await promote({ service: 'blue', to: 'dev', digest: d2, 'source-commit': c2 }));
    const before = await snapshot();
    const run = ok(await promote({ service: 'blue', to: 'staging', version: 'auto', 'dry-run': 'true' }));
    expect(run.outputs).toMatchObject({ version: '1.6.1', changed: 'false', commit: '' });
    expect(run.summary).toContain('```diff');
    expect(run.summary).toContain('+    version: 1.6.1');
    expect(await snapshot()).toBe(before);
  });

  test('version: auto bumps from conventional commits under the service since its last release', async () => {
    await blueInStaging();
    commit(work, 'feat(billing): shared invoices', { 'libs/bill/invoice.txt': 'invoice\n' });
    commit(work, 'feat(green)!: breaking green', { 'projects/green/app.txt': 'green 2\n' });
    const c4 = commit(work, 'docs: readme', { 'README.md': 'docs\n' });
    git(work, 'push', '-q', 'origin', 'main');
    const d4 = await build('blue', c4);
    ok(await promote({ service: 'blue', to: 'dev', digest: d4, 'source-commit': c4 }));
    const run = ok(await promote({ service: 'blue', to: 'staging', version: 'auto' }));
    // Since blue/1.6.0: a fix under projects/blue and a feat in libs/bill, which blue depends on through a
    // brace glob (the same rule as detection): minor. Green's breaking change does not count.
    expect(run.outputs.version).toBe('1.7.0');
    expect(run.summary).toContain('auto: minor bump from 1.6.0');
    expect(git(origin, 'rev-parse', 'blue/1.7.0^{commit}')).toBe(c4);
  });
});

describe('refusals change nothing', () => {
  beforeAll(async () => {
    await freshWorld();
    await blueReleasedTwice();
  });

  test.each([
    [
      { service: 'bleu', to: 'staging', version: '2.0.0' },
      'Input "service": "bleu" is not a service in .github/sd-actions.yml (did you mean "blue"?)',
    ],
    [{ service: '../x', to: 'staging', version: '2.0.0' }, 'Input "service": "../x" is not a service'],
    [
      { service: 'blue', to: 'prod', version: '2.0.0' },
      'Input "to": "prod" is not an environment in .github/sd-actions.yml (did you mean "production"?)',
    ],
    [
      { service: 'green', to: 'production' },
      'green has never been promoted to staging: promote it to staging first',
    ],
    [
      { service: 'blue', to: 'staging', from: 'staging', version: '2.0.0' },
      'Input "from": "staging" is the target environment itself',
    ],
    [
      { service: 'blue', to: 'staging', version: '1.0.0;rm -rf /' },
      'Input "version": "1.0.0;rm -rf /" is not valid',
    ],
    [
      { service: 'blue', to: 'staging', version: '1.5.0' },
      '[no-downgrade] blue in staging runs 1.7.0; 1.5.0 is lower',
    ],
    [{ service: 'blue', to: 'staging', version: '1.7.0', 'allow-downgrade': 'true' }, 'Nothing changed'],
    [
      { service: 'green', to: 'staging', version: '1.0.0' },
      '[artifact-in-from] green has no artifact in dev',
    ],
    [{ service: 'blue', to: 'dev' }, 'Input "digest": required to promote into dev, which is fed by builds'],
  ])('%j', async (inputs, message) => {
    const before = await snapshot();
    const run = await promote(inputs as Record<string, string>);
    if (message === 'Nothing changed') {
      expect(run.stdout).toContain(message);
    } else {
      expect(run.code).toBe(1);
      expect(run.annotations.filter((a) => a.level === 'error')).toHaveLength(1);
      expect(run.annotations.find((a) => a.level === 'error')?.message).toContain(message);
    }
    expect(await snapshot()).toBe(before);
  });

  test('an immutable version tag that moved elsewhere is refused before anything is written', async () => {
    // Someone pushed green:2.0.0 by hand; promoting another green digest as 2.0.0 must not move it.
    const cg = git(work, 'rev-parse', 'HEAD');
    const dg = await build('green', cg);
    const other = buildImage({ files: [{ path: 'x', data: Buffer.from('hand-made') }] });
    await pushImage(registry, 'green', '2.0.0', other);
    ok(await promote({ service: 'green', to: 'dev', digest: dg, 'source-commit': cg }));
    const before = await snapshot();
    // A dry run reaches the same verdict from the same plan, writing nothing either.
    for (const dryRun of ['true', 'false']) {
      const run = await promote({ service: 'green', to: 'staging', version: '2.0.0', 'dry-run': dryRun });
      expect(run.code).toBe(1);
      expect(run.annotations[0]?.message).toContain('immutable tag would move');
    }
    expect(await snapshot()).toBe(before);
  });

  test('a release tag that already names another commit is refused', async () => {
    // Someone tagged blue/1.9.0 by hand on the first commit; the artifact in dev was built elsewhere.
    git(work, 'push', '-q', 'origin', `${c1}:refs/tags/blue/1.9.0`);
    const before = await snapshot();
    const run = await promote({ service: 'blue', to: 'staging', version: '1.9.0' });
    expect(run.code).toBe(1);
    expect(run.annotations[0]?.message).toMatch(
      new RegExp(
        `\\[tag-matches-commit\\] git tag blue/1\\.9\\.0 already points at ${c1.slice(0, 12)}, but the artifact was built from [0-9a-f]{12}`,
      ),
    );
    expect(await snapshot()).toBe(before);
    git(work, 'push', '-q', 'origin', ':refs/tags/blue/1.9.0');
  });

  test('a manifest on the branch that is not valid YAML is a clear error', async () => {
    const scratch = join(root, 'corrupt');
    checkoutClone(origin, scratch, { ref: 'gitops/production-releases' });
    commit(scratch, 'corrupt by hand', { 'release-manifests/production.yaml': 'services: [broken\n' });
    git(scratch, 'push', '-q', 'origin', 'HEAD:gitops/production-releases');
    const before = await snapshot();
    const run = await promote({ service: 'blue', to: 'production', version: '1.7.0' });
    expect(run.code).toBe(1);
    expect(run.annotations[0]?.message).toMatch(
      /gitops\/production-releases:release-manifests\/production\.yaml.*(YAML|yaml)/,
    );
    expect(await snapshot()).toBe(before);
  });
});

describe('crash safety and concurrency', () => {
  beforeAll(freshWorld);

  test('killed after the retag and before the push, a re-run ends where an uninterrupted run would', async () => {
    const c5 = commit(work, 'fix(blue): crash test', { 'projects/blue/app.txt': 'blue 5\n' });
    git(work, 'push', '-q', 'origin', 'main');
    const d5 = await build('blue', c5);
    ok(await promote({ service: 'blue', to: 'dev', digest: d5, 'source-commit': c5 }));

    // The origin's pre-receive hook marks the moment the manifest push arrives, then refuses it.
    const marker = join(root, 'push-started');
    const hook = join(origin, 'hooks', 'pre-receive');
    writeFileSync(hook, `#!/bin/sh\ntouch '${marker}'\nsleep 2\nexit 1\n`);
    chmodSync(hook, 0o755);
    const killed = await promote(
      { service: 'blue', to: 'staging', version: '1.7.1' },
      { killWhenFile: marker },
    );
    expect(killed.code).toBe(137);
    expect(existsSync(marker)).toBe(true);
    // The retag had landed; nothing on origin had.
    expect((await registry.resolve('blue', '1.7.1'))?.digest).toBe(d5);
    expect(git(origin, 'tag', '--list', 'blue/1.7.1')).toBe('');
    await new Promise((r) => setTimeout(r, 2500));
    rmSync(hook);

    const rerun = ok(await promote({ service: 'blue', to: 'staging', version: '1.7.1' }));
    expect(rerun.outputs.changed).toBe('true');
    expect(manifest('gitops/staging-releases', 'staging')).toContain('version: 1.7.1');
    expect(manifest('gitops/staging-releases', 'staging')).toContain(`digest: ${d5}`);
    expect(git(origin, 'rev-parse', 'blue/1.7.1^{commit}')).toBe(c5);
    expect((await registry.resolve('blue', '1.7.1'))?.digest).toBe(d5);
    // And the run after that has nothing left to do.
    expect(ok(await promote({ service: 'blue', to: 'staging', version: '1.7.1' })).outputs.changed).toBe(
      'false',
    );
  });

  test('20 promotions of different services into one environment at once all land, linearly', async () => {
    const services = SERVICES.filter((s) => s.startsWith('svc'));
    const digests = await Promise.all(services.map((s) => build(s, c1)));
    const before = git(origin, 'rev-list', '--count', 'gitops/dev-auto-update');
    const runs = await Promise.all(
      services.map((s, i) => promote({ service: s, to: 'dev', digest: digests[i]!, 'source-commit': c1 })),
    );
    for (const run of runs) ok(run);
    expect(Number(git(origin, 'rev-list', '--count', 'gitops/dev-auto-update')) - Number(before)).toBe(20);
    expect(git(origin, 'rev-list', '--merges', 'gitops/dev-auto-update')).toBe('');
    const text = manifest('gitops/dev-auto-update', 'dev');
    services.forEach((s, i) =>
      expect(text).toContain(
        `  ${s}:\n    version: sha-${c1.slice(0, 7)}\n    image: ${registryDir}/${s}\n    digest: ${digests[i]}`,
      ),
    );
  });
});

describe('against a real docker-registry with basic auth', () => {
  test('build → dev → staging retags the same digest, and a refusal leaves the tag list unchanged', async () => {
    const server = await startRegistry({ auth: { username: 'ci', password: 's3cret-pw' } });
    const dir = tempDir('promote-oci-');
    try {
      const { work: repo } = originAndClone(dir);
      const source = commit(repo, 'feat: first', {
        '.github/sd-actions.yml': `registry: { type: oci, url: ${server.url}/acme, insecure: true }\nservices:\n  blue: { path: projects/blue }\n`,
        'projects/blue/app.txt': 'blue\n',
      });
      git(repo, 'push', '-q', 'origin', 'main');
      const { digest } = await pushTestImage(server, 'acme/blue', `sha-${source.slice(0, 7)}`, 'index');
      const creds = { 'registry-username': 'ci', 'registry-password': 's3cret-pw' };
      const direct = new OciRegistry(server.url, true, { credentials: server.auth });

      const dev = ok(
        await promote(
          { service: 'blue', to: 'dev', digest, 'source-commit': source, ...creds },
          { workspace: repo },
        ),
      );
      expect(dev.masked).toContain('s3cret-pw');
      expect(dev.stdout.replace(/^::add-mask::.*$/gm, '')).not.toContain('s3cret-pw');
      ok(await promote({ service: 'blue', to: 'staging', version: '2.0.0', ...creds }, { workspace: repo }));
      expect((await direct.resolve('acme/blue', 'dev'))?.digest).toBe(digest);
      expect((await direct.resolve('acme/blue', '2.0.0'))?.digest).toBe(digest);

      const tagsBefore = (await direct.listTags('acme/blue')).sort();
      const refused = await promote(
        { service: 'blue', to: 'staging', version: '1.0.0', ...creds },
        { workspace: repo },
      );
      expect(refused.code).toBe(1);
      expect((await direct.listTags('acme/blue')).sort()).toEqual(tagsBefore);
      const noCreds = await promote(
        { service: 'blue', to: 'staging', version: '2.0.1' },
        { workspace: repo },
      );
      expect(noCreds.code).toBe(1);
      expect(noCreds.annotations[0]?.message).toMatch(/401|UNAUTHORIZED|authentication/i);
      expect(noCreds.annotations[0]?.message).toContain(
        'the job needs `permissions: packages: write` (GHCR)',
      );
      expect(noCreds.annotations[0]?.message).toContain(
        'Nothing was changed; fix the permission and re-run.',
      );
    } finally {
      await server.stop();
      removeDir(dir);
    }
  });
});

describe('override-soak: an emergency skips the soak, on the record', () => {
  const refs = () => git(origin, 'for-each-ref', '--format=%(refname) %(objectname)');
  let reached: number;

  beforeAll(async () => {
    await freshWorld();
    // svc01 and svc02 in dev; svc01 just reached staging.
    for (const service of ['svc01', 'svc02']) {
      const digest = await build(service, c1);
      ok(await promote({ service, to: 'dev', digest, 'source-commit': c1 }));
    }
    ok(await promote({ service: 'svc01', to: 'staging', version: '1.0.0' }));
    const text = manifest('gitops/staging-releases', 'staging');
    reached = Date.parse(/svc01:\n(?: {4}.*\n)*? {4}promotedAt: (\S+)/.exec(text)![1]!);
  });

  test('without it, the refusal names the input and the setting that change the rule', async () => {
    const before = refs();
    const run = await promote({ service: 'svc01', to: 'production' }, { now: new Date(reached + 5 * 60e3) });
    expect(run.code).toBe(1);
    expect(run.annotations[0]?.message).toMatch(
      /\[min-soak\] svc01 reached staging 5m ago; production requires 1h \(minSoak\); in an emergency re-run with override-soak: true and a reason .*, or set soakPolicy: warn on environments\.production/,
    );
    expect(refs()).toBe(before);
  });

  test.each([
    [{ 'override-soak': 'true' }, /Input "reason" is required with "override-soak"/],
    [{ 'override-soak': 'true', reason: '   ' }, /Input "reason" is required with "override-soak"/],
    [{ reason: 'because' }, /Input "reason" is only used with "override-soak: true"/],
  ])('%o is refused before anything changes', async (inputs, message) => {
    const before = refs();
    const run = await promote(
      { service: 'svc01', to: 'production', ...inputs },
      { now: new Date(reached + 5 * 60e3) },
    );
    expect(run.code).toBe(1);
    expect(run.annotations[0]?.message).toMatch(message);
    expect(refs()).toBe(before);
  });

  test('with a reason: promoted, shown loudly, and the ledger commit carries Sd-Override trailers', async () => {
    const run = ok(
      await promote(
        {
          service: 'svc01',
          to: 'production',
          'override-soak': 'true',
          reason: 'INC-4711: payments down\n::error::not a command',
        },
        { now: new Date(reached + 5 * 60e3) },
      ),
    );
    expect(run.outputs).toMatchObject({ version: '1.0.0', changed: 'true' });
    expect(run.summary).toMatch(/^> \[!CAUTION\]\n> \*\*Policy overridden: min-soak\*\* by octo-tester/);
    expect(run.summary).toContain('Reason: INC-4711: payments down ::error::not a command');
    expect(run.annotations).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        message: expect.stringMatching(/^OVERRIDDEN by octo-tester \(min-soak\)/),
      }),
    );
    expect(run.annotations.filter((a) => a.level === 'error')).toEqual([]);
    const message = git(origin, 'log', '-1', '--format=%B', 'gitops/production-releases');
    expect(message).toMatch(/^promote\(svc01\): 1\.0\.0 to production/);
    expect(message).toContain('\nSd-Override: min-soak\n');
    // The last trailer: production is promoted from staging (gates to re-check), so no Sd-Change-Id (only promotions
    // into ungated entry environments combine their pushes).
    expect(message).toMatch(/\nSd-Override-Reason: INC-4711: payments down ::error::not a command$/);
    expect(
      git(
        origin,
        'log',
        '-1',
        '--format=%(trailers:key=Sd-Override,valueonly)',
        'gitops/production-releases',
      ),
    ).toBe('min-soak');
  });

  test('when the soak has passed, the override is not recorded', async () => {
    ok(await promote({ service: 'svc02', to: 'staging', version: '1.0.0' }));
    const run = ok(
      await promote(
        { service: 'svc02', to: 'production', 'override-soak': 'true', reason: 'just in case' },
        { now: new Date(Date.now() + 3 * 3600e3) },
      ),
    );
    expect(run.summary).not.toContain('Policy overridden');
    expect(git(origin, 'log', '-1', '--format=%B', 'gitops/production-releases')).not.toContain(
      'Sd-Override',
    );
  });
});

describe('a push the remote refuses', () => {
  beforeAll(freshWorld);

  test('names contents: write, says the registry tags already moved, and a re-run completes it', async () => {
    const hook = join(origin, 'hooks', 'pre-receive');
    writeFileSync(
      hook,
      '#!/bin/sh\necho "Permission to acme/monorepo.git denied to github-actions[bot]." >&2\nexit 1\n',
    );
    chmodSync(hook, 0o755);
    const sha = git(work, 'rev-parse', 'HEAD');
    const digest = await build('svc03', sha);
    const inputs = { service: 'svc03', to: 'dev', digest, 'source-commit': sha };
    try {
      const refused = await promote(inputs);
      expect(refused.code).toBe(1);
      const message = refused.annotations.find((a) => a.level === 'error')?.message ?? '';
      expect(message).toContain('the job token needs `permissions: contents: write`');
      expect(message).toContain(`Already changed: registry tags dev → ${digest}`);
      expect(message).toContain('re-run completes the promotion');
      expect((await registry.resolve('svc03', 'dev'))?.digest).toBe(digest);
    } finally {
      rmSync(hook);
    }
    const rerun = ok(await promote(inputs));
    expect(rerun.outputs.changed).toBe('true');
    expect(manifest('gitops/dev-auto-update', 'dev')).toContain(`digest: ${digest}`);
  });
});
