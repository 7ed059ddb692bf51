/**
 * rollback-service (issue 13), run from its built bundle as the runner runs it: a real bare origin
 * whose environment branch is the ledger (promotion and verification commits), the embedded
 * oci-layout registry, and the CodePipeline wire-level fake with the real SDK client. Every
 * refusal must leave origin and the registry exactly as they were.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { promotionMessage, verificationMessage, type VerificationResult } from '@sd-actions/core';
import { OciLayoutRegistry, OciRegistry, type BlobStore, type Registry } from '@sd-actions/registry';
import {
  buildImage,
  checkoutClone,
  commit,
  git,
  originAndClone,
  pushImage,
  removeDir,
  runAction,
  startAwsFakes,
  startRegistry,
  tempDir,
  type ActionRun,
  type AwsFakes,
  type RegistryServer,
} from '@sd-actions/testkit';

const BRANCH = 'gitops/production-releases';
const MANIFEST = 'release-manifests/production.yaml';
const GREEN = `sha256:${'e'.repeat(64)}`;

interface Step {
  version: string;
  verify?: VerificationResult;
}

interface World {
  root: string;
  origin: string;
  work: string;
  workspace: string;
  /** The image base (`<registryDir>/blue`): a directory, or host:port/acme on docker-registry. */
  registryDir: string;
  registry: Registry & BlobStore;
  /** The registry repository of blue ("blue" in the oci-layout, "acme/blue" on docker-registry). */
  repository: string;
  digests: Record<string, string>;
  /** The promotion commit of each version on the environment branch. */
  placed: Record<string, string>;
  source: string;
}

const worlds: World[] = [];
afterAll(() => worlds.forEach((w) => removeDir(w.root)));

/** A real docker-registry, started by the first test that asks for one. */
let server: RegistryServer | undefined;
afterAll(async () => server?.stop());

function config(registryDir: string): string {
  return `registry: { type: oci-layout, url: ${registryDir} }
services:
  blue: { path: projects/blue }
  green: { path: projects/green }
environments:
  staging: { branch: gitops/staging-releases, tags: ["{version}"] }
  production: { from: staging, branch: ${BRANCH}, tags: ["{version}", prd] }
`;
}

function manifestText(w: Pick<World, 'registryDir' | 'source'>, version: string, digest: string): string {
  return `# What runs in production (this comment stays)
environment: production
services:
  blue:
    version: ${version}
    image: ${w.registryDir}/blue
    digest: ${digest}
    commit: ${w.source}
  green:
    version: 2.0.0
    image: ${w.registryDir}/green
    digest: ${GREEN}
`;
}

/** A repository whose production branch has promoted `steps` in order (each with its verdict). */
async function world(
  steps: Step[],
  options: { config?: (registryDir: string) => string; dockerRegistry?: boolean } = {},
): Promise<World> {
  const root = tempDir('rollback-');
  let registryDir = join(root, 'registry');
  let registry: Registry & BlobStore = new OciLayoutRegistry(registryDir, { baseDir: root });
  let repository = 'blue';
  let configText = (options.config ?? config)(registryDir);
  if (options.dockerRegistry) {
    server ??= await startRegistry();
    // One repository per world on the shared server.
    const namespace = `acme${worlds.length}`;
    registryDir = `${server.url}/${namespace}`;
    registry = new OciRegistry(server.url, true);
    repository = `${namespace}/blue`;
    configText = config(registryDir).replace(
      /registry: \{[^}]*\}/,
      `registry: { type: oci, url: ${registryDir}, insecure: true }`,
    );
  }
  const { origin, work } = originAndClone(root);
  const source = commit(work, 'feat: first', {
    '.github/sd-actions.yml': configText,
    'projects/blue/app.txt': 'blue\n',
  });
  git(work, 'push', '-q', 'origin', 'main');
  const w: World = {
    root,
    origin,
    work,
    workspace: '',
    registryDir,
    registry,
    repository,
    digests: {},
    placed: {},
    source,
  };
  git(work, 'checkout', '-q', '--orphan', BRANCH);
  git(work, 'rm', '-rq', '--cached', '.');
  git(work, 'clean', '-fdq');
  for (const step of steps) await promoteStep(w, step);
  w.workspace = checkoutClone(origin, join(root, 'checkout'), { depth: 1 });
  worlds.push(w);
  return w;
}

