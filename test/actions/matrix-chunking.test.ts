/**
 * The 256-job matrix (issue 10): a shared-path change in a 2,000-service monorepo, through the
 * bundles as release-dev.yml wires them. detect's matrix stays within max-jobs (balanced chunks,
 * every service once); each chunk's build-once-tag `services` → its `digests` → promote
 * `services`/`digests` lands the chunk in dev as one commit per service, in one push. Below the
 * limit the matrix output is unchanged. Real git, the oci-layout registry, the built bundles.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parsePromotionMessage } from '@sd-actions/core';
import { OciLayoutRegistry } from '@sd-actions/registry';
import {
  buildImage,
  commit,
  git,
  originAndClone,
  pushImage,
  removeDir,
  ROOT,
  runAction,
  tempDir,
  timeBudget,
  type ActionRun,
} from '@sd-actions/testkit';

/** Services: the issue's scale, for detect and end to end. */
const COUNT = 2000;
/** End to end, the chunks run one after another: few enough to keep the process count low. */
const E2E_MAX_JOBS = 8;
const names = (count: number) => Array.from({ length: count }, (_, i) => `s${String(i).padStart(4, '0')}`);
const NAMES = names(COUNT);
/** Not pre-seeded: build-once-tag really builds these (our sample builder). */
const BUILT = ['s0003', 's0077', 's0239', 's1999'];
const SAMPLE_BUILD = `node --import ${JSON.stringify(`file://${ROOT}/node_modules/tsx/dist/loader.mjs`)} ${JSON.stringify(join(ROOT, 'packages/testkit/src/bin/build-sample-image.ts'))}`;
const DEV = 'gitops/dev-auto-update';

let root: string;

interface Monorepo {
  origin: string;
  work: string;
  registryDir: string;
  initial: string;
  head: string;
  names: string[];
}

/**
 * A monorepo of `count` services sharing libs/common, and a push changing only the shared path.
 * The build tag of every service but BUILT is pre-seeded (build-once-tag's "already built" path):
 * one image pushed, its oci-layout directory copied per service.
 */
async function monorepo(name: string, count: number): Promise<Monorepo> {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const { origin, work } = originAndClone(dir);
  const registryDir = join(dir, 'registry');
  const all = names(count);
  const config = [
    `registry: { type: oci-layout, url: ${registryDir} }`,
    'shared: ["libs/common/**"]',
    'services:',
    ...all.map((n) => `  ${n}: { path: svc/${n} }`),
    'environments:',
    `  dev: { branch: ${DEV}, tags: [dev] }`,
    '',
  ].join('\n');
  const files: Record<string, string> = { '.github/sd-actions.yml': config, 'libs/common/util.js': 'v1\n' };
  for (const n of all) files[`svc/${n}/app.txt`] = `${n}\n`;
  const initial = commit(work, 'initial', files);
  const head = commit(work, 'shared change', { 'libs/common/util.js': 'v2\n' });
  git(work, 'push', '-q', 'origin', 'main');
  const registry = new OciLayoutRegistry(registryDir, { baseDir: dir });
  const image = buildImage({ files: [{ path: 'app.txt', data: Buffer.from('seed\n') }] });
  await pushImage(registry, 'seed', `sha-${head.slice(0, 7)}`, image);
  for (const n of all)
    if (!BUILT.includes(n)) cpSync(join(registryDir, 'seed'), join(registryDir, n), { recursive: true });
  return { origin, work, registryDir, initial, head, names: all };
}

function ok(run: ActionRun, what: string): ActionRun {
  if (run.code !== 0)
    throw new Error(`${what} failed (${run.code}):\n${run.stdout.slice(-4000)}\n${run.stderr}`);
  return run;
}

function detect(repo: Monorepo, inputs: Record<string, string>): Promise<ActionRun> {
  return runAction('detect-changed-service', {
    workspace: repo.work,
    inputs: { base: repo.initial, ...inputs },
    event: 'push',
    sha: repo.head,
    ref: 'refs/heads/main',
  });
}

interface Chunk {
  chunk: string;
  services: string;
}

beforeAll(() => {
  root = tempDir('matrix-chunking-');
});

afterAll(() => removeDir(root));

