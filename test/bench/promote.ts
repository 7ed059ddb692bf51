/**
 * Benchmark: what a promotion costs in wall time, beside the floor measured in the same run — a
 * bare `git fetch && git commit && git push` of one manifest line to the environment branch.
 *
 *   one promotion        promote-manifest (manifest commit only) and promote (registry retag,
 *                        manifest, policy, status matrix) vs one bare fetch/commit/push
 *   20 at once           20 promote-manifest runs of different services started together (they
 *                        race and retry) vs 20 bare fetch/commit/push done one after another
 *
 *   node --import tsx test/bench/promote.ts [--reps=N]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OciLayoutRegistry } from '@sd-actions/registry';
import {
  type ActionRun,
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

const reps = Number(process.argv.find((a) => a.startsWith('--reps='))?.slice(7) ?? 7);
const SERVICES = Array.from({ length: 20 }, (_, i) => `svc${String(i + 1).padStart(2, '0')}`);
const root = tempDir('bench-promote-');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

function ok(run: ActionRun): ActionRun {
  if (run.code !== 0) throw new Error(`action failed:\n${run.stdout}\n${run.stderr}`);
  return run;
}

try {
  const registryDir = join(root, 'registry');
  const { origin, work } = originAndClone(root);
  const config = `registry: { type: oci-layout, url: ${registryDir} }\nservices:\n${SERVICES.map((s) => `  ${s}: { path: projects/${s} }`).join('\n')}\n`;
  const source = commit(work, 'config', { '.github/sd-actions.yml': config });
  git(work, 'push', '-q', 'origin', 'main');
  // Seed the dev branch so every measurement edits an existing manifest.
  ok(
    await runAction('promote-manifest', {
      workspace: work,
      inputs: {
        service: 'svc01',
        environment: 'dev',
        version: 'sha-0000000',
        digest: digest(0),
        'source-commit': source,
      },
    }),
  );

  // The floor: a plain clone of the environment branch, edit one line, commit, push.
  const plain = checkoutClone(origin, join(root, 'plain'), { ref: 'gitops/dev-auto-update' });
  let n = 0;
  const bareRound = () => {
    const started = performance.now();
    git(plain, 'fetch', '-q', 'origin', 'gitops/dev-auto-update');
    git(plain, 'reset', '-q', '--hard', 'FETCH_HEAD');
    writeFileSync(join(plain, 'floor.txt'), `${++n}\n`);
    git(plain, 'add', 'floor.txt');
    git(plain, 'commit', '-q', '-m', `floor ${n}`);
    git(plain, 'push', '-q', 'origin', 'HEAD:gitops/dev-auto-update');
    return performance.now() - started;
  };

  const floor: number[] = [];
  const manifestOnly: number[] = [];
  const whole: number[] = [];
  const registry = new OciLayoutRegistry(registryDir, { baseDir: root });
  for (let i = 1; i <= reps; i++) {
    floor.push(bareRound());
    manifestOnly.push(
      ok(
        await runAction('promote-manifest', {
          workspace: work,
          inputs: {
            service: 'svc02',
            environment: 'dev',
            version: `sha-${String(i).padStart(7, '0')}`,
            digest: digest(i),
            'source-commit': source,
          },
        }),
      ).ms,
    );
    const image = buildImage({ files: [{ path: 'x', data: Buffer.from(`build ${i}`) }] });
    const built = await pushImage(registry, 'svc03', `sha-${String(i).padStart(7, '0')}`, image);
    whole.push(
      ok(
        await runAction('promote', {
          actionDir: 'promote',
          workspace: work,
          inputs: { service: 'svc03', to: 'dev', digest: built, 'source-commit': source },
        }),
      ).ms,
    );
  }

  // 20 at once, racing for the same branch, against 20 bare rounds one after another.
  const serialFloor = Array.from({ length: 20 }, bareRound).reduce((a, b) => a + b, 0);
  const started = performance.now();
  const runs = await Promise.all(
    SERVICES.map((service, i) =>
      runAction('promote-manifest', {
        workspace: work,
        inputs: {
          service,
          environment: 'dev',
          version: 'sha-2000000',
          digest: digest(2000 + i),
          'source-commit': source,
        },
      }),
    ),
  );
  const concurrent = performance.now() - started;
  runs.forEach(ok);
  const attempts = runs.map((r) => Number(/attempt (\d+)\)/.exec(r.stdout)?.[1] ?? 1));
  const linear = git(origin, 'rev-list', '--merges', 'gitops/dev-auto-update') === '';

  const f = median(floor);
  const rows: [string, number, string][] = [
    ['floor: git fetch && commit && push', f, '1.0x'],
    [
      'promote-manifest (one manifest commit)',
      median(manifestOnly),
      `${(median(manifestOnly) / f).toFixed(1)}x`,
    ],
    ['promote (retag + manifest + policy + status)', median(whole), `${(median(whole) / f).toFixed(1)}x`],
    ['floor: 20 bare rounds one after another', serialFloor, '1.0x'],
    ['20 promote-manifest at once (racing)', concurrent, `${(concurrent / serialFloor).toFixed(1)}x`],
  ];
  console.log(`\nmedian of ${reps} runs (ms), Node 24 bundles, local bare origin`);
  for (const [name, ms, ratio] of rows)
    console.log(`${name.padEnd(48)} ${ms.toFixed(0).padStart(7)}  ${ratio}`);
  console.log(
    `\n20-way: all landed, history linear: ${linear}; push attempts per run: max ${Math.max(...attempts)}, mean ${(attempts.reduce((a, b) => a + b, 0) / 20).toFixed(1)}`,
  );
} finally {
  removeDir(root);
}
