/**
 * Repository invariants CI enforces: every action.yml runs on node24 and points at a committed
 * bundle. (Whether the bundle and docs are current is checked by rebuilding and diffing.)
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { listActions, ROOT } from './actions.js';

const problems: string[] = [];
for (const action of listActions()) {
  const { runs } = action.manifest;
  if (runs?.using !== 'node24')
    problems.push(`${action.dir}/action.yml: runs.using is ${JSON.stringify(runs?.using)}; expected node24`);
  const main = runs?.main ? resolve(ROOT, action.dir, runs.main) : undefined;
  if (!main || !existsSync(main))
    problems.push(
      `${action.dir}/action.yml: runs.main ${JSON.stringify(runs?.main)} does not exist; run npm run build`,
    );
  else if (!main.startsWith(join(ROOT, 'actions')))
    problems.push(`${action.dir}/action.yml: runs.main must point into actions/*/dist`);
}
if (problems.length > 0) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log(`check: ${listActions().length} actions run on node24 with their bundles present`);
