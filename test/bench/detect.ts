/**
 * Benchmark of detect-changed-service on a large monorepo.
 *
 *   node --import tsx test/bench/detect.ts [--fresh] [--reps=9] [--profile]
 *        [--services=2000] [--files=50000] [--commits=3000] [--push-commits=50] [--touched=30]
 *
 * The repository is generated once with `git fast-import` (a stream built here, passed on stdin)
 * and cached under os.tmpdir(), keyed by the parameters; --fresh regenerates it. A push of
 * --push-commits commits touching --touched services sits on top of --commits of history.
 *
 * Measured, interleaved, --reps times each (median reported):
 *  - the action: the committed dist/index.js under Node 24 through the sandbox runner emulation
 *    (runAction) with a push event payload; its wall time is spawn → exit of the node process;
 *  - the floor: `git diff --name-only before after` plus a bare `node -e 0` on the same Node 24;
 *  - the comparison: test/bench/paths-filter-equivalent (what dorny/paths-filter does per run in
 *    push mode, with the libraries it bundles, built here with ncc like an action and run the same
 *    way) with one filter per service: the service's path, its dependsOn and the shared paths.
 *    The target is detect at most TARGET_VS_PATHS_FILTER times its median.
 * Then the config parse alone, cold in fresh processes: js-yaml (the fast path) against the `yaml`
 * library's Document (the reference path), the evidence for keeping the fast path.
 *
 * Peak memory is the kernel's high-water mark of the node process (ru_maxrss), read from
 * process.resourceUsage().maxRSS in an `exit` hook preloaded through NODE_OPTIONS=--require, in
 * separate runs so the timings carry no hook. It is exact (no sampling gaps, unlike polling
 * /proc/<pid>/status) and uses the real runner path (unlike wrapping the spawn in /usr/bin/time,
 * which runAction does not allow). git runs as separate processes, one at a time; the largest of
 * them is the diff, whose peak is shown on the floor row via `/usr/bin/time -f %M` when available.
 *
 * --profile adds a CPU profile of one action run (--cpu-prof) and a GIT_TRACE2 log of its git
 * calls, and prints where the time goes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { GIT_ENV, NODE24, ROOT, runAction, type ActionRun } from '@sd-actions/testkit';

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

const GENERATOR_VERSION = 2;

function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}
function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  if (!arg) return fallback;
  const value = Number(arg.slice(name.length + 3));
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const P = {
  services: option('services', 2000),
  files: option('files', 50000),
  commits: option('commits', 3000),
  pushCommits: option('push-commits', 50),
  touched: option('touched', 30),
};
const REPS = option('reps', 9);
const TARGET_RATIO = 3;
const TARGET_VS_PATHS_FILTER = 0.5;
const TARGET_MB = 100;

// ---------------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------------

interface Fixture {
  repo: string;
  before: string;
  after: string;
  /** The services the push touches, sorted: what the action must report. */
  touched: string[];
  files: number;
  generatedMs: number;
}

/** Deterministic PRNG (mulberry32) so a cache key always describes the same repository. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function run(cmd: string, args: string[], cwd: string, input?: Buffer): string {
  const r = spawnSync(cmd, args, {
    cwd,
    input,
    env: { ...process.env, ...GIT_ENV },
    maxBuffer: 1 << 30,
    encoding: 'buffer',
  });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr?.toString() ?? r.error}`);
  return r.stdout.toString('utf8').trim();
}

/** A fast-import stream, built as buffers (lengths in `data` are byte counts). */
class Stream {
  private readonly parts: Buffer[] = [];
  private mark = 0;
  private time = Date.UTC(2024, 0, 1) / 1000;

  private text(s: string): void {
    this.parts.push(Buffer.from(s, 'utf8'));
  }

  private data(s: string): void {
    const body = Buffer.from(s, 'utf8');
    this.text(`data ${body.length}\n`);
    this.parts.push(body);
    this.text('\n');
  }

