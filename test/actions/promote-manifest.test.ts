/**
 * promote-manifest, run from its committed bundle the way the runner runs it, against a real bare
 * origin: first promotions, no-ops, dry runs, bad input, hand-written manifests, deploy files,
 * 20 concurrent promotions and a real race with a conflicting promotion.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
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

const SERVICES = Array.from({ length: 20 }, (_, i) => `svc${String(i + 1).padStart(2, '0')}`);
const CONFIG = `registry: { type: oci, url: registry.example:5000/acme }
services:
  blue: { path: projects/blue }
  green: { path: projects/green }
  red: { path: projects/red }
${SERVICES.map((s) => `  ${s}: { path: projects/${s} }`).join('\n')}
environments:
  dev: { branch: gitops/dev-auto-update, tags: [dev] }
  staging: { from: dev, branch: gitops/staging-releases, tags: ["{version}"] }
  production: { from: staging, branch: gitops/production-releases, tags: ["{version}", prd] }
  qa: { from: dev, branch: gitops/qa }
  race: { from: dev, branch: gitops/race }
  many: { branch: gitops/many }
manifests: release-manifests/{environment}.yaml
`;

const digest = (c: string) => `sha256:${c.repeat(64)}`;
let root: string;
let origin: string;
let work: string;
let workspace: string;
let source: string;

function promote(
  inputs: Record<string, string>,
  options: { env?: Record<string, string> } = {},
): Promise<ActionRun> {
  return runAction('promote-manifest', {
    workspace,
    sha: source,
    inputs: { 'source-commit': source, ...inputs },
    env: { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', ...options.env },
  });
}

function ok(run: ActionRun): ActionRun {
  if (run.code !== 0) throw new Error(`action failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
  return run;
}

function errorOf(run: ActionRun): string {
  expect(run.code).toBe(1);
  const errors = run.annotations.filter((a) => a.level === 'error');
  expect(errors).toHaveLength(1);
  return errors[0]!.message;
}

const show = (branch: string, path: string) => git(origin, 'show', `${branch}:${path}`);
const lsRemote = () => git(root, 'ls-remote', origin);

beforeAll(() => {
  root = tempDir('promote-');
  ({ origin, work } = originAndClone(root));
  source = commit(work, 'initial', { '.github/sd-actions.yml': CONFIG, 'projects/blue/app.js': '1' });
  git(work, 'push', '-q', 'origin', 'main');
  workspace = checkoutClone(origin, join(root, 'checkout'), { depth: 1 });
});

afterAll(() => removeDir(root));

describe('first promotion and re-runs', () => {
  /**
   * What the first test leaves: blue sha-abc1234 in dev. The later tests start from it, making it
   * themselves when they run alone (`-t`); after the first test it is already there.
   */
  async function blueInDev(): Promise<void> {
    if (git(origin, 'for-each-ref', 'refs/heads/gitops/dev-auto-update') === '')
      ok(await promote({ service: 'blue', environment: 'dev', version: 'sha-abc1234', digest: digest('a') }));
  }

  test('creates the environment branch as an orphan holding only the manifest', async () => {
    const head = git(workspace, 'rev-parse', 'HEAD');
    const run = ok(
      await promote({ service: 'blue', environment: 'dev', version: 'sha-abc1234', digest: digest('a') }),
    );
    const branch = 'gitops/dev-auto-update';
    const tip = git(origin, 'rev-parse', branch);
    expect(run.outputs).toMatchObject({
      changed: 'true',
      created: 'true',
      commit: tip,
      branch,
      'manifest-path': 'release-manifests/dev.yaml',
      'previous-version': '',
      'previous-digest': '',
    });
    expect(git(origin, 'rev-list', '--count', branch)).toBe('1');
    expect(git(origin, 'ls-tree', '-r', '--name-only', branch)).toBe('release-manifests/dev.yaml');
    const manifest = parse(show(branch, 'release-manifests/dev.yaml'));
    expect(manifest).toEqual({
      environment: 'dev',
      services: {
        blue: {
          version: 'sha-abc1234',
          image: 'registry.example:5000/acme/blue',
          digest: digest('a'),
          commit: source,
          promotedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
          promotedBy: 'octo-tester',
        },
      },
    });
    expect(git(origin, 'log', '-1', '--format=%s%n%an <%ae>', branch)).toBe(
      'promote(blue): sha-abc1234 to dev\ngithub-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>',
    );
    expect(
      git(
        origin,
        'log',
        '-1',
        '--format=%(trailers:key=Sd-Version,valueonly)%(trailers:key=Sd-Run-Url,valueonly)',
        branch,
      ),
    ).toBe('sha-abc1234\nhttps://github.example/acme/monorepo/actions/runs/1234');
    expect(run.summary).toContain('| blue | dev | none → sha-abc1234 |');
    // The user's checkout is only read.
    expect(git(workspace, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(workspace, 'status', '--porcelain')).toBe('');
    expect(git(workspace, 'for-each-ref', '--format=%(refname)')).not.toContain('gitops');
  });

  test('a re-run is a no-op that says so', async () => {
    await blueInDev();
    const before = lsRemote();
    const run = ok(
      await promote({ service: 'blue', environment: 'dev', version: 'sha-abc1234', digest: digest('a') }),
    );
    expect(run.outputs).toMatchObject({ changed: 'false', commit: '', 'previous-version': 'sha-abc1234' });
    expect(run.summary).toContain('Already up to date');
    expect(run.stdout).toContain('already up to date');
    expect(lsRemote()).toBe(before);
  });

  test('a dry run shows the exact diff and pushes nothing', async () => {
    await blueInDev();
    const before = lsRemote();
    const run = ok(
      await promote({
        service: 'blue',
        environment: 'dev',
        version: 'sha-def5678',
        digest: digest('b'),
        'dry-run': 'true',
      }),
    );
    expect(run.outputs).toMatchObject({
      changed: 'true',
      commit: '',
      'previous-version': 'sha-abc1234',
      created: 'false',
    });
    expect(run.summary).toContain(
      '```diff\ndiff --git a/release-manifests/dev.yaml b/release-manifests/dev.yaml',
    );
    expect(run.summary).toContain('-    version: sha-abc1234\n+    version: sha-def5678\n');
    expect(run.summary).toContain(`-    digest: ${digest('a')}\n+    digest: ${digest('b')}\n`);
    expect(lsRemote()).toBe(before);
  });

  test('a second service is appended and the history stays linear', async () => {
    await blueInDev();
    const run = ok(
      await promote({ service: 'green', environment: 'dev', version: 'sha-1111111', digest: digest('c') }),
    );
    expect(run.outputs.changed).toBe('true');
    expect(run.outputs.created).toBe('false');
    const manifest = parse(show('gitops/dev-auto-update', 'release-manifests/dev.yaml'));
    expect(Object.keys(manifest.services)).toEqual(['blue', 'green']);
    expect(git(origin, 'rev-list', '--count', 'gitops/dev-auto-update')).toBe('2');
  });
});

