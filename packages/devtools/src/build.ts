/**
 * Bundle every action with ncc into actions/<name>/dist/index.js. Run from the repo root (ncc finds
 * tsconfig.json only between the entry and the working directory). The output is reproducible
 * byte for byte, so CI can rebuild and compare (the check-dist practice).
 *
 * Every actions/<name>/src/main.ts is a bundle. Its action.yml sits beside it, or at the root for a
 * front door (promote/action.yml points its main at actions/promote/dist, like codeql-action/init).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './actions.js';

const only = process.argv.slice(2);
const ncc = join(ROOT, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
const bundles = readdirSync(join(ROOT, 'actions'))
  .filter((name) => existsSync(join(ROOT, 'actions', name, 'src', 'main.ts')))
  .sort();
let failed = false;
for (const name of bundles) {
  if (only.length > 0 && !only.includes(name)) continue;
  const entry = `actions/${name}/src/main.ts`;
  const out = `actions/${name}/dist`;
  rmSync(join(ROOT, out), { recursive: true, force: true });
  const started = Date.now();
  const args = [ncc, 'build', entry, '--out', out, '--minify', '--license', 'licenses.txt', '--quiet'];
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    failed = true;
    console.error(`build: ${name} failed`);
  } else {
    console.log(`build: ${name} -> ${out}/index.js (${Date.now() - started} ms)`);
  }
}
process.exit(failed ? 1 : 0);