  /** One commit on main; `files` maps a path to its content, or null to delete it. */
  commit(message: string, files: Map<string, string | null>): number {
    const mark = ++this.mark;
    this.time += 60;
    const who = `Bench <bench@example.com> ${this.time} +0000`;
    this.text(`commit refs/heads/main\nmark :${mark}\nauthor ${who}\ncommitter ${who}\n`);
    this.data(message);
    if (mark > 1) this.text(`from :${mark - 1}\n`);
    for (const [path, content] of files) {
      if (/[\n"]/.test(path[0] ?? '') || path.includes('\n')) throw new Error(`unquotable path ${path}`);
      if (content === null) this.text(`D ${path}\n`);
      else {
        this.text(`M 100644 inline ${path}\n`);
        this.data(content);
      }
    }
    this.text('\n');
    return mark;
  }

  buffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function servicePath(i: number): { name: string; path: string } {
  const name = `svc-${String(i).padStart(4, '0')}`;
  const group = Math.floor(i / 50);
  // A few groups have spaces and unicode in their directory; every 10th service gets a sibling
  // whose name extends its own ("svc-0010" and "svc-0010-b" side by side).
  const team = group % 13 === 7 ? `team ünï ${group}` : `team-${String(group).padStart(2, '0')}`;
  if (i % 10 === 1 && i > 1) {
    const sibling = `svc-${String(i - 1).padStart(4, '0')}-b`;
    return { name: sibling, path: `services/${team}/${sibling}` };
  }
  return { name, path: `services/${team}/${name}` };
}

function generate(dir: string): Fixture {
  const started = performance.now();
  const random = rng(0x5d_ac710e);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const LIBS = 100;
  const services = Array.from({ length: P.services }, (_, i) => servicePath(i));

  // Config: every service depends on one or two libs; one in five also on a proto glob.
  const config = [
    '# generated by test/bench/detect.ts',
    'registry: { type: oci, url: registry.example/acme }',
    'services:',
  ];
  services.forEach(({ name, path }, i) => {
    const deps = [`libs/lib-${String(i % LIBS).padStart(2, '0')}`];
    if (i % 3 === 0 && (i * 7) % LIBS !== i % LIBS)
      deps.push(`libs/lib-${String((i * 7) % LIBS).padStart(2, '0')}`);
    if (i % 5 === 0) deps.push(`protos/${pick(['billing', 'orders', 'users', 'search'])}/**/*.proto`);
    config.push(`  ${name}: { path: ${JSON.stringify(path)}, dependsOn: ${JSON.stringify(deps)} }`);
  });
  config.push('shared: [package-lock.json, "tools/ci/**", ".github/workflows/**"]');

  // The initial tree: libs, protos, docs, tools, then the services share the rest.
  const tree = new Map<string, string | null>();
  const add = (path: string) =>
    tree.set(path, `// ${path}\nexport const v = ${Math.floor(random() * 1e9)};\n`);
  tree.set('.github/sd-actions.yml', config.join('\n') + '\n');
  tree.set('package-lock.json', '{}\n');
  for (let i = 0; i < 20; i++) add(`tools/ci/step-${i}.sh`);
  for (let l = 0; l < LIBS; l++)
    for (let f = 0; f < 8; f++) add(`libs/lib-${String(l).padStart(2, '0')}/src/m${f}.ts`);
  for (const domain of ['billing', 'orders', 'users', 'search'])
    for (let f = 0; f < 25; f++) add(`protos/${domain}/v${f % 3}/m${f}.proto`);
  for (let f = 0; f < 300; f++) add(`docs/section-${f % 17}/page ${f}.md`);
  const perService = Math.ceil((P.files - tree.size) / P.services);
  const serviceFiles: string[][] = services.map(({ path }) => {
    const files: string[] = [];
    for (let f = 0; f < perService; f++) {
      const sub = ['src', 'src/handlers', 'src/model', 'test', 'deploy'][f % 5];
      files.push(`${path}/${sub}/file-${f}.ts`);
    }
    return files;
  });
  for (const files of serviceFiles) for (const f of files) add(f);
  const fileCount = tree.size;

  const stream = new Stream();
  stream.commit('initial import', tree);

  // History: small commits, mostly edits, some additions and deletions.
  const all = [...tree.keys()].filter((p) => !p.startsWith('.github/'));
  let next = 0;
  for (let c = 0; c < P.commits; c++) {
    const change = new Map<string, string | null>();
    const n = 1 + Math.floor(random() * 4);
    for (let k = 0; k < n; k++) {
      const r = random();
      if (r < 0.8) change.set(pick(all), `// edit ${c}.${k}\n`);
      else if (r < 0.95) {
        const s = Math.floor(random() * P.services);
        const path = `${services[s]!.path}/src/added-${next++}.ts`;
        all.push(path);
        change.set(path, `// added in ${c}\n`);
      } else {
        const i = Math.floor(random() * all.length);
        const [gone] = all.splice(i, 1);
        change.set(gone!, null);
      }
    }
    stream.commit(`history ${c}`, change);
  }

  // The push: --push-commits commits that together touch exactly --touched services (service
  // files only, plus docs, so no dependsOn or shared rule fires).
  const touchedIdx = new Set<number>();
  while (touchedIdx.size < Math.min(P.touched, P.services)) touchedIdx.add(Math.floor(random() * P.services));
  const touchedList = [...touchedIdx];
  for (let c = 0; c < P.pushCommits; c++) {
    const change = new Map<string, string | null>();
    // Round-robin first so every touched service gets a commit, then random ones.
    const s = c < touchedList.length ? touchedList[c]! : pick(touchedList);
    change.set(pick(serviceFiles[s]!), `// pushed ${c}\n`);
    if (c % 3 === 0) change.set(`${services[s]!.path}/src/pushed-${c}.ts`, `// new ${c}\n`);
    if (c % 7 === 0) change.set(`docs/section-${c % 17}/page ${c}.md`, `pushed ${c}\n`);
    stream.commit(`push ${c}`, change);
  }
  // More touched services than push commits: fold the rest into the last commit.
  if (touchedList.length > P.pushCommits) {
    const change = new Map<string, string | null>();
    for (const s of touchedList.slice(P.pushCommits)) change.set(pick(serviceFiles[s]!), '// folded\n');
    stream.commit('push (rest)', change);
  }

  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const repo = join(dir, 'monorepo');
  mkdirSync(repo);
  run('git', ['init', '-q', '-b', 'main'], repo);
  run(
    'git',
    ['fast-import', '--quiet', '--done'],
    repo,
    Buffer.concat([stream.buffer(), Buffer.from('done\n')]),
  );
  // A checkout like actions/checkout leaves: the working tree at the pushed commit.
  run('git', ['reset', '-q', '--hard', 'main'], repo);
  const pushCount = P.pushCommits + (touchedList.length > P.pushCommits ? 1 : 0);
  const fixture: Fixture = {
    repo,
    before: run('git', ['rev-parse', `main~${pushCount}`], repo),
    after: run('git', ['rev-parse', 'main'], repo),
    touched: touchedList.map((s) => services[s]!.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    files: fileCount,
    generatedMs: Math.round(performance.now() - started),
  };
  writeFileSync(join(dir, 'fixture.json'), JSON.stringify(fixture, null, 2));
  return fixture;
}

function fixture(): { fixture: Fixture; cached: boolean } {
  const key = `v${GENERATOR_VERSION}-s${P.services}-f${P.files}-c${P.commits}-p${P.pushCommits}-t${P.touched}`;
  const dir = join(tmpdir(), `sd-actions-bench-detect-${key}`);
  const marker = join(dir, 'fixture.json');
  if (!flag('fresh') && existsSync(marker)) {
    return { fixture: JSON.parse(readFileSync(marker, 'utf8')) as Fixture, cached: true };
  }
  console.log(`Generating ${key} in ${dir} …`);
  return { fixture: generate(dir), cached: false };
}

// ---------------------------------------------------------------------------------------------
// Measurement
// ---------------------------------------------------------------------------------------------

/** Spawn and time a process to its exit; argument arrays only. */
function timed(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ ms: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve({ ms, stderr });
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

async function main(): Promise<void> {
  const { fixture: fx, cached } = fixture();
  const work = join(tmpdir(), `sd-actions-bench-run-${process.pid}`);
  mkdirSync(work, { recursive: true });
  try {
    await measure(fx, cached, work);
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(join(fx.repo, '.git', `sd-bench-touched-only-${process.pid}.yml`), { force: true });
    rmSync(join(fx.repo, '.git', `sd-bench-filters-${process.pid}.yml`), { force: true });
  }
}

async function measure(fx: Fixture, cached: boolean, work: string): Promise<void> {
  const commits = Number(run('git', ['rev-list', '--count', 'main'], fx.repo));
  console.log(
    `Repository: ${fx.repo}\n  ${P.services} services, ${fx.files} files, ${commits} commits; push of ${P.pushCommits} commits touching ${fx.touched.length} services` +
      `\n  ${cached ? 'cached' : `generated in ${fx.generatedMs} ms`} (--fresh regenerates)\n`,
  );

  // The exit hook for peak memory: ru_maxrss of the node process itself, in kB.
  const hook = join(work, 'maxrss.cjs');
  const rssFile = join(work, 'maxrss');
  writeFileSync(
    hook,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`,
  );
  const withHook = { NODE_OPTIONS: `--require=${JSON.stringify(hook)}` };
  const readRss = () => Number(readFileSync(rssFile, 'utf8'));

  // Breakdown configs, passed by absolute path through the `config` input: only the touched
  // services (isolates the cost of a 2,000-service config), and a missing file (the action stops
  // at config load: Node start-up plus evaluating the bundle). The config must be inside the
  // workspace, so they go in the repository's .git directory (untracked, invisible to the diff).
  const fullConfig = readFileSync(join(fx.repo, '.github', 'sd-actions.yml'), 'utf8').split('\n');
  const smallConfig = join(fx.repo, '.git', `sd-bench-touched-only-${process.pid}.yml`);
  writeFileSync(
    smallConfig,
    fullConfig
      .filter((l) => !l.startsWith('  ') || fx.touched.some((t) => l.startsWith(`  ${t}:`)))
      .join('\n'),
  );

  // The paths-filter equivalent: one filter per service (its path, its dependsOn, the shared
  // paths through an anchor), the way a monorepo feeds paths-filter; a directory becomes `dir/**`.
  const pathsFilterDir = join('test', 'bench', 'paths-filter-equivalent');
  buildPathsFilterEquivalent(pathsFilterDir);
  const filtersFile = join(fx.repo, '.git', `sd-bench-filters-${process.pid}.yml`);
  writeFileSync(filtersFile, pathsFilterYaml(fx.repo));

  const ref = 'refs/heads/main';
  const pathsFilter = async (env?: Record<string, string>): Promise<ActionRun> => {
    const r = await runAction('paths-filter-equivalent', {
      actionDir: pathsFilterDir,
      workspace: fx.repo,
      event: 'push',
      sha: fx.after,
      ref,
      payload: { before: fx.before, after: fx.after, ref, repository: { default_branch: 'main' } },
      inputs: { filters: filtersFile },
      env,
    });
    if (r.code !== 0)
      throw new Error(`paths-filter equivalent failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    const got = (JSON.parse(r.outputs.changes ?? '[]') as string[]).sort();
    if (JSON.stringify(got) !== JSON.stringify(fx.touched))
      throw new Error(
        `paths-filter equivalent reported ${JSON.stringify(got)}, expected ${JSON.stringify(fx.touched)}`,
      );
    return r;
  };
  const detect = (env?: Record<string, string>, config?: string): Promise<ActionRun> =>
    runAction('detect-changed-service', {
      workspace: fx.repo,
      event: 'push',
      sha: fx.after,
      ref,
      payload: { before: fx.before, after: fx.after, ref, repository: { default_branch: 'main' } },
      inputs: config ? { config } : {},
      env,
    });
  const check = (r: ActionRun) => {
    if (r.code !== 0) throw new Error(`action failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    const got = r.outputs.services ?? '';
    if (got !== JSON.stringify(fx.touched))
      throw new Error(
        `action reported ${got}, expected the ${fx.touched.length} touched services ${JSON.stringify(fx.touched)}`,
      );
    return r;
  };
  const checkFails = (r: ActionRun) => {
    if (r.code !== 1 || !r.annotations[0]?.message.includes('does not exist'))
      throw new Error(`expected a missing-config error:\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const gitEnv = { ...process.env, ...GIT_ENV, LC_ALL: 'C' };
  const diffArgs = ['diff', '--name-only', fx.before, fx.after];
  const cleanEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(INPUT_|GITHUB_|RUNNER_|ACTIONS_|NODE_OPTIONS$)/.test(k)),
  );

  interface Variant {
    label: string;
    once: (env?: Record<string, string>) => Promise<number>;
    ms: number[];
    rssKb: number[];
  }
  const variant = (label: string, once: Variant['once']): Variant => ({ label, once, ms: [], rssKb: [] });
  const diffFiles = run('git', diffArgs, fx.repo).split('\n').length;
  const gitDiff = variant(`git diff --name-only (${diffFiles} files)`, async () => {
    return (await timed('git', diffArgs, fx.repo, gitEnv)).ms;
  });
  const nodeStart = variant('node -e 0 (Node 24)', async (env) => {
    return (await timed(NODE24, ['-e', '0'], work, { ...cleanEnv, ...env })).ms;
  });
  const action = variant(`detect-changed-service (${fx.touched.length} of ${P.services})`, async (env) => {
    return check(await detect(env)).ms;
  });
  const small = variant(`  same, config of the ${fx.touched.length} services only`, async (env) => {
    return check(await detect(env, smallConfig)).ms;
  });
  const loadOnly = variant('  same, config missing (start-up + bundle)', async (env) => {
    return checkFails(await detect(env, join(fx.repo, '.git', 'sd-bench-missing.yml'))).ms;
  });
  const paths = variant(`paths-filter equivalent (${P.services} filters)`, async (env) => {
    return (await pathsFilter(env)).ms;
  });
  const all = [gitDiff, nodeStart, action, small, loadOnly, paths];

  // Warm up the page cache and the node binary, then interleave so load spikes hit all alike.
  for (const v of all) await v.once();
  for (let i = 0; i < REPS; i++) for (const v of all) v.ms.push(await v.once());
  // Peak memory, in separate runs with the hook.
  for (let i = 0; i < Math.min(REPS, 3); i++) {
    for (const v of [nodeStart, action, small, loadOnly, paths]) {
      await v.once(withHook);
      v.rssKb.push(readRss());
    }
  }
  if (existsSync('/usr/bin/time')) {
    const r = await timed('/usr/bin/time', ['-f', '%M', 'git', ...diffArgs], fx.repo, gitEnv);
    gitDiff.rssKb.push(Number(r.stderr.trim().split('\n').pop()));
  }

  const mb = (kbs: number[]) => (kbs.length ? (Math.max(...kbs) / 1024).toFixed(1) : 'n/a');
  const floor = median(gitDiff.ms) + median(nodeStart.ms);
  const row = (v: Variant): string[] => [
    v.label,
    fmt(median(v.ms)),
    fmt(Math.min(...v.ms)),
    mb(v.rssKb),
    v === gitDiff || v === nodeStart ? '' : (median(v.ms) / floor).toFixed(2),
  ];
  const rows = [
    row(gitDiff),
    row(nodeStart),
    [
      'floor (sum)',
      fmt(floor),
      fmt(Math.min(...gitDiff.ms) + Math.min(...nodeStart.ms)),
      mb([...gitDiff.rssKb, ...nodeStart.rssKb]),
      '1.00',
    ],
    row(action),
    row(small),
    row(loadOnly),
    row(paths),
  ];
  const header = ['', 'median ms', 'min ms', 'peak RSS MB', 'x floor'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells.map((s, c) => (c === 0 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!))).join('  ');
  console.log(`${REPS} repetitions each, interleaved; wall time of the process, spawn to exit`);
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(r));

  const ratio = median(action.ms) / floor;
  const peakMb = Math.max(...action.rssKb) / 1024;
  console.log(
    `\nTarget: at most ${TARGET_RATIO}x the floor and under ${TARGET_MB} MB: ` +
      `${ratio <= TARGET_RATIO ? 'met' : 'MISSED'} (${ratio.toFixed(2)}x), ${peakMb < TARGET_MB ? 'met' : 'MISSED'} (${peakMb.toFixed(1)} MB)`,
  );

  const vsPaths = median(action.ms) / median(paths.ms);
  console.log(
    `Target: at most ${TARGET_VS_PATHS_FILTER}x the paths-filter equivalent's median: ` +
      `${vsPaths <= TARGET_VS_PATHS_FILTER ? 'met' : 'MISSED'} (${vsPaths.toFixed(2)}x: ${fmt(median(action.ms))} / ${fmt(median(paths.ms))} ms; ` +
      `start-up + bundle alone ${(median(loadOnly.ms) / median(paths.ms)).toFixed(2)}x)`,
  );
  console.log(
    `Load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );

  await parsers(fx, work);
  if (flag('profile')) await profile(work, detect, check);
}

/**
 * The config parse in a fresh Node 24 process (cold, as in a run), by the two YAML libraries:
 * js-yaml (config-fast.ts, the path a valid config takes) and the `yaml` library's Document (the
 * reference path, for positions). Both libraries are imported before the clock starts.
 */
async function parsers(fx: Fixture, work: string): Promise<void> {
  const config = join(fx.repo, '.github', 'sd-actions.yml');
  const script = join(work, 'parse.mjs');
  const url = (name: string) => JSON.stringify(pathToFileURL(join(ROOT, 'node_modules', name)).href);
  writeFileSync(
    script,
    `import { readFileSync } from 'node:fs';
import jsyaml from ${url('js-yaml/dist/js-yaml.mjs')};
import { parseDocument } from ${url('yaml/dist/index.js')};
const text = readFileSync(process.argv[2], 'utf8');
const t = performance.now();
if (process.argv[3] === 'js-yaml') jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA, listener() {} });
else parseDocument(text).toJS();
console.log(performance.now() - t);
`,
  );
  const once = (lib: string) => Number(run(NODE24, [script, config, lib], work));
  const ms: Record<string, number[]> = { 'js-yaml': [], yaml: [] };
  for (let i = 0; i < REPS; i++) for (const lib of Object.keys(ms)) ms[lib]!.push(once(lib));
  console.log(
    `Config parse (${P.services} services, ${readFileSync(config).length} bytes), fresh process, median of ${REPS}: ` +
      `js-yaml (the fast path) ${fmt(median(ms['js-yaml']!))} ms, \`yaml\` Document ${fmt(median(ms.yaml!))} ms`,
  );
}

/** Bundle the paths-filter equivalent with ncc, as an action is built (into its ignored dist/). */
function buildPathsFilterEquivalent(dir: string): void {
  const ncc = join(ROOT, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
  const args = [ncc, 'build', join(dir, 'src', 'main.ts'), '--out', join(dir, 'dist'), '--minify', '--quiet'];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`building ${dir} failed (${r.status ?? r.signal})`);
}

/** paths-filter filters for the generated config: a service's path and dependsOn, plus the shared paths. */
function pathsFilterYaml(repo: string): string {
  const config = readFileSync(join(repo, '.github', 'sd-actions.yml'), 'utf8');
  const glob = (p: string) => (/[*?[{]/.test(p) ? p : `${p}/**`);
  const shared = /^shared: \[(.*)\]$/m
    .exec(config)![1]!
    .split(', ')
    .map((p) => p.replace(/^"|"$/g, ''));
  const lines = ['shared: &shared', ...shared.map((p) => `  - ${JSON.stringify(p)}`)];
  for (const m of config.matchAll(/^ {2}(\S+): \{ path: ("[^"]*"), dependsOn: (\[.*\]) \}$/gm)) {
    const path = JSON.parse(m[2]!) as string;
    const deps = JSON.parse(m[3]!) as string[];
    lines.push(`${m[1]}:`, ...[path, ...deps].map((p) => `  - ${JSON.stringify(glob(p))}`), '  - *shared');
  }
  return lines.join('\n') + '\n';
}

function fmt(ms: number): string {
  return ms.toFixed(1);
}

// ---------------------------------------------------------------------------------------------
// Profile: where the action's time goes
// ---------------------------------------------------------------------------------------------

interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Functions whose inclusive time explains the action's phases. */
const PHASES: [string, string][] = [
  ['run', 'the action run()'],
  ['parseConfig', 'config parse + validate'],
  ['loadPlain', '  YAML to plain JS (js-yaml fast path)'],
  ['readConfig', '  validate'],
  ['readServices', '    services'],
  ['checkServiceRefNames', '    service ref names'],
  ['readEnvironments', '    environments'],
  ['readConfigDocument', '  `yaml` Document (only for a config the fast path refuses)'],
  ['resolveComparison', 'resolve base/head (git rev-parse)'],
  ['changedFiles', 'git diff --name-status'],
  ['ChangeMatcher', 'build the matcher (compile rules)'],
  ['compileRule', '  compile one dependsOn/shared rule'],
  ['picomatch', '  picomatch compile'],
  ['match', 'match changed files (incl. picomatch regex tests)'],
  ['pathsAt', 'service paths present at head (git cat-file --batch-check)'],
  ['writeSummary', 'write the job summary'],
];

async function profile(
  work: string,
  detect: (env?: Record<string, string>) => Promise<ActionRun>,
  check: (r: ActionRun) => ActionRun,
): Promise<void> {
  const profDir = join(work, 'prof');
  const trace = join(work, 'trace2.json');
  mkdirSync(profDir, { recursive: true });
  const r = check(
    await detect({
      NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${JSON.stringify(profDir)}`,
      GIT_TRACE2_EVENT: trace,
    }),
  );
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no CPU profile written');
  const prof = JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile;

  // Self time per node, then per function (url:line name) and per category.
  const self = new Map<number, number>();
  prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0) / 1000));
  const byFunction = new Map<string, number>();
  const byCategory = new Map<string, number>();
  for (const node of prof.nodes) {
    const ms = self.get(node.id) ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${url.replace(/^.*\/(actions|node_modules)\//, '$1/')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    const category = functionName.startsWith('(')
      ? functionName // (idle) = waiting for git, (program) = parse/compile/native, (garbage collector)
      : url.includes('dist/index.js')
        ? 'bundle JavaScript'
        : url.startsWith('node:')
          ? 'node internals'
          : 'other';
    byCategory.set(category, (byCategory.get(category) ?? 0) + ms);
  }
  const total = (prof.endTime - prof.startTime) / 1000;
  console.log(`\nCPU profile of one run (${r.ms} ms wall, ${total.toFixed(1)} ms profiled):`);
  for (const [k, v] of [...byCategory].sort((a, b) => b[1] - a[1]))
    console.log(`  ${v.toFixed(1).padStart(7)} ms  ${k}`);
  console.log('Top self time:');
  for (const [k, v] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 15))
    console.log(`  ${v.toFixed(1).padStart(7)} ms  ${k}`);

  // Inclusive time of the functions that make up the action's phases (recursion counted once).
  const parent = new Map<number, number>();
  for (const node of prof.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const nodeById = new Map(prof.nodes.map((n) => [n.id, n]));
  const inclusive = new Map<string, number>();
  for (const [id, ms] of self) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const name = nodeById.get(cur)!.callFrame.functionName;
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + ms);
    }
  }
  console.log('Inclusive time of the phases (names survive the minified bundle):');
  // GC samples sit at the root of the profile, not under the function that allocated.
  const gc = inclusive.get('(garbage collector)') ?? 0;
  const outside = total - (inclusive.get('run') ?? 0) - gc;
  console.log(
    `  ${outside.toFixed(1).padStart(7)} ms  outside run(): Node start-up, bundle compile and evaluation, exit`,
  );
  console.log(`  ${gc.toFixed(1).padStart(7)} ms  garbage collection (anywhere; mostly the YAML parse)`);
  for (const [name, what] of PHASES) {
    const ms = inclusive.get(name);
    if (ms !== undefined) console.log(`  ${ms.toFixed(1).padStart(7)} ms  ${what} (${name})`);
  }

  // git calls from the trace2 event log: one `start` and one `exit` per process.
  const calls = new Map<string, { argv: string[]; ms?: number }>();
  for (const line of readFileSync(trace, 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line) as { event: string; sid: string; argv?: string[]; t_abs?: number };
    if (e.sid.includes('/')) continue; // nested git processes (none expected)
    if (e.event === 'start') calls.set(e.sid, { argv: e.argv ?? [] });
    if (e.event === 'exit' && calls.has(e.sid)) calls.get(e.sid)!.ms = (e.t_abs ?? 0) * 1000;
  }
  const gitTotal = [...calls.values()].reduce((s, c) => s + (c.ms ?? 0), 0);
  console.log(`git: ${calls.size} processes, ${gitTotal.toFixed(1)} ms in git itself:`);
  for (const c of calls.values())
    console.log(`  ${(c.ms ?? 0).toFixed(1).padStart(7)} ms  ${c.argv.slice(1).join(' ').slice(0, 110)}`);
}

await main();