/** Promote one more version on the production branch (as promote would), with its verdict. */
async function promoteStep(w: World, step: Step): Promise<void> {
  const { work, registry, registryDir, source, repository } = w;
  if (git(w.origin, 'branch', '--list', BRANCH) !== '') {
    git(work, 'fetch', '-q', 'origin', BRANCH);
    git(work, 'reset', '-q', '--hard', `origin/${BRANCH}`);
  }
  const previous = Object.keys(w.placed).at(-1);
  const image = buildImage({
    files: [{ path: 'srv/blue.txt', data: Buffer.from(`blue ${step.version}\n`) }],
  });
  const digest = await pushImage(registry, repository, step.version, image);
  await pushImage(registry, repository, 'prd', image);
  w.digests[step.version] = digest;
  w.placed[step.version] = commit(
    work,
    promotionMessage({
      service: 'blue',
      environment: 'production',
      version: step.version,
      previousVersion: previous,
      digest,
      image: `${registryDir}/blue`,
      sourceCommit: source,
      fromEnvironment: 'staging',
    }),
    { [MANIFEST]: manifestText(w, step.version, digest) },
  );
  if (step.verify)
    commit(
      work,
      verificationMessage({
        service: 'blue',
        environment: 'production',
        version: step.version,
        digest,
        verification: step.verify,
      }),
    );
  git(work, 'push', '-q', 'origin', `HEAD:refs/heads/${BRANCH}`);
}

let runs = 1000;

function rollback(
  w: World,
  inputs: Record<string, string> = {},
  env: Record<string, string> = {},
): Promise<ActionRun> {
  return runAction('rollback-service', {
    workspace: w.workspace,
    inputs: { service: 'blue', environment: 'production', ...inputs },
    event: 'workflow_dispatch',
    // Each call is its own workflow run unless a test says otherwise (a re-run keeps the run id).
    env: { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GITHUB_RUN_ID: String(++runs), ...env },
  });
}

