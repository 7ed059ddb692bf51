/**
 * Bundle every action with ncc into actions/<name>/dist/index.js. Run from the repo root (ncc finds
 * tsconfig.json only between the entry and the working directory). The output is reproducible
 * byte for byte, so CI can rebuild and compare (the check-dist practice).
 *
 * Every actions/<name>/src/main.ts (entry: src/index.ts, which only calls its run()) is a bundle. Its action.yml sits beside it, or at the root for a
 * front door (promote/action.yml points its main at actions/promote/dist, like codeql-action/init).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './actions.js';

/**
 * licenses.txt for every package in the bundle, in ncc's format (its license-webpack-plugin's).
 * ncc writes one licenses.txt per chunk under the same name, so with a split chunk (a dynamic
 * import) the last chunk's list overwrites the others; this lists the packages of all chunks,
 * from the webpack stats.
 */
function licenses(statsFile: string): string {
  interface StatsModule {
    name?: string;
    identifier?: string;
    chunks?: unknown[];
    modules?: StatsModule[];
  }
  const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as { modules?: StatsModule[] };
  const roots = new Set<string>();
  const add = (module: StatsModule): void => {
    for (const value of [module.name, module.identifier]) {
      if (value === undefined) continue;
      // The resource after any loaders ("a-loader.js!b-loader.js??rule!/path/file.ts"), without a query.
      const resource = value.split('!').pop()!.split('?')[0]!;
      const m = /^(?:\.\/|\/.*?\/)?((?:.*\/)?node_modules\/(?:@[^/]+\/)?[^/]+|packages\/[^/]+)\//.exec(
        resource.startsWith(ROOT) ? `.${resource.slice(ROOT.length)}` : resource,
      );
      if (m) roots.add(m[1]!);
    }
    for (const inner of module.modules ?? []) add(inner); // a concatenated module's parts
  };
  // Only modules in a chunk: tree-shaken ones (orphans) are in the stats too.
  for (const module of stats.modules ?? []) if ((module.chunks ?? []).length > 0) add(module);
  const entries = [...roots].map((root) => {
    const dir = join(ROOT, root);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      name: string;
      license?: string;
    };
    const file = readdirSync(dir).find(
      (f) => /^licen[cs]e/i.test(f) && !statSync(join(dir, f)).isDirectory(),
    );
    const text = file ? readFileSync(join(dir, file), 'utf8').replace(/\r\n/g, '\n') : undefined;
    return { name: pkg.name, license: pkg.license, text };
  });
  const unique = [...new Map(entries.map((e) => [e.name, e])).values()];
  return (
    unique
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .reduce(
        (out, e) => `${out}${e.name}${e.license ? `\n${e.license}` : ''}${e.text ? `\n${e.text}` : ''}\n\n`,
        '',
      )
      .trim() + '\n'
  );
}

/**
 * Packages declared side-effect free to the bundler (see side-effects-free.mjs): webpack drops
 * their modules an action does not use. @actions/core: OIDC (getIDToken) pulls in
 * @actions/http-client and undici, which every other action would evaluate at start-up for nothing.
 */
const SIDE_EFFECT_FREE = ['@actions/core'];
const preload = join(ROOT, 'packages', 'devtools', 'src', 'side-effects-free.mjs');

const only = process.argv.slice(2);
const ncc = join(ROOT, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
const bundles = readdirSync(join(ROOT, 'actions'))
  .filter((name) => existsSync(join(ROOT, 'actions', name, 'src', 'main.ts')))
  .sort();
let failed = false;
for (const name of bundles) {
  if (only.length > 0 && !only.includes(name)) continue;
  // src/index.ts only calls main.ts's run(); an action without one yet is bundled from main.ts.
  const entry = existsSync(join(ROOT, 'actions', name, 'src', 'index.ts'))
    ? `actions/${name}/src/index.ts`
    : `actions/${name}/src/main.ts`;
  const out = `actions/${name}/dist`;
  rmSync(join(ROOT, out), { recursive: true, force: true });
  const started = Date.now();
  const stats = join(tmpdir(), `sd-actions-build-${name}-${process.pid}.json`);
  const args = [ncc, 'build', entry, '--out', out, '--minify', '--license', 'licenses.txt', '--quiet'];
  const result = spawnSync(
    process.execPath,
    ['--import', pathToFileURL(preload).href, ...args, '--stats-out', stats],
    {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, SD_ACTIONS_SIDE_EFFECT_FREE: JSON.stringify(SIDE_EFFECT_FREE) },
    },
  );
  if (result.status !== 0) {
    failed = true;
    console.error(`build: ${name} failed`);
  } else {
    writeFileSync(join(ROOT, out, 'licenses.txt'), licenses(stats));
    console.log(`build: ${name} -> ${out}/index.js (${Date.now() - started} ms)`);
  }
  rmSync(stats, { force: true });
}
process.exit(failed ? 1 : 0);