describe('bad input changes nothing and says what is wrong', () => {
  beforeAll(() => {
    // A manifest on its branch that is not valid YAML.
    const clone = join(root, 'broken');
    git(root, 'clone', '-q', origin, clone);
    git(clone, 'checkout', '-q', '--orphan', 'gitops/qa');
    git(clone, 'rm', '-rq', '--cached', '.');
    rmSync(join(clone, '.github'), { recursive: true, force: true });
    rmSync(join(clone, 'projects'), { recursive: true, force: true });
    commit(clone, 'broken manifest', {
      'release-manifests/qa.yaml': 'environment: qa\nservices:\n  blue: [unclosed\n',
    });
    git(clone, 'push', '-q', 'origin', 'gitops/qa');
  });

  const good = { service: 'blue', environment: 'staging', version: '1.0.0', digest: digest('a') };
  test.each<[string, Record<string, string>, string | RegExp]>([
    [
      'unknown service',
      { service: 'purple' },
      'Input "service": "purple" is not a service in .github/sd-actions.yml',
    ],
    ['service ../x', { service: '../x' }, 'Input "service": "../x" is not a service'],
    [
      'unknown environment',
      { environment: 'stagin' },
      /Input "environment": "stagin" is not an environment.*\(did you mean "staging"\?\)/,
    ],
    ['invalid semver', { version: '1.0' }, 'Input "version": "1.0" is not valid; expected semver like 1.2.3'],
    ['shell metacharacters', { version: '1.0.0;rm -rf /' }, 'Input "version": "1.0.0;rm -rf /" is not valid'],
    ['bad digest', { digest: 'sha256:abc' }, 'Input "digest": "sha256:abc" is not valid'],
    [
      'short commit',
      { 'source-commit': 'abc1234' },
      'Input "source-commit": "abc1234" is not valid; expected a full 40-character commit SHA',
    ],
    [
      'bad files line',
      { files: '../etc/kustomization.yaml' },
      'Input "files": "../etc/kustomization.yaml" is not valid',
    ],
    [
      'bad committer',
      { committer: 'nobody' },
      'Input "committer": "nobody" is not valid; expected "Name <email>"',
    ],
    [
      'unknown remote',
      { remote: 'upstream' },
      'Input "remote": "upstream" is not a remote of the repository',
    ],
    [
      'manifest not valid YAML',
      { environment: 'qa' },
      /^gitops\/qa:release-manifests\/qa\.yaml: not valid YAML at line \d+, column \d+: /,
    ],
  ])('%s', async (_name, inputs, message) => {
    const before = lsRemote();
    const run = await promote({ ...good, ...inputs });
    expect(errorOf(run)).toMatch(
      typeof message === 'string'
        ? new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)
        : message,
    );
    expect(run.outputs.changed).toBeUndefined();
    expect(lsRemote()).toBe(before);
  });
});

