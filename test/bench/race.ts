/**
 * Benchmark: the race margin. N promotions (the whole `promote` bundle) of different services into
 * one environment branch, started at once, against N bare `git fetch && commit && push` rounds
 * one after another, measured in the same run. Every promotion must land, history linear.
 * The environment already runs a service (the burst case: a shared change releases every
 * service again); `--new-branch` races the very first promotions, which create the branch.
 *
 *   node --import tsx test/bench/race.ts [--n=50] [--new-branch]
 */
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
  runActionsTogether,
  tempDir,
} from '@sd-actions/testkit';

const N = Number(process.argv.find((a) => a.startsWith('--n='))?.slice(4) ?? 50);
const SERVICES = Array.from({ length: N }, (_, i) => `s${String(i + 1).padStart(3, '0')}`);
const NEW_BRANCH = process.argv.includes('--new-branch');
const BRANCH = 'gitops/dev-auto-update';
const root = tempDir('bench-race-');

try {
  const registryDir = join(root, 'registry');
  const registry = new OciLayoutRegistry(registryDir, { baseDir: root });
  const { origin, work } = originAndClone(root);
  const source = commit(work, 'config', {
    '.github/sd-actions.yml': `registry: { type: oci-layout, url: ${registryDir} }\nservices:\n${['base', ...SERVICES].map((s) => `  ${s}: { path: projects/${s} }`).join('\n')}\n`,
  });
  git(work, 'push', '-q', 'origin', 'main');
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

  const promoteInput = (service: string, digest: string) => ({
    actionDir: 'promote',
    workspace: work,
    inputs: { service, to: 'dev', digest, 'source-commit': source },
    event: 'workflow_dispatch',
  });
  if (!NEW_BRANCH) {
    const digest = await pushImage(
      registry,
      'base',
      `sha-${source.slice(0, 7)}`,
      buildImage({ files: [{ path: 'x', data: Buffer.from('base') }] }),
    );
    const run = await runAction('promote', promoteInput('base', digest));
    if (run.code !== 0) throw new Error(`the base promotion failed:\n${run.stdout}`);
  }
  const before = NEW_BRANCH ? 0 : Number(git(origin, 'rev-list', '--count', BRANCH));

  git(work, 'push', '-q', 'origin', 'HEAD:refs/heads/floor');
  const plain = checkoutClone(origin, join(root, 'plain'), { ref: 'floor' });
  const floorStarted = performance.now();
  for (let n = 1; n <= N; n++) {
    git(plain, 'fetch', '-q', 'origin', 'floor');
    git(plain, 'reset', '-q', '--hard', 'FETCH_HEAD');
    writeFileSync(join(plain, 'floor.txt'), `${n}\n`);
    git(plain, 'add', 'floor.txt');
    git(plain, 'commit', '-q', '-m', `floor ${n}`);
    git(plain, 'push', '-q', 'origin', 'HEAD:floor');
  }
  const floor = performance.now() - floorStarted;

  // Started at once: every process is spawned and held at a gate, then the gate opens.
  const { runs, ms: wall } = await runActionsTogether(
    SERVICES.map((service, i) => ({ name: 'promote', options: promoteInput(service, digests[i]!) })),
  );
  const lost = runs.filter((r) => r.code !== 0).length;
  const landed = Number(git(origin, 'rev-list', '--count', BRANCH)) - before;
  const linear = git(origin, 'rev-list', '--merges', BRANCH) === '';
  const attempts = runs.map((r) => Number(/\(attempt (\d+)\)/.exec(r.stdout)?.[1] ?? 1));
  console.log(
    `\n${'floor: ' + N + ' bare rounds one after another'.padEnd(40)} ${floor.toFixed(0).padStart(8)} ms  1.0x`,
  );
  console.log(
    `${(N + ' promote runs at once (racing)').padEnd(47)} ${wall.toFixed(0).padStart(8)} ms  ${(wall / floor).toFixed(1)}x`,
  );
  console.log(
    `\n${N}-way: ${landed} landed, ${lost} lost, history linear: ${linear}; push attempts per run: max ${Math.max(...attempts)}, mean ${(attempts.reduce((a, b) => a + b, 0) / N).toFixed(1)}`,
  );
  if (lost > 0 || landed !== N || !linear) process.exitCode = 1;
} finally {
  removeDir(root);
}
