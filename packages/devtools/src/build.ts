/**
 * Bundle every action with ncc into actions/<name>/dist/index.js. Run from the repo root (ncc finds
 * tsconfig.json only between the entry and the working directory). The output is reproducible
 * byte for byte, so CI can rebuild and compare (the check-dist practice).
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { listActions, ROOT } from './actions.js';

const only = process.argv.slice(2);
const ncc = join(ROOT, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
let failed = false;
for (const action of listActions()) {
  if (!action.entry || (only.length > 0 && !only.includes(action.name))) continue;
  const out = join(action.dir, 'dist');
  rmSync(join(ROOT, out), { recursive: true, force: true });
  const started = Date.now();
  const result = spawnSync(
    process.execPath,
    [ncc, 'build', action.entry, '--out', out, '--minify', '--license', 'licenses.txt', '--quiet'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  if (result.status !== 0) {
    failed = true;
    console.error(`build: ${action.name} failed`);
  } else {
    console.log(`build: ${action.name} -> ${out}/index.js (${Date.now() - started} ms)`);
  }
}
process.exit(failed ? 1 : 0);