describe('credentials', () => {
  test('the token is masked, sent as a header only, and never printed', async () => {
    git(workspace, 'remote', 'add', 'unreachable', 'https://127.0.0.1:9/acme/monorepo.git');
    const token = 'ghs_0123456789abcdefSECRET';
    const run = await promote({
      service: 'blue',
      environment: 'dev',
      version: '1.0.0',
      digest: digest('a'),
      remote: 'unreachable',
      token,
    });
    expect(errorOf(run)).toMatch(
      // The first fetch is the source commit's (checked before anything is written).
      /^Could not fetch (?:branch "gitops\/dev-auto-update"|commit [0-9a-f]{40}) from https:\/\/127\.0\.0\.1:9\/acme\/monorepo\.git: /,
    );
    const header = `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
    expect(run.masked).toEqual(expect.arrayContaining([token, header]));
    const printed = run.stdout.replace(/^::add-mask::.*$/gm, '') + run.stderr;
    expect(printed).not.toContain(token);
    expect(printed).not.toContain(Buffer.from(`x-access-token:${token}`).toString('base64'));
  });
});

describe('hand-written manifests and deploy files', () => {
  const MANIFEST = `# Production: humans edit this too.
environment: production   # do not rename
x-registry: &registry "registry.example:5000/acme/blue"

services:
  blue:
    image: *registry
    version:   '1.6.0'   # release train 42
    digest: "${digest('a')}"
    commit: SOURCE
    promotedAt: "2026-01-20T10:00:00Z"
    promotedBy: alice
  red: {version: 3.0.8, image: registry.example:5000/acme/red, digest: ${digest('b')}}
# end
`;
  const KUSTOMIZATION = `kind: Kustomization
images:
  - name: registry.example:5000/acme/blue
    newTag: 1.6.0 # managed
`;
  const VALUES = `blue:
  image:
    tag: "1.6.0"
`;

  beforeAll(() => {
    const clone = join(root, 'prod');
    git(root, 'clone', '-q', origin, clone);
    git(clone, 'checkout', '-q', '--orphan', 'gitops/production-releases');
    git(clone, 'rm', '-rq', '--cached', '.');
    commit(clone, 'hand-written', {
      '.github': null,
      projects: null,
      // The recorded source commit is a real one: promote-manifest checks origin has it.
      'release-manifests/production.yaml': MANIFEST.replace('SOURCE', source),
      'k8s/production/kustomization.yaml': KUSTOMIZATION,
      'charts/blue/values.yaml': VALUES,
    });
    git(clone, 'push', '-q', 'origin', 'gitops/production-releases');
  });

  test('only the changed fields change, comments, anchors and quoting stay', async () => {
    const run = ok(
      await promote({
        service: 'blue',
        environment: 'production',
        version: '1.6.1',
        digest: digest('a'),
        'source-commit': source,
        actor: 'alice',
        files: 'k8s/production/kustomization.yaml\ncharts/blue/values.yaml:blue.image.tag',
      }),
    );
    expect(run.outputs).toMatchObject({
      changed: 'true',
      'previous-version': '1.6.0',
      'previous-digest': digest('a'),
    });
    const branch = 'gitops/production-releases';
    const diff = git(
      origin,
      'diff',
      '--unified=0',
      `${branch}~1`,
      branch,
      '--',
      'release-manifests/production.yaml',
    );
    const changed = diff.split('\n').filter((l) => /^[-+][^-+]/.test(l));
    expect(changed).toEqual([
      "-    version:   '1.6.0'   # release train 42",
      "+    version:   '1.6.1'   # release train 42",
      '-    promotedAt: "2026-01-20T10:00:00Z"',
      expect.stringMatching(/^\+ {4}promotedAt: "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"$/),
    ]);
    expect(show(branch, 'k8s/production/kustomization.yaml')).toBe(
      // (git() trims the final newline)
      KUSTOMIZATION.replace('1.6.0 # managed', '1.6.1 # managed') + `    digest: ${digest('a')}`,
    );
    expect(show(branch, 'charts/blue/values.yaml')).toBe(VALUES.replace('1.6.0', '1.6.1').trimEnd());
    expect(git(origin, 'show', '--stat', '--format=', branch).split('\n').length).toBe(4);
    expect(
      git(
        origin,
        'log',
        '-1',
        '--format=%(trailers:key=Sd-From-Environment,valueonly)%(trailers:key=Sd-Previous-Version,valueonly)',
        branch,
      ),
    ).toBe('staging\n1.6.0');
  });
});

describe('concurrency', () => {
  test('20 promotions of different services into one environment at once all land, linearly', async () => {
    const runs = await Promise.all(
      SERVICES.map((service, i) =>
        promote({
          service,
          environment: 'many',
          version: `1.0.${i}`,
          digest: digest((i % 16).toString(16)),
          'push-attempts': '30',
        }),
      ),
    );
    for (const run of runs) ok(run);
    const branch = 'gitops/many';
    const manifest = parse(show(branch, 'release-manifests/many.yaml'));
    expect(Object.keys(manifest.services).sort()).toEqual(SERVICES);
    SERVICES.forEach((s, i) => expect(manifest.services[s].version).toBe(`1.0.${i}`));
    expect(git(origin, 'rev-list', '--merges', branch)).toBe('');
    expect(git(origin, 'rev-list', '--count', branch)).toBe('20');
    expect(git(origin, 'rev-list', '--max-parents=0', branch).split('\n')).toHaveLength(1);
    const trailers = git(
      origin,
      'log',
      '--format=%(trailers:key=Sd-Service,valueonly,separator=)|%(trailers:key=Sd-Version,valueonly,separator=)',
      branch,
    )
      .split('\n')
      .filter(Boolean)
      .sort();
    expect(trailers).toEqual(SERVICES.map((s, i) => `${s}|1.0.${i}`));
    expect(runs.filter((r) => r.outputs.created === 'true')).toHaveLength(1);
    expect(runs.some((r) => /moved .*redoing the edit/.test(r.stdout))).toBe(true);
  });
});

describe('a promotion racing another one', () => {
  const branch = 'gitops/race';
  const path = 'release-manifests/race.yaml';
  let clone: string;
  const hook = () => join(origin, 'hooks', 'pre-receive');

  beforeAll(async () => {
    ok(await promote({ service: 'blue', environment: 'race', version: '1.0.0', digest: digest('a') }));
    ok(await promote({ service: 'green', environment: 'race', version: '1.0.0', digest: digest('a') }));
    clone = join(root, 'race');
    git(root, 'clone', '-q', '--branch', branch, origin, clone);
  });

  afterAll(() => rmSync(hook(), { force: true }));

  /**
   * Prepare a competing commit (pushed to a side ref), and a pre-receive hook that moves the
   * branch to it once, while our push is in flight: the push then fails with "cannot lock ref".
   */
  function competingPromotion(edit: (text: string) => string): string {
    git(clone, 'fetch', '-q', 'origin', branch);
    git(clone, 'checkout', '-q', '-B', 'competing', `origin/${branch}`);
    const sha = commit(clone, 'promote by hand', { [path]: edit(git(clone, 'show', `HEAD:${path}`) + '\n') });
    git(clone, 'push', '-q', '-f', 'origin', 'competing:refs/heads/side/competing');
    const marker = join(root, `hook-fired-${sha}`);
    writeFileSync(
      hook(),
      `#!/bin/sh\ncat >/dev/null\nif [ ! -e '${marker}' ]; then\n  touch '${marker}'\n  env -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES git update-ref refs/heads/${branch} ${sha}\nfi\nexit 0\n`,
    );
    chmodSync(hook(), 0o755);
    return sha;
  }

  test('a concurrent edit of another service: the edit is redone on top and both land', async () => {
    const theirs = competingPromotion((t) => t.replace(/(green:\n {4}version: )1\.0\.0/, '$11.1.0'));
    const run = ok(
      await promote({ service: 'blue', environment: 'race', version: '1.1.0', digest: digest('b') }),
    );
    expect(run.stdout).toMatch(/moved .*cannot lock ref/);
    const tip = git(origin, 'rev-parse', branch);
    expect(run.outputs.commit).toBe(tip);
    expect(git(origin, 'rev-parse', `${branch}~1`)).toBe(theirs);
    const manifest = parse(show(branch, path));
    expect(manifest.services.blue.version).toBe('1.1.0');
    expect(manifest.services.green.version).toBe('1.1.0');
    expect(git(origin, 'rev-list', '--merges', branch)).toBe('');
  });

  test('a concurrent promotion of the same service is a clean error, never overwritten', async () => {
    const theirs = competingPromotion((t) => t.replace(/(blue:\n {4}version: )1\.1\.0/, '$19.9.9'));
    const run = await promote({
      service: 'blue',
      environment: 'race',
      version: '2.0.0',
      digest: digest('c'),
    });
    expect(errorOf(run)).toMatch(
      /^Conflict: services\.blue in gitops\/race:release-manifests\/race\.yaml changed while this promotion ran, from 1\.1\.0 \(sha256:b+\) to 9\.9\.9 \(sha256:b+\).*nothing was pushed/,
    );
    expect(git(origin, 'rev-parse', branch)).toBe(theirs);
    expect(parse(show(branch, path)).services.blue.version).toBe('9.9.9');
  });

  test('expected-previous-version is checked before anything is pushed', async () => {
    rmSync(hook(), { force: true });
    const before = lsRemote();
    const run = await promote({
      service: 'blue',
      environment: 'race',
      version: '2.0.0',
      digest: digest('c'),
      'expected-previous-version': '1.1.0',
    });
    expect(errorOf(run)).toContain('services.blue is 9.9.9 (sha256:');
    expect(errorOf(run)).toContain('but expected-previous-version is 1.1.0');
    expect(lsRemote()).toBe(before);
    ok(
      await promote({
        service: 'blue',
        environment: 'race',
        version: '2.0.0',
        digest: digest('c'),
        'expected-previous-version': '9.9.9',
      }),
    );
  });
});