function ok(run: ActionRun): ActionRun {
  if (run.code !== 0) throw new Error(`rollback-service failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
  return run;
}

function errorOf(run: ActionRun): string {
  expect(run.code).toBe(1);
  const errors = run.annotations.filter((a) => a.level === 'error');
  expect(errors).toHaveLength(1);
  return errors[0]!.message;
}

/** Everything a rollback can change: origin's refs and every registry tag. */
async function snapshot(w: World): Promise<string> {
  const refs = git(w.origin, 'for-each-ref', '--format=%(refname) %(objectname)');
  const tags: string[] = [];
  for (const tag of (await w.registry.listTags(w.repository)).sort())
    tags.push(`${tag}=${(await w.registry.resolve(w.repository, tag))?.digest}`);
  return `${refs}\n${tags.join('\n')}`;
}

const tip = (w: World) => git(w.origin, 'rev-parse', BRANCH);
const manifest = (w: World) => git(w.origin, 'show', `${BRANCH}:${MANIFEST}`);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const yaml = (w: World): any => parseDocument(manifest(w)).toJS();
const prd = async (w: World) => (await w.registry.resolve(w.repository, 'prd'))?.digest;

describe('rollback-service', () => {
  test.each(['oci-layout', 'docker-registry'])(
    'back to the last verified version, skipping an unverified one; one commit; quarantined (%s)',
    async (kind) => {
      const w = await world(
        [
          { version: '1.6.0', verify: 'healthy' },
          { version: '1.6.1', verify: 'healthy' },
          { version: '1.6.2' },
          { version: '1.7.0', verify: 'unhealthy' },
        ],
        { dockerRegistry: kind === 'docker-registry' },
      );
      const tags = async () => ({
        '1.6.1': (await w.registry.resolve(w.repository, '1.6.1'))?.digest,
        '1.7.0': (await w.registry.resolve(w.repository, '1.7.0'))?.digest,
      });
      const immutableBefore = await tags();
      const before = tip(w);
      const run = ok(await rollback(w, { reason: 'verify-deployment: unhealthy' }));
      expect(run.outputs).toEqual({
        'rolled-back': 'true',
        'rolled-back-to': '1.6.1',
        'rolled-back-from': '1.7.0',
        digest: w.digests['1.6.1'],
        commit: tip(w),
        quarantined: '1.7.0',
      });
      // One commit on top, linear, with the subject and trailers of the issue.
      expect(git(w.origin, 'rev-parse', `${BRANCH}~1`)).toBe(before);
      const message = git(w.origin, 'log', '-1', '--format=%B', BRANCH);
      expect(message.split('\n')[0]).toBe('rollback(blue): 1.7.0 → 1.6.1 in production');
      for (const line of [
        'Sd-Service: blue',
        'Sd-Environment: production',
        'Sd-Version: 1.6.1',
        'Sd-Previous-Version: 1.7.0',
        `Sd-Digest: ${w.digests['1.6.1']}`,
        'Sd-Rollback: true',
        'Sd-Rollback-Of: 1.7.0',
        'Sd-Reason: verify-deployment: unhealthy',
        'Sd-Actor: octo-tester',
      ])
        expect(message).toContain(line);
      expect(message).toMatch(/^Sd-Run-Url: https:\/\/github\.example\/acme\/monorepo\/actions\/runs\/\d+$/m);
      // The entry is restored, the quarantine recorded, everything else byte for byte.
      const m = yaml(w);
      expect(m.services.blue).toMatchObject({
        version: '1.6.1',
        digest: w.digests['1.6.1'],
        image: `${w.registryDir}/blue`,
        commit: w.source,
      });
      expect(m.quarantine.blue['1.7.0']).toMatchObject({
        digest: w.digests['1.7.0'],
        reason: 'verify-deployment: unhealthy',
      });
      expect(manifest(w)).toContain('# What runs in production (this comment stays)');
      expect(m.services.green).toEqual({ version: '2.0.0', image: `${w.registryDir}/green`, digest: GREEN });
      // The moving tag moved back; immutable tags untouched.
      expect(await prd(w)).toBe(w.digests['1.6.1']);
      expect(await tags()).toEqual(immutableBefore);
      // The summary says why this target and what was passed over.
      expect(run.summary).toContain('1.7.0 → 1.6.1');
      expect(run.summary).toMatch(/newest earlier version verified healthy/);
      expect(run.summary).toMatch(/1\.6\.2 \(never verified\)/);
      expect(run.summary).toMatch(/prd \(moved\)/);

      // A re-run (same from-version) changes nothing and succeeds.
      const after = await snapshot(w);
      const again = ok(
        await rollback(w, { reason: 'verify-deployment: unhealthy', 'from-version': '1.7.0' }),
      );
      expect(again.outputs).toMatchObject({
        'rolled-back': 'false',
        'rolled-back-to': '1.6.1',
        commit: '',
        quarantined: '',
      });
      expect(again.stdout).toMatch(/already rolled back to 1\.6\.1/);
      expect(await snapshot(w)).toBe(after);
      // "Re-run jobs" of the run that rolled back (same run id), without from-version: nothing to do,
      // rather than a second rollback further back.
      const runId = /actions\/runs\/(\d+)/.exec(message)![1]!;
      const rerun = ok(
        await rollback(w, { reason: 'verify-deployment: unhealthy' }, { GITHUB_RUN_ID: runId }),
      );
      expect(rerun.outputs).toMatchObject({
        'rolled-back': 'false',
        'rolled-back-to': '1.6.1',
        'rolled-back-from': '1.7.0',
      });
      expect(rerun.stdout).toMatch(/this run .* already rolled 1\.7\.0 back to 1\.6\.1/);
      expect(await snapshot(w)).toBe(after);
    },
  );

  test('to an explicit version; a version that never ran here is refused, nothing changed', async () => {
    const w = await world([{ version: '1.5.0' }, { version: '1.6.0' }, { version: '1.7.0' }]);
    const before = await snapshot(w);
    const never = await rollback(w, { 'to-version': '1.4.0' });
    expect(errorOf(never)).toMatch(/\[to-version-never-ran\].*1\.4\.0 never ran in production/);
    expect(await snapshot(w)).toBe(before);

    const run = ok(await rollback(w, { 'to-version': '1.5.0', quarantine: 'false' }));
    expect(run.outputs).toMatchObject({
      'rolled-back-to': '1.5.0',
      'rolled-back-from': '1.7.0',
      quarantined: '',
    });
    expect(yaml(w).services.blue.version).toBe('1.5.0');
    expect(yaml(w).quarantine).toBeUndefined();
    expect(run.summary).toMatch(/to-version given \(never verified here\)/);
  });

  test('no verified version → a clear error and nothing changed; allow-unverified takes one', async () => {
    const w = await world([{ version: '1.6.0' }, { version: '1.7.0', verify: 'unhealthy' }]);
    const before = await snapshot(w);
    const refused = await rollback(w);
    expect(errorOf(refused)).toMatch(
      /\[no-target\].*no earlier version verified healthy to roll back to from 1\.7\.0\. Passed over: 1\.6\.0 \(never verified\)\. Set allow-unverified: true/,
    );
    expect(await snapshot(w)).toBe(before);

    const dry = ok(await rollback(w, { 'allow-unverified': 'true', 'dry-run': 'true' }));
    expect(dry.outputs).toMatchObject({
      'rolled-back': 'true',
      'rolled-back-to': '1.6.0',
      'rolled-back-from': '1.7.0',
      digest: w.digests['1.6.0'],
      commit: '',
      quarantined: '1.7.0',
    });
    expect(dry.summary).toMatch(/Dry run: nothing was changed/);
    expect(dry.summary).toMatch(/UNVERIFIED/);
    expect(dry.summary).toMatch(/prd \(would move\)/);
    expect(await snapshot(w)).toBe(before);
  });

  test('a ledger digest that differs from the registry is refused, naming both', async () => {
    const w = await world([{ version: '1.6.0', verify: 'healthy' }, { version: '1.7.0' }]);
    // Someone pushed another image under 1.6.0 after it ran here.
    const other = await pushImage(
      w.registry,
      'blue',
      '1.6.0',
      buildImage({ files: [{ path: 'x', data: Buffer.from('impostor') }] }),
    );
    const before = await snapshot(w);
    const run = await rollback(w);
    expect(errorOf(run)).toContain(
      `blue 1.6.0 is ${other} in the registry but ran here as ${w.digests['1.6.0']} (ledger)`,
    );
    expect(await snapshot(w)).toBe(before);
  });

  test('a rollback of a rollback: refused within the cooldown when automatic, allowed outside it', async () => {
    const w = await world([
      { version: '1.5.0', verify: 'healthy' },
      { version: '1.6.0', verify: 'healthy' },
      { version: '1.7.0' },
    ]);
    ok(await rollback(w, { reason: 'alarm: 5xx rate' }));
    expect(yaml(w).services.blue.version).toBe('1.6.0');
    const before = await snapshot(w);
    const refused = await rollback(w, { reason: 'alarm: 5xx rate' });
    expect(errorOf(refused)).toMatch(/\[cooldown\].*within the cooldown \(30m\).*a person must decide/);
    expect(await snapshot(w)).toBe(before);

    // An hour later the same automatic rollback goes on to the next verified version.
    const later = new Date(Date.now() + 60 * 60 * 1000).toISOString();
    const run = ok(await rollback(w, { reason: 'alarm: 5xx rate' }, { SD_ACTIONS_TEST_NOW: later }));
    expect(run.outputs).toMatchObject({ 'rolled-back-to': '1.5.0', 'rolled-back-from': '1.6.0' });
    // A person's to-version overrides the cooldown at once (1.6.0 is quarantined now, so it must
    // also say allow-quarantined).
    const quarantined = await rollback(w, { reason: 'alarm', 'to-version': '1.6.0' });
    expect(errorOf(quarantined)).toMatch(/\[quarantine\].*1\.6\.0 .* is quarantined in production/);
    const person = ok(
      await rollback(w, { reason: 'alarm', 'to-version': '1.6.0', 'allow-quarantined': 'true' }),
    );
    expect(person.outputs).toMatchObject({ 'rolled-back-to': '1.6.0', 'rolled-back-from': '1.5.0' });
  });

  test('a promotion of the same service racing the rollback: a clean error, nothing lost', async () => {
    const w = await world([{ version: '1.6.0', verify: 'healthy' }, { version: '1.7.0' }]);
    // A competing promotion (1.7.1), pushed to a side ref; the origin's hook moves the branch to it
    // once, while the rollback's push is in flight.
    const clone = join(w.root, 'race');
    git(w.root, 'clone', '-q', '--branch', BRANCH, w.origin, clone);
    const theirs = commit(clone, 'promote 1.7.1 by hand', {
      [MANIFEST]: manifest(w).replace('version: 1.7.0', 'version: 1.7.1') + '\n',
    });
    git(clone, 'push', '-q', 'origin', `HEAD:refs/heads/side/competing`);
    const marker = join(w.root, 'hook-fired');
    const hook = join(w.origin, 'hooks', 'pre-receive');
    writeFileSync(
      hook,
      `#!/bin/sh\ncat >/dev/null\nif [ ! -e '${marker}' ]; then\n  touch '${marker}'\n  env -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES git update-ref refs/heads/${BRANCH} ${theirs}\nfi\nexit 0\n`,
    );
    chmodSync(hook, 0o755);
    const run = await rollback(w);
    expect(errorOf(run)).toMatch(
      /^Conflict: services\.blue in gitops\/production-releases:release-manifests\/production\.yaml changed while this rollback ran, from 1\.7\.0 .* to 1\.7\.1 .*nothing was pushed/,
    );
    rmSync(hook);
    expect(tip(w)).toBe(theirs);
    expect(yaml(w).services.blue.version).toBe('1.7.1');
  });

  test('killed after the retag, before the push: the re-run converges', async () => {
    const w = await world([{ version: '1.6.0', verify: 'healthy' }, { version: '1.7.0' }]);
    const before = tip(w);
    const hook = join(w.origin, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\ncat >/dev/null\nexit 1\n');
    chmodSync(hook, 0o755);
    const failed = await rollback(w);
    expect(errorOf(failed)).toMatch(/push to branch .* was refused/);
    // The retag landed; nothing on origin did.
    expect(await prd(w)).toBe(w.digests['1.6.0']);
    expect(tip(w)).toBe(before);
    rmSync(hook);

    const rerun = ok(await rollback(w));
    expect(rerun.outputs).toMatchObject({ 'rolled-back': 'true', 'rolled-back-to': '1.6.0' });
    expect(rerun.summary).toMatch(/prd \(already there\)/);
    expect(git(w.origin, 'rev-parse', `${BRANCH}~1`)).toBe(before);
    expect(yaml(w).services.blue.version).toBe('1.6.0');
  });

  test('bad input is refused before anything is read or changed', async () => {
    const w = await world([{ version: '1.6.0', verify: 'healthy' }, { version: '1.7.0' }]);
    const before = await snapshot(w);
    expect(errorOf(await rollback(w, { cooldown: 'soon' }))).toMatch(
      /Input "cooldown": "soon" is not a duration/,
    );
    expect(errorOf(await rollback(w, { 'to-version': 'latest' }))).toMatch(/to-version/);
    expect(errorOf(await rollback(w, { 'from-version': '1.6.0' }))).toMatch(
      /\[from-version\].*runs 1\.7\.0.*not 1\.6\.0/,
    );
    expect(await snapshot(w)).toBe(before);
  });
});

