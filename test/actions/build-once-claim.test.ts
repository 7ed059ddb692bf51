/**
 * build-once-tag under concurrency (issue 8 item 8), through the committed bundle: the build is
 * guarded by a claim ref on a real git origin, the images go to a real docker-registry.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClaimStore } from '@sd-actions/git';
import { OciRegistry } from '@sd-actions/registry';
import {
  git,
  removeDir,
  ROOT,
  runAction,
  startRegistry,
  tempDir,
  writeFiles,
  type ActionRun,
  type RegistryServer,
  type RunOptions,
} from '@sd-actions/testkit';

const SAMPLE_BUILD = `node --import ${JSON.stringify(`file://${ROOT}/node_modules/tsx/dist/loader.mjs`)} ${JSON.stringify(join(ROOT, 'packages/testkit/src/bin/build-sample-image.ts'))}`;
const T0 = '2026-11-27T08:00:00Z';

let server: RegistryServer;
let registry: OciRegistry;
let root: string;
let n = 0;

beforeAll(async () => {
  root = tempDir('bot-claim-');
  server = await startRegistry();
  registry = new OciRegistry(`${server.url}/acme`, true);
});
afterAll(async () => {
  await server?.stop();
  removeDir(root);
});

/** A bare origin and `count` checkouts of it whose builds differ (so two builds = two digests). */
function setup(count: number): { origin: string; checkouts: string[]; sha: string; tag: string } {
  const id = ++n;
  const origin = join(root, `origin-${id}.git`);
  git(root, 'init', '-q', '--bare', origin);
  const checkouts = Array.from({ length: count }, (_, i) => {
    const dir = join(root, `ws-${id}-${i}`);
    writeFiles(dir, {
      '.github/sd-actions.yml': `registry: { type: oci, url: "${server.url}/acme", insecure: true }\nservices:\n  blue: { path: projects/blue }\n`,
      'projects/blue/app.txt': `blue built in checkout ${i} of setup ${id}\n`,
    });
    git(dir, 'init', '-q');
    git(dir, 'remote', 'add', 'origin', origin);
    return dir;
  });
  const sha = `${String(id).padStart(7, '0')}${'e'.repeat(33)}`;
  return { origin, checkouts, sha, tag: `sha-${sha.slice(0, 7)}` };
}

