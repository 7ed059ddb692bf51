/**
 * The race margin (issue 8): 50 promotions of different services into one environment, started at
 * once through the committed `promote` bundle, all land with linear history. The wall time is
 * printed beside 50 bare `fetch && commit && push` rounds done one after another in the same run
 * (a ratio to read, not a timed assertion: the machine is shared).
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OciLayoutRegistry } from '@sd-actions/registry';
import {
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

const N = 50;
const SERVICES = Array.from({ length: N }, (_, i) => `s${String(i + 1).padStart(2, '0')}`);

let root: string;
let origin: string;
let work: string;
let registryDir: string;
let registry: OciLayoutRegistry;
let source: string;

beforeAll(() => {
  root = tempDir('race-');
  registryDir = join(root, 'registry');
  registry = new OciLayoutRegistry(registryDir, { baseDir: root });
  ({ origin, work } = originAndClone(root));
  source = commit(work, 'config', {
    '.github/sd-actions.yml': `registry: { type: oci-layout, url: ${registryDir} }\nservices:\n${SERVICES.map((s) => `  ${s}: { path: projects/${s} }`).join('\n')}\n`,
  });
  git(work, 'push', '-q', 'origin', 'main');
});

afterAll(() => removeDir(root));

test(`${N} promotions of different services into one environment at once all land, linearly`, async () => {
  const digests: string[] = [];
  for (const s of SERVICES)
    digests.push(
      await pushImage(
        registry,
        s,
        `sha-${source.slice(0, 7)}`,
        buildImage({ files: [{ path: 'x', data: Buffer.from(s) }] }),
      ),
    );

  // The floor, in the same run: N bare rounds on a plain clone, one after another.
  const floorBranch = 'floor';
  git(work, 'push', '-q', 'origin', `HEAD:refs/heads/${floorBranch}`);
  const plain = checkoutClone(origin, join(root, 'plain'), { ref: floorBranch });
  const floorStarted = performance.now();
  for (let n = 1; n <= N; n++) {
    git(plain, 'fetch', '-q', 'origin', floorBranch);
    git(plain, 'reset', '-q', '--hard', 'FETCH_HEAD');
    writeFileSync(join(plain, 'floor.txt'), `${n}\n`);
    git(plain, 'add', 'floor.txt');
    git(plain, 'commit', '-q', '-m', `floor ${n}`);
    git(plain, 'push', '-q', 'origin', `HEAD:${floorBranch}`);
  }
  const floor = performance.now() - floorStarted;

  const started = performance.now();
  const runs = await Promise.all(
    SERVICES.map((service, i) =>
      runAction('promote', {
        actionDir: 'promote',
        workspace: work,
        inputs: { service, to: 'dev', digest: digests[i]!, 'source-commit': source },
        event: 'workflow_dispatch',
      }),
    ),
  );
  const wall = performance.now() - started;
  for (const run of runs)
    if (run.code !== 0) throw new Error(`a promotion was lost (${run.code}):\n${run.stdout}\n${run.stderr}`);

  const branch = 'gitops/dev-auto-update';
  expect(Number(git(origin, 'rev-list', '--count', branch))).toBe(N);
  expect(git(origin, 'rev-list', '--merges', branch)).toBe('');
  const text = git(origin, 'show', `${branch}:release-manifests/dev.yaml`);
  for (const [i, s] of SERVICES.entries())
    expect(text).toContain(
      `  ${s}:\n    version: sha-${source.slice(0, 7)}\n    image: ${registryDir}/${s}\n    digest: ${digests[i]}`,
    );
  // One commit per promotion, trailers intact, and each run reports the commit that landed its edit.
  const services = git(origin, 'log', '--format=%(trailers:key=Sd-Service,valueonly)', branch)
    .split('\n')
    .filter(Boolean);
  expect([...services].sort()).toEqual(SERVICES);
  const ids = git(origin, 'log', '--format=%(trailers:key=Sd-Change-Id,valueonly)', branch)
    .split('\n')
    .filter(Boolean);
  expect(new Set(ids).size).toBe(N);
  for (const [i, run] of runs.entries()) {
    const landed = run.outputs.commit!;
    expect(git(origin, 'log', '-1', '--format=%(trailers:key=Sd-Service,valueonly)', landed)).toBe(
      SERVICES[i],
    );
    expect(git(origin, 'log', '-1', '--format=%(trailers:key=Sd-Digest,valueonly)', landed)).toBe(digests[i]);
    expect(git(origin, 'merge-base', '--is-ancestor', landed, branch)).toBe('');
  }
  expect(git(origin, 'for-each-ref', 'refs/sd-actions/')).toBe('');
  const attempts = runs.map((r) => Number(/\(attempt (\d+)\)/.exec(r.stdout)?.[1] ?? 1));
  console.log(
    `${N}-way race: ${wall.toFixed(0)} ms for ${N} promote runs at once vs ${floor.toFixed(0)} ms for ${N} bare fetch/commit/push rounds in a row: ${(wall / floor).toFixed(1)}x; push attempts per run: max ${Math.max(...attempts)}, mean ${(attempts.reduce((a, b) => a + b, 0) / N).toFixed(1)}`,
  );
});