describe('CodePipeline RollbackStage', () => {
  let aws: AwsFakes;
  beforeAll(async () => {
    aws = await startAwsFakes();
  });
  afterAll(async () => {
    await aws.stop();
  });

  const cpConfig = (registryDir: string) =>
    config(registryDir).replace(
      `tags: ["{version}", prd] }`,
      `tags: ["{version}", prd], verify: { codepipeline: { pipeline: "{service}-prod", stage: Deploy } } }`,
    );

  async function cpWorld(): Promise<World> {
    const w = await world([{ version: '1.6.0', verify: 'healthy' }, { version: '1.7.0' }]);
    git(w.work, 'checkout', '-q', 'main');
    commit(w.work, 'pipeline config', { '.github/sd-actions-cp.yml': cpConfig(w.registryDir) });
    git(w.work, 'push', '-q', 'origin', 'main');
    rmSync(w.workspace, { recursive: true, force: true });
    w.workspace = checkoutClone(w.origin, w.workspace, { depth: 1 });
    aws.codepipeline.addPipeline('blue-prod', [
      { name: 'Source', actions: ['Source'] },
      { name: 'Deploy', actions: ['Deploy'] },
    ]);
    return w;
  }

  test('after the GitOps rollback, the stage goes back to the execution of the target commit', async () => {
    const w = await cpWorld();
    aws.codepipeline.reset();
    const good = aws.codepipeline.addExecution('blue-prod', {
      status: 'Succeeded',
      revision: w.placed['1.6.0'],
    });
    aws.codepipeline.addExecution('blue-prod', { status: 'Succeeded', revision: w.placed['1.7.0'] });
    const run = ok(await rollback(w, { config: '.github/sd-actions-cp.yml' }, aws.env()));
    expect(aws.codepipeline.callsOf('RollbackStage').map((c) => c.body)).toEqual([
      { pipelineName: 'blue-prod', stageName: 'Deploy', targetPipelineExecutionId: good },
    ]);
    expect(run.summary).toContain(`rolled back to execution ${good}`);
  });

  test('no matching execution, or a ConflictException: a clear error after the rollback landed', async () => {
    const w = await cpWorld();
    aws.codepipeline.addExecution('blue-prod', { status: 'Succeeded', revision: w.placed['1.7.0'] });
    const none = await rollback(w, { config: '.github/sd-actions-cp.yml' }, aws.env());
    expect(errorOf(none)).toMatch(
      /The GitOps rollback of blue to 1\.6\.0 in production landed \(.*\), but CodePipeline "blue-prod" stage "Deploy" was not rolled back: no execution .* succeeded in stage "Deploy"/,
    );
    expect(yaml(w).services.blue.version).toBe('1.6.0');

    const w2 = await cpWorld();
    aws.codepipeline.addExecution('blue-prod', { status: 'Succeeded', revision: w2.placed['1.6.0'] });
    aws.codepipeline.fail('RollbackStage', 'ConflictException', 1);
    const conflict = await rollback(w2, { config: '.github/sd-actions-cp.yml' }, aws.env());
    expect(errorOf(conflict)).toMatch(/landed .* was not rolled back: .*execution in progress/);
    expect(yaml(w2).services.blue.version).toBe('1.6.0');
  });
});

