/**
 * The race margin (issue 8): 50 promotions of different services into one environment, started at
 * once through the committed `promote` bundle (every process held at one gate, then released), all
 * land with linear history. The wall time is printed beside 50 bare `fetch && commit && push`
 * rounds done one after another in the same run (a ratio to read, not a timed assertion: the
 * machine is shared; test/bench/race.ts measures it). The very first promotions into an
 * environment, which race to create its branch, land the same way.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
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
  runActionsTogether,
  tempDir,
  type ActionRun,
} from '@sd-actions/testkit';

const BRANCH = 'gitops/dev-auto-update';
let root: string;
let sandboxes = 0;

beforeAll(() => {
  root = tempDir('race-');
});

afterAll(() => removeDir(root));

/** An origin whose config lists `services` (and `base`), with one image built for each. */
async function sandbox(services: string[]) {
  const dir = join(root, `s${++sandboxes}`);
  mkdirSync(dir);
  const registryDir = join(dir, 'registry');
  const registry = new OciLayoutRegistry(registryDir, { baseDir: dir });
  const { origin, work } = originAndClone(dir);
  const source = commit(work, 'config', {
    '.github/sd-actions.yml': `registry: { type: oci-layout, url: ${registryDir} }\nservices:\n${['base', ...services].map((s) => `  ${s}: { path: projects/${s} }`).join('\n')}\n`,
  });
  git(work, 'push', '-q', 'origin', 'main');
  const digests = new Map<string, string>();
  for (const s of ['base', ...services])
    digests.set(
      s,
      await pushImage(
        registry,
        s,
        `sha-${source.slice(0, 7)}`,
        buildImage({ files: [{ path: 'x', data: Buffer.from(s) }] }),
      ),
    );
  const promotion = (service: string) => ({
    actionDir: 'promote',
    workspace: work,
    inputs: { service, to: 'dev', digest: digests.get(service)!, 'source-commit': source },
    event: 'workflow_dispatch',
  });
  return { dir, origin, work, registryDir, source, digests, promotion };
}

/** Every run landed its own promotion exactly once, in one linear history, nothing left pending. */
function expectAllLanded(
  box: Awaited<ReturnType<typeof sandbox>>,
  services: string[],
  runs: ActionRun[],
  before: string | undefined,
) {
  for (const run of runs)
    if (run.code !== 0) throw new Error(`a promotion was lost (${run.code}):\n${run.stdout}\n${run.stderr}`);
  const { origin, registryDir, source, digests } = box;
  const range = before ? `${before}..${BRANCH}` : BRANCH;
  expect(Number(git(origin, 'rev-list', '--count', range))).toBe(services.length);
  expect(git(origin, 'rev-list', '--merges', BRANCH)).toBe('');
  const text = git(origin, 'show', `${BRANCH}:release-manifests/dev.yaml`);
  for (const s of services)
    expect(text).toContain(
      `  ${s}:\n    version: sha-${source.slice(0, 7)}\n    image: ${registryDir}/${s}\n    digest: ${digests.get(s)}`,
    );
  // One commit per promotion, trailers intact, and each run reports the commit that landed its edit.
  const trailer = (key: string) =>
    git(origin, 'log', `--format=%(trailers:key=${key},valueonly)`, range).split('\n').filter(Boolean);
  expect(trailer('Sd-Service').sort()).toEqual([...services].sort());
  expect(new Set(trailer('Sd-Change-Id')).size).toBe(services.length);
  for (const [i, run] of runs.entries()) {
    const landed = run.outputs.commit!;
    expect(git(origin, 'log', '-1', '--format=%(trailers:key=Sd-Service,valueonly)', landed)).toBe(
      services[i],
    );
    expect(git(origin, 'log', '-1', '--format=%(trailers:key=Sd-Digest,valueonly)', landed)).toBe(
      digests.get(services[i]!),
    );
    expect(git(origin, 'merge-base', '--is-ancestor', landed, BRANCH)).toBe('');
    expect(run.summary).toContain(landed.slice(0, 12));
  }
  expect(git(origin, 'for-each-ref', 'refs/sd-actions/')).toBe('');
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `s${String(i + 1).padStart(2, '0')}`);

test('50 promotions of different services into an environment that runs services land at once, linearly', async () => {
  const N = 50;
  const services = names(N);
  const box = await sandbox(services);
  // The environment already runs a service: a shared change now releases 50 more at once.
  const base = await runAction('promote', box.promotion('base'));
  expect(base.code).toBe(0);
  const before = git(box.origin, 'rev-parse', BRANCH);

  // The floor, in the same run: N bare rounds on a plain clone, one after another.
  const floorBranch = 'floor';
  git(box.work, 'push', '-q', 'origin', `HEAD:refs/heads/${floorBranch}`);
  const plain = checkoutClone(box.origin, join(box.dir, 'plain'), { ref: floorBranch });
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

  const { runs, ms: wall } = await runActionsTogether(
    services.map((s) => ({ name: 'promote', options: box.promotion(s) })),
  );
  expectAllLanded(box, services, runs, before);
  const attempts = runs.map((r) => Number(/\(attempt (\d+)\)/.exec(r.stdout)?.[1] ?? 1));
  console.log(
    `${N}-way race: ${wall.toFixed(0)} ms for ${N} promote runs at once vs ${floor.toFixed(0)} ms for ${N} bare fetch/commit/push rounds in a row: ${(wall / floor).toFixed(1)}x; push attempts per run: max ${Math.max(...attempts)}, mean ${(attempts.reduce((a, b) => a + b, 0) / N).toFixed(1)}`,
  );
});

test('the first promotions into an environment race to create its branch, and all land', async () => {
  const services = names(12);
  const box = await sandbox(services);
  const { runs } = await runActionsTogether(
    services.map((s) => ({ name: 'promote', options: box.promotion(s) })),
  );
  expectAllLanded(box, services, runs, undefined);
});
