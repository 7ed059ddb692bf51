/**
 * npm run demo — the main job: a full local release rehearsal on the embedded defaults.
 * Usage: npm run demo [-- --dir DIR]
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rehearse } from './rehearsal.js';

const dirArg = process.argv.indexOf('--dir');
const dir =
  dirArg > 0 && process.argv[dirArg + 1]
    ? process.argv[dirArg + 1]!
    : join(tmpdir(), `sd-actions-demo-${Date.now()}`);

try {
  const result = await rehearse({ dir, log: (line) => console.log(line) });
  const production = result.deployed.get('production') ?? new Map();
  const same = [...production].every(([service, entry]) =>
    [...result.built].some(([key, digest]) => key.startsWith(`${service}@`) && digest === entry.digest),
  );
  console.log(`\nProduction runs the exact digests built for dev: ${same ? 'yes' : 'NO'}.`);
  console.log(`Done in ${result.seconds.toFixed(1)} s. The sandbox is in ${result.root}:`);
  console.log(`  git -C ${result.origin} log --oneline gitops/production-releases`);
  console.log(`  git -C ${result.origin} show gitops/staging-releases:release-manifests/staging.yaml`);
  console.log(`  npm run status -- --repo ${result.work}`);
} catch (err) {
  console.error(`\nThe rehearsal failed: ${(err as Error).message}\nThe sandbox is kept in ${dir}.`);
  process.exitCode = 1;
}
