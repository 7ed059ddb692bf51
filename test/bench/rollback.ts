/**
 * Benchmark: what one rollback costs in wall time, beside the floor measured in the same run — a
 * bare `git fetch && git commit && git push` of one file to the environment branch.
 *
 *   rollback-service     ledger read (full history fetch) + target + registry check + moving tag
 *                        moved back + one rollback/quarantine commit + status matrix
 *
 * Each round first promotes (untimed) a good version, verified healthy, and then a bad one on the
 * branch, so every measured rollback has real work to do on a history that grows by four commits
 * per round. Ledger reads at 1,000 and 10,000 commits of history are measured by ledger.ts.
 *
 *   node --import tsx test/bench/rollback.ts [--reps=N]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promotionMessage, verificationMessage } from '@sd-actions/core';
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
const BRANCH = 'gitops/production-releases';
const MANIFEST = 'release-manifests/production.yaml';
const root = tempDir('bench-rollback-');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function ok(run: ActionRun): ActionRun {
  if (run.code !== 0) throw new Error(`action failed:\n${run.stdout}\n${run.stderr}`);
  return run;
}

try {
  const registryDir = join(root, 'registry');
  const registry = new OciLayoutRegistry(registryDir, { baseDir: root });
  const { origin, work } = originAndClone(root);
  const source = commit(work, 'config', {
    '.github/sd-actions.yml': `registry: { type: oci-layout, url: ${registryDir} }
services:
  blue: { path: projects/blue }
environments:
  staging: { branch: gitops/staging-releases, tags: ["{version}"] }
  production: { from: staging, branch: ${BRANCH}, tags: ["{version}", prd] }
`,
  });
  git(work, 'push', '-q', 'origin', 'main');
  git(work, 'checkout', '-q', '--orphan', BRANCH);
  git(work, 'rm', '-rq', '--cached', '.');
  git(work, 'clean', '-fdq');

  let previous: string | undefined;
  const promoteOne = async (version: string, verdict?: 'healthy') => {
    const image = buildImage({ files: [{ path: 'v', data: Buffer.from(version) }] });
    const digest = await pushImage(registry, 'blue', version, image);
    await pushImage(registry, 'blue', 'prd', image);
    commit(
      work,
      promotionMessage({
        service: 'blue',
        environment: 'production',
        version,
        previousVersion: previous,
        digest,
        image: `${registryDir}/blue`,
        sourceCommit: source,
      }),
      {
        [MANIFEST]: `environment: production\nservices:\n  blue:\n    version: ${version}\n    image: ${registryDir}/blue\n    digest: ${digest}\n    commit: ${source}\n`,
      },
    );
    if (verdict)
      commit(
        work,
        verificationMessage({
          service: 'blue',
          environment: 'production',
          version,
          digest,
          verification: verdict,
        }),
      );
    previous = version;
  };
  await promoteOne('0.0.1', 'healthy');
  git(work, 'push', '-q', 'origin', BRANCH);
  const workspace = checkoutClone(origin, join(root, 'checkout'), { depth: 1 });

  const plain = checkoutClone(origin, join(root, 'plain'), { ref: BRANCH });
  let n = 0;
  const bareRound = () => {
    const started = performance.now();
    git(plain, 'fetch', '-q', 'origin', BRANCH);
    git(plain, 'reset', '-q', '--hard', 'FETCH_HEAD');
    writeFileSync(join(plain, 'floor.txt'), `${++n}\n`);
    git(plain, 'add', 'floor.txt');
    git(plain, 'commit', '-q', '-m', `floor ${n}`);
    git(plain, 'push', '-q', 'origin', `HEAD:${BRANCH}`);
    return performance.now() - started;
  };

  const floor: number[] = [];
  const rollbacks: number[] = [];
  for (let i = 1; i <= reps; i++) {
    git(work, 'fetch', '-q', 'origin', BRANCH);
    git(work, 'reset', '-q', '--hard', `origin/${BRANCH}`);
    await promoteOne(`1.${i}.0`, 'healthy');
    await promoteOne(`1.${i}.1`);
    git(work, 'push', '-q', 'origin', `HEAD:${BRANCH}`);
    floor.push(bareRound());
    const run = ok(
      await runAction('rollback-service', {
        workspace,
        inputs: { service: 'blue', environment: 'production', 'from-version': `1.${i}.1` },
        env: { GITHUB_RUN_ID: String(5000 + i) },
      }),
    );
    if (run.outputs['rolled-back-to'] !== `1.${i}.0`) throw new Error(`unexpected target:\n${run.stdout}`);
    rollbacks.push(run.ms);
  }

  const f = median(floor);
  const history = Number(git(origin, 'rev-list', '--count', BRANCH));
  console.log(
    `\nmedian of ${reps} runs (ms), Node 24 bundle, local bare origin, ${history} commits at the end`,
  );
  console.log(`${'floor: git fetch && commit && push'.padEnd(48)} ${f.toFixed(0).padStart(7)}  1.0x`);
  console.log(
    `${'rollback-service (one rollback)'.padEnd(48)} ${median(rollbacks).toFixed(0).padStart(7)}  ${(median(rollbacks) / f).toFixed(1)}x`,
  );
} finally {
  removeDir(root);
}
