/**
 * Two promotions of one service into one environment at once (issue 8, "also seen"): the retag
 * comes before the manifest commit, so the run that loses the race has already moved the
 * environment's moving tag to its digest. Through the committed `promote` bundle, with a
 * pre-receive hook that lands a competing promotion while our push is in flight: the loser
 * refuses (nothing pushed) and sets the moving tag to the digest the manifest records, so the
 * registry and the ledger agree; a tag another run moved since is left alone.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
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
  tempDir,
} from '@sd-actions/testkit';

const BRANCH = 'gitops/dev-auto-update';
const MANIFEST = 'release-manifests/dev.yaml';
let root: string;
let origin: string;
let work: string;
let registry: OciLayoutRegistry;
let source: string;
const digests: Record<string, string> = {};
const hook = () => join(origin, 'hooks', 'pre-receive');

beforeAll(async () => {
  root = tempDir('lost-race-');
  const registryDir = join(root, 'registry');
  registry = new OciLayoutRegistry(registryDir, { baseDir: root });
  ({ origin, work } = originAndClone(root));
  source = commit(work, 'config', {
    '.github/sd-actions.yml': `registry: { type: oci-layout, url: ${registryDir} }\nservices:\n  blue: { path: projects/blue }\n  green: { path: projects/green }\n`,
  });
  git(work, 'push', '-q', 'origin', 'main');
  // Three builds of blue (A, B, C): each gets its own sha tag, as build-once-tag would give it.
  for (const name of ['a', 'b', 'c'])
    digests[name] = await pushImage(
      registry,
      'blue',
      `build-${name}`,
      buildImage({ files: [{ path: 'x', data: Buffer.from(name) }] }),
    );
  for (const name of ['green-1', 'green-2'])
    digests[name] = await pushImage(
      registry,
      'green',
      `build-${name}`,
      buildImage({ files: [{ path: 'x', data: Buffer.from(name) }] }),
    );
  const first = await promote('a');
  expect(first.code).toBe(0);
});

afterAll(() => removeDir(root));

const promote = (build: string) =>
  runAction('promote', {
    actionDir: 'promote',
    workspace: work,
    inputs: { service: 'blue', to: 'dev', digest: digests[build]!, 'source-commit': source },
    event: 'workflow_dispatch',
  });

const devTag = async (service = 'blue') => (await registry.resolve(service, 'dev'))?.digest;

/**
 * A competing promotion of blue to `build` (a commit on the branch's tip, pushed to a side ref)
 * and a pre-receive hook that moves the branch to it once, while our push is in flight.
 */
let competitions = 0;
function competingPromotion(build: string, also = ''): string {
  const n = ++competitions;
  const clone = join(root, `competing-${n}`);
  git(root, 'clone', '-q', '--branch', BRANCH, origin, clone);
  const text = git(clone, 'show', `HEAD:${MANIFEST}`);
  const edited = text.replace(
    /(\n {2}blue:\n(?: {4}.*\n)*? {4}digest: )sha256:[0-9a-f]{64}/,
    `$1${digests[build]}`,
  );
  const sha = commit(clone, 'promote blue by hand', { [MANIFEST]: `${edited}\n` });
  git(clone, 'push', '-q', 'origin', `${sha}:refs/heads/side/competing-${n}`);
  const marker = join(root, `hook-fired-${n}`);
  writeFileSync(
    hook(),
    `#!/bin/sh\ncat >/dev/null\nif [ ! -e '${marker}' ]; then\n  touch '${marker}'\n  env -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES git update-ref refs/heads/${BRANCH} ${sha}\n  ${also}\nfi\nexit 0\n`,
  );
  chmodSync(hook(), 0o755);
  return sha;
}

test('the loser refuses, pushes nothing, and sets the moving tag to the digest the manifest records', async () => {
  expect(await devTag()).toBe(digests.a);
  const theirs = competingPromotion('c');
  try {
    const run = await promote('b');
    expect(run.code).toBe(1);
    const error = run.annotations.find((a) => a.level === 'error')!.message;
    expect(error).toMatch(
      /^Conflict: services\.blue in .* changed while this promotion ran.*nothing was pushed/,
    );
    expect(error).toContain(`Registry: ${join(root, 'registry')}/blue:dev set back to ${digests.c}.`);
    expect(git(origin, 'rev-parse', BRANCH)).toBe(theirs);
    expect(await devTag()).toBe(digests.c); // what the manifest now records
    expect(git(origin, 'for-each-ref', 'refs/sd-actions/')).toBe('');
    expect(run.summary).toContain(`set back to ${digests.c}`);
  } finally {
    rmSync(hook(), { force: true });
  }
});

test('a moving tag another run moved since is left where that run put it', async () => {
  // The competitor lands blue@A and also moves the dev tag to A after our retag (as its own
  // retag would, a moment later): the tag no longer shows our digest, so it is not touched.
  const registryDir = join(root, 'registry');
  const index = join(registryDir, 'blue', 'index.json');
  const theirs = competingPromotion(
    'a',
    `node -e 'const f=process.argv[1],d=process.argv[2];const i=JSON.parse(require("fs").readFileSync(f,"utf8"));for(const m of i.manifests)if(m.annotations&&m.annotations["org.opencontainers.image.ref.name"]==="dev")m.digest=d;require("fs").writeFileSync(f,JSON.stringify(i))' '${index}' '${digests.a}'`,
  );
  try {
    const run = await promote('b');
    expect(run.code).toBe(1);
    expect(git(origin, 'rev-parse', BRANCH)).toBe(theirs);
    expect(await devTag()).toBe(digests.a);
    expect(run.annotations.find((a) => a.level === 'error')!.message).not.toContain('set back');
  } finally {
    rmSync(hook(), { force: true });
  }
});

test('a chunk that loses the race for one service sets every moving tag it moved as the manifest says', async () => {
  const green = await runAction('promote', {
    actionDir: 'promote',
    workspace: work,
    inputs: { service: 'green', to: 'dev', digest: digests['green-1']!, 'source-commit': source },
    event: 'workflow_dispatch',
  });
  expect(green.code).toBe(0);
  const theirs = competingPromotion('c'); // blue: A (as the last test left it) -> C
  try {
    const run = await runAction('promote', {
      actionDir: 'promote',
      workspace: work,
      inputs: {
        services: '["blue","green"]',
        digests: JSON.stringify({ blue: digests.b, green: digests['green-2'] }),
        to: 'dev',
        'source-commit': source,
      },
      event: 'workflow_dispatch',
    });
    expect(run.code).toBe(1);
    expect(run.annotations.find((a) => a.level === 'error')!.message).toMatch(
      /^Conflict: services\.blue .*nothing was pushed.* Registry: .*blue:dev set back to sha256:[0-9a-f]{64}; .*green:dev set back to sha256:[0-9a-f]{64}\.$/,
    );
    expect(git(origin, 'rev-parse', BRANCH)).toBe(theirs);
    expect(await devTag('blue')).toBe(digests.c); // the raced service: what the manifest records
    expect(await devTag('green')).toBe(digests['green-1']); // the others: where they were
  } finally {
    rmSync(hook(), { force: true });
  }
});