describe('detect: the matrix within max-jobs', () => {
  let repo: Monorepo;
  beforeAll(async () => {
    repo = await monorepo('detect', COUNT);
  });

  test('a shared-path change at 2,000 services: at most 256 balanced chunks, every service once', async () => {
    const run = ok(await detect(repo, {}), 'detect');
    expect(run.outputs.chunked).toBe('true');
    expect(JSON.parse(run.outputs.services!)).toHaveLength(COUNT);
    const include = (JSON.parse(run.outputs.matrix!) as { include: Chunk[] }).include;
    expect(include).toHaveLength(256);
    expect(include.map((e) => e.chunk)).toEqual(include.map((_, i) => `${i + 1}-of-256`));
    const sizes = include.map((e) => (JSON.parse(e.services) as string[]).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(include.flatMap((e) => JSON.parse(e.services) as string[])).toEqual(NAMES);
    expect(run.summary).toMatch(/The matrix is chunked: 2000 changed services are more than max-jobs \(256/);
  });

  test('at or below the limit the matrix output is what it always was', async () => {
    const legacy = (names: string[]) =>
      JSON.stringify({
        include: names.map((n) => ({ service: n, path: `svc/${n}`, image: `${repo.registryDir}/${n}` })),
      });
    const picked = ['s0001', 's0002', 's0042'];
    for (const maxJobs of [undefined, '3']) {
      const run = ok(
        await detect(repo, { services: picked.join('\n'), ...(maxJobs ? { 'max-jobs': maxJobs } : {}) }),
        'detect',
      );
      expect(run.outputs.matrix).toBe(legacy(picked));
      expect(run.outputs.chunked).toBe('false');
      expect(run.summary).not.toMatch(/chunked/);
    }
  });

  test.each(['0', '257', 'many'])('max-jobs %p is refused, naming the range', async (value) => {
    const run = await detect(repo, { 'max-jobs': value });
    expect(run.code).toBe(1);
    expect(run.annotations.map((a) => a.message).join('\n')).toMatch(
      new RegExp(`Input "max-jobs".*${value}.*from 1 to 256`),
    );
  });
});

// At 2,000 services: promote's batch parses the manifest once per attempt (promoteManyInManifest),
// so landing 2,000 entries one commit each is linear in parsing.
describe('end to end: detect → build-once-tag services → promote services/digests', () => {
  let repo: Monorepo;
  beforeAll(async () => {
    repo = await monorepo('e2e', COUNT);
  });

  test('dev ends with all 2,000 services at the commit, one commit per service, linear', async () => {
    const { work, head, origin } = repo;
    const started = performance.now();
    const budget = timeBudget(100);
    const matrix = ok(await detect(repo, { 'max-jobs': String(E2E_MAX_JOBS) }), 'detect');
    expect(matrix.outputs.chunked).toBe('true');
    const include = (JSON.parse(matrix.outputs.matrix!) as { include: Chunk[] }).include;
    expect(include).toHaveLength(E2E_MAX_JOBS);
    const allDigests: Record<string, string> = {};
    for (const entry of include) {
      // As the workflow passes them: `service` from the matrix is empty for a chunk.
      const built = ok(
        await runAction('build-once-tag', {
          workspace: work,
          sha: head,
          inputs: { service: '', services: entry.services, 'build-command': SAMPLE_BUILD },
        }),
        `build-once-tag ${entry.chunk}`,
      );
      const digests = JSON.parse(built.outputs.digests!) as Record<string, string>;
      expect(Object.keys(digests)).toEqual(JSON.parse(entry.services));
      Object.assign(allDigests, digests);
      ok(
        await runAction('promote', {
          actionDir: 'promote',
          workspace: work,
          sha: head,
          event: 'push',
          inputs: {
            service: '',
            services: entry.services,
            to: 'dev',
            digest: built.outputs.digest ?? '',
            digests: built.outputs.digests!,
            'source-commit': head,
            deployments: 'false',
          },
        }),
        `promote ${entry.chunk}`,
      );
    }
    // Pre-seeded services share the seed image; the really built ones have their own.
    const seed = allDigests.s0000!;
    for (const n of BUILT) expect(allDigests[n]).not.toBe(seed);
    expect(Object.values(allDigests).filter((d) => d === seed)).toHaveLength(COUNT - BUILT.length);
    const manifest = git(origin, 'show', `${DEV}:release-manifests/dev.yaml`);
    for (const [n, d] of Object.entries(allDigests))
      expect(manifest.slice(manifest.indexOf(`  ${n}:\n`)).split('\n')[3]).toBe(`    digest: ${d}`);
    for (const n of repo.names) expect(manifest).toContain(`  ${n}:\n`);
    expect(manifest.match(new RegExp(`commit: ${head}`, 'g'))).toHaveLength(COUNT);
    // One commit per service, each with a single parent, carrying the single promotion's trailers.
    const log = git(origin, 'log', '--format=%P%x00%B%x1e', DEV)
      .split('\x1e')
      .map((r) => r.trim())
      .filter(Boolean);
    expect(log).toHaveLength(COUNT);
    const records = log.map((r) => {
      const [parents, message] = r.split('\0');
      expect((parents ?? '').split(' ').filter(Boolean).length).toBeLessThanOrEqual(1);
      return parsePromotionMessage(message!);
    });
    expect(records.map((r) => r?.service).sort()).toEqual(repo.names);
    expect(records[0]).toMatchObject({
      environment: 'dev',
      sourceCommit: head,
      version: `sha-${head.slice(0, 7)}`,
    });
    // The really built services carry their own digests; a re-run converges without a commit.
    const again = ok(
      await runAction('promote', {
        actionDir: 'promote',
        workspace: work,
        sha: head,
        inputs: {
          services: include[0]!.services,
          to: 'dev',
          digests: JSON.stringify(
            Object.fromEntries(
              (JSON.parse(include[0]!.services) as string[]).map((n) => [
                n,
                /digest: (sha256:[0-9a-f]{64})/.exec(manifest.slice(manifest.indexOf(`  ${n}:\n`)))![1],
              ]),
            ),
          ),
          'source-commit': head,
          deployments: 'false',
        },
      }),
      'promote re-run',
    );
    expect(again.outputs.changed).toBe('false');
    expect(git(origin, 'rev-list', '--count', DEV)).toBe(String(COUNT));
    expect(git(origin, 'rev-list', '--merges', '--count', DEV)).toBe('0');
    // Scaled to the machine's load now: well under 2 minutes on an idle 2-core machine.
    expect((performance.now() - started) / 1000).toBeLessThan(budget);
  });
});

describe('a chunk: failures and refusals', () => {
  let repo: Monorepo;
  beforeAll(async () => {
    repo = await monorepo('failures', 6);
  });

  test('build-once-tag: one failing service does not stop the others; the step names it', async () => {
    const run = await runAction('build-once-tag', {
      workspace: repo.work,
      sha: repo.initial,
      inputs: {
        services: '["s0001","s0002","s0004"]',
        'build-command': `test "$SERVICE" != s0002 && ${SAMPLE_BUILD}`,
      },
    });
    expect(run.code).toBe(1);
    expect(Object.keys(JSON.parse(run.outputs.digests!) as object)).toEqual(['s0001', 's0004']);
    const errors = run.annotations.filter((a) => a.level === 'error').map((a) => a.message);
    expect(errors.at(-1)).toMatch(/1 of 3 services failed: s0002/);
    expect(run.summary).toMatch(/\| s0002 \|.*failed/);
  });

  test.each([
    [{ service: 's0001', services: '["s0002"]' }, /Inputs "service" and "services" were both given/],
    [{ service: '', services: '' }, /Input "service" or "services" is required/],
    [{ services: '["s0001","nope"]' }, /Input "services": "nope" is not a service/],
  ])('build-once-tag refuses %p', async (inputs, message) => {
    const run = await runAction('build-once-tag', { workspace: repo.work, sha: repo.head, inputs });
    expect(run.code).toBe(1);
    expect(run.annotations.map((a) => a.message).join('\n')).toMatch(message);
  });

  test('promote refuses the whole chunk, changing nothing, when one digest is not in the registry', async () => {
    const refs = git(repo.origin, 'for-each-ref');
    const good = `sha256:${'0'.repeat(64)}`;
    const run = await runAction('promote', {
      actionDir: 'promote',
      workspace: repo.work,
      sha: repo.head,
      inputs: {
        services: '["s0000","s0001"]',
        digests: JSON.stringify({ s0000: good, s0001: good }),
        to: 'dev',
        'source-commit': repo.head,
        deployments: 'false',
      },
    });
    expect(run.code).toBe(1);
    expect(run.annotations.map((a) => a.message).join('\n')).toMatch(
      /refused, nothing was changed: not in the oci-layout registry: .*s0000@sha256:0+, .*s0001@/,
    );
    expect(git(repo.origin, 'for-each-ref')).toBe(refs);
    const missing = await runAction('promote', {
      actionDir: 'promote',
      workspace: repo.work,
      sha: repo.head,
      inputs: {
        services: '["s0000","s0001"]',
        digests: JSON.stringify({ s0000: good }),
        to: 'dev',
        'source-commit': repo.head,
      },
    });
    expect(missing.annotations.map((a) => a.message).join('\n')).toMatch(
      /Input "digests": no digest for "s0001"/,
    );
  });
});