describe('with verdicts recorded by the real verify-deployment bundle', () => {
  let server: Server;
  let base: string;
  let reports = { version: '1.6.0', status: 'UP' };
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reports));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('healthy 1.6.0, unhealthy 1.7.0 (both measured): the rollback goes to 1.6.0', async () => {
    const verifyConfig = (registryDir: string) =>
      config(registryDir)
        .replace(
          '  blue: { path: projects/blue }',
          `  blue:\n    path: projects/blue\n    verify:\n      http:\n        - { url: "${base}/health", version: $.version, conditions: ['$.status == "UP"'] }`,
        )
        .replace(
          `tags: ["{version}", prd] }`,
          `tags: ["{version}", prd], verify: { interval: 100ms, count: 2 } }`,
        );
    const w = await world([{ version: '1.6.0' }], { config: verifyConfig });

    const verify = () =>
      runAction('verify-deployment', {
        workspace: w.workspace,
        inputs: { service: 'blue', environment: 'production' },
        env: { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
      });
    reports = { version: '1.6.0', status: 'UP' };
    expect((await verify()).outputs.result).toBe('healthy');
    await promoteStep(w, { version: '1.7.0' });
    reports = { version: '1.7.0', status: 'DOWN' };
    expect((await verify()).outputs.result).toBe('unhealthy');

    const run = ok(await rollback(w, { reason: 'verify-deployment: unhealthy', 'from-version': '1.7.0' }));
    expect(run.outputs).toMatchObject({ 'rolled-back-to': '1.6.0', quarantined: '1.7.0' });
    const verdict = git(w.origin, 'log', '--format=%H %s', BRANCH)
      .split('\n')
      .find((l) => l.endsWith('verify(blue): 1.6.0 healthy in production'))!;
    expect(run.summary).toContain(`newest earlier version verified healthy (${verdict.slice(0, 12)}`);
  });
});
