/**
 * Benchmark: the race margin. N promotions (the whole `promote` bundle) of different services into
 * one environment branch, started at once, against N bare `git fetch && commit && push` rounds
 * one after another, measured in the same run. Every promotion must land, history linear.
 *
 *   node --import tsx test/bench/race.ts [--n=50]
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
  tempDir,
} from '@sd-actions/testkit';

const N = Number(process.argv.find((a) => a.startsWith('--n='))?.slice(4) ?? 50);
const SERVICES = Array.from({ length: N }, (_, i) => `s${String(i + 1).padStart(3, '0')}`);
const root = tempDir('bench-race-');

try {
  const registryDir = join(root, 'registry');
  const registry = new OciLayoutRegistry(registryDir, { baseDir: root });
  const { origin, work } = originAndClone(root);
  const source = commit(work, 'config', {
    '.github/sd-actions.yml': `registry: { type: oci-layout, url: ${registryDir} }\nservices:\n${SERVICES.map((s) => `  ${s}: { path: projects/${s} }`).join('\n')}\n`,
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
  const lost = runs.filter((r) => r.code !== 0).length;
  const landed = Number(git(origin, 'rev-list', '--count', 'gitops/dev-auto-update'));
  const linear = git(origin, 'rev-list', '--merges', 'gitops/dev-auto-update') === '';
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