const claimRefs = (origin: string) =>
  git(origin, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/sd-actions/');

function run(ws: string, sha: string, inputs: Record<string, string>, options: Partial<RunOptions> = {}) {
  return runAction('build-once-tag', {
    workspace: ws,
    sha,
    inputs: { service: 'blue', ...inputs },
    githubToken: 'ghs_job-token-for-claims',
    ...options,
  });
}

function ok(r: ActionRun): ActionRun {
  if (r.code !== 0) throw new Error(`action failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

const warnings = (r: ActionRun) => r.annotations.filter((a) => a.level === 'warning');

describe('build-once-tag claims the build on origin', () => {
  test('two runs for one commit started together: exactly one build, one digest, the tag set once', async () => {
    const { origin, checkouts, sha, tag } = setup(2);
    const traces = checkouts.map((_, i) => join(root, `trace-${n}-${i}`));
    const count = join(root, `builds-${n}.txt`);
    // Each run's build blocks until the OTHER run has lost the claim and is waiting for it (its
    // git trace shows it reading the claim), so the two runs overlap whatever the machine's speed.
    // Were the claim not a compare-and-set, both would build here and push different digests.
    const build = `until grep -qs 'sd-claim/current' "$OTHER_TRACE"; do sleep 0.05; done; echo "$RUN_NAME" >> '${count}'; ${SAMPLE_BUILD}`;
    const runs = await Promise.all(
      checkouts.map((ws, i) =>
        run(
          ws,
          sha,
          { 'build-command': build, tags: 'latest' },
          { env: { GIT_TRACE: traces[i]!, OTHER_TRACE: traces[1 - i]!, RUN_NAME: `run-${i}` } },
        ),
      ),
    );
    runs.forEach(ok);
    const builders = readFileSync(count, 'utf8').trim().split('\n');
    expect(builders).toHaveLength(1);
    const winner = runs[builders[0] === 'run-0' ? 0 : 1]!;
    const loser = runs[builders[0] === 'run-0' ? 1 : 0]!;
    const digest = (await registry.resolve('blue', tag))!.digest;
    expect(winner.outputs).toMatchObject({ built: 'true', digest, tag });
    expect(loser.outputs).toMatchObject({ built: 'false', digest, tag });
    expect((await registry.resolve('blue', 'latest'))!.digest).toBe(digest);
    expect(loser.stdout).toMatch(
      new RegExp(
        `:${tag} is being built by https://github\\.example/acme/monorepo/actions/runs/1234/attempts/1#[0-9a-f]{8} \\(claimed `,
      ),
    );
    expect(loser.stdout).toContain(
      `:${tag} was built by https://github.example/acme/monorepo/actions/runs/1234/attempts/1#`,
    );
    expect(loser.summary).toContain(`this run waited for it and reused its image ${digest}, it never built.`);
    expect(loser.summary).toContain('reused (not built)');
    expect([...warnings(winner), ...warnings(loser)]).toEqual([]);
    // The claim recorded the digest, then went away: nothing piles up on origin.
    expect(claimRefs(origin)).toBe('');

    // A third run reuses the tag without touching claims.
    const again = ok(await run(checkouts[0]!, sha, { 'build-command': `echo again >> '${count}'; exit 1` }));
    expect(again.outputs).toMatchObject({ built: 'false', digest });
    expect(readFileSync(count, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  test('a stale claim (holder gone, older than the timeout, no image) is taken over and built', async () => {
    const { origin, checkouts, sha, tag } = setup(1);
    const store = await ClaimStore.open({ url: origin, tempRoot: root });
    const ref = `refs/sd-actions/builds/blue/${tag}`;
    const gone = await store.create(ref, {
      holder: 'https://github.example/acme/monorepo/actions/runs/99/attempts/1',
      at: new Date(Date.parse(T0) - 2 * 3600e3),
    });
    await store.dispose();
    if (!gone.ok) throw new Error('setup');
    const r = ok(
      await run(
        checkouts[0]!,
        sha,
        { 'build-command': SAMPLE_BUILD, 'build-wait-timeout': '1h' },
        { env: { SD_ACTIONS_TEST_NOW: T0 } },
      ),
    );
    const digest = (await registry.resolve('blue', tag))!.digest;
    expect(r.outputs).toMatchObject({ built: 'true', digest });
    expect(warnings(r).map((w) => w.message)).toEqual([
      expect.stringMatching(
        /^Took over the build of .*:sha-\w+ from https:\/\/github\.example\/acme\/monorepo\/actions\/runs\/99\/attempts\/1 \(claimed 2026-11-27T06:00:00\.000Z\): its claim is older than build-wait-timeout \(1h\)/,
      ),
    ]);
    expect(claimRefs(origin)).toBe('');
  });

  test('a claim that cannot be pushed: one warning naming contents: write, and the build runs as before', async () => {
    const { origin, checkouts, sha, tag } = setup(2);
    const hook = join(origin, 'hooks', 'pre-receive');
    writeFileSync(
      hook,
      '#!/bin/sh\necho "remote: Permission to acme/monorepo.git denied to github-actions[bot]." >&2\nexit 1\n',
    );
    chmodSync(hook, 0o755);
    const r = ok(await run(checkouts[0]!, sha, { 'build-command': SAMPLE_BUILD }));
    expect(r.outputs).toMatchObject({ built: 'true', digest: (await registry.resolve('blue', tag))!.digest });
    const [warning, ...more] = warnings(r);
    expect(more).toEqual([]);
    expect(warning!.message).toMatch(
      /^Could not claim the build on origin \(.*Permission to acme\/monorepo\.git denied.*\), so two runs for one commit could both build; building anyway .* Give the job "permissions: contents: write" and pass "token"/,
    );
    expect(claimRefs(origin)).toBe('');

    // An https origin and no token: the same warning, without trying.
    const other = setup(1);
    git(other.checkouts[0]!, 'remote', 'set-url', 'origin', 'https://github.example/acme/monorepo.git');
    const none = ok(
      await run(
        other.checkouts[0]!,
        other.sha,
        { 'build-command': SAMPLE_BUILD, token: '' },
        { githubToken: '' },
      ),
    );
    expect(none.outputs.built).toBe('true');
    expect(warnings(none).map((w) => w.message)).toEqual([
      expect.stringContaining('(input "token" is empty)'),
    ]);
  });

  test('the token is masked and never reaches the build command', async () => {
    const { checkouts, sha } = setup(1);
    const seen = join(root, `env-${n}.txt`);
    const r = ok(
      await run(checkouts[0]!, sha, {
        'build-command': `env > '${seen}'; ${SAMPLE_BUILD}`,
        token: 'ghs_secret-claim-token',
      }),
    );
    expect(r.masked).toContain('ghs_secret-claim-token');
    expect(
      r.stdout
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n'),
    ).not.toContain('ghs_secret-claim-token');
    expect(readFileSync(seen, 'utf8')).not.toContain('ghs_secret-claim-token');
  });

  test('waiting past build-wait-timeout fails cleanly: nothing built, no tag, the claim untouched', async () => {
    const { origin, checkouts, sha, tag } = setup(1);
    const store = await ClaimStore.open({ url: origin, tempRoot: root });
    const ref = `refs/sd-actions/builds/blue/${tag}`;
    // Claimed one minute after this run's clock starts (as a third run's takeover would be): it
    // is never stale for this run, so the run waits its whole timeout (2s of its clock) and fails.
    const held = await store.create(ref, {
      holder: 'https://github.example/acme/monorepo/actions/runs/7/attempts/1',
      at: new Date(Date.parse(T0) + 60e3),
    });
    await store.dispose();
    if (!held.ok) throw new Error('setup');
    const before = claimRefs(origin);
    const marker = join(root, `built-${n}`);
    const r = await run(
      checkouts[0]!,
      sha,
      {
        'build-command': `touch '${marker}'; ${SAMPLE_BUILD}`,
        'build-wait-timeout': '2s',
        tags: 'latest-timeout',
      },
      { env: { SD_ACTIONS_TEST_NOW: T0 } },
    );
    expect(r.code).toBe(1);
    const errors = r.annotations.filter((a) => a.level === 'error');
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(
        /^Waited 2s for https:\/\/github\.example\/acme\/monorepo\/actions\/runs\/7\/attempts\/1 \(claimed 2026-11-27T08:01:00\.000Z\) to build .*:sha-\w+, and the tag still does not exist; nothing was changed\./,
      ),
    ]);
    expect(existsSync(marker)).toBe(false);
    expect(await registry.exists('blue', tag)).toBe(false);
    expect(await registry.exists('blue', 'latest-timeout')).toBe(false);
    expect(claimRefs(origin)).toBe(before);
  });

  test('a failed build gives its claim back at once, so the next run builds without waiting', async () => {
    const { origin, checkouts, sha, tag } = setup(1);
    const failedRun = await run(checkouts[0]!, sha, { 'build-command': 'exit 3' });
    expect(failedRun.code).toBe(1);
    expect(claimRefs(origin)).toBe('');
    const next = ok(await run(checkouts[0]!, sha, { 'build-command': SAMPLE_BUILD }));
    expect(next.outputs).toMatchObject({
      built: 'true',
      digest: (await registry.resolve('blue', tag))!.digest,
    });
    expect(next.stdout).not.toContain('is being built by');
  });

  test('a bad build-wait-timeout is refused before anything happens', async () => {
    const { origin, checkouts, sha, tag } = setup(1);
    const r = await run(checkouts[0]!, sha, { 'build-command': SAMPLE_BUILD, 'build-wait-timeout': 'soon' });
    expect(r.code).toBe(1);
    expect(r.annotations.filter((a) => a.level === 'error').map((e) => e.message)).toEqual([
      'Input "build-wait-timeout": "soon" is not valid; expected a duration like 30m, 1h or 90s',
    ]);
    expect(await registry.exists('blue', tag)).toBe(false);
    expect(claimRefs(origin)).toBe('');
  });
});
