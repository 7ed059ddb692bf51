/**
 * Property test: for random service layouts and random git histories, the committed
 * detect-changed-service bundle reports exactly the services that a naive, independently written
 * reference derives from `git diff --name-status -M base head`.
 *
 * The reference deliberately shares nothing with packages/core: it parses git's rename-aware
 * output itself (a rename counts for its old and its new path), owns a file by plain string
 * comparison (`file === dir || file.startsWith(dir + '/')`), knows from the generator whether a
 * dependsOn/shared entry is a path or a glob (no guessing from its characters), and only borrows
 * picomatch for glob semantics. The action, by contrast, diffs with --no-renames and matches with
 * a directory map.
 *
 * Reproduce a failure with the seed and path fast-check prints: FC_SEED=<seed> FC_PATH=<path>.
 * More runs: FC_RUNS=200.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import picomatch from 'picomatch';
import {
  commit,
  GIT_ENV,
  initRepo,
  removeDir,
  runAction,
  tempDir,
  type ActionRun,
} from '@sd-actions/testkit';

// ---------------------------------------------------------------------------------------------
// The path universe. Directory segments and file names are disjoint, so a path is never both a
// file and a directory. The segments include prefixes of each other ("a", "a-b", "a.b"), nesting
// ("svc/a" and "svc/a/a"), spaces, and "ü" both precomposed (NFC) and decomposed (NFD), which are
// different byte strings and must be treated as different directories.
// ---------------------------------------------------------------------------------------------

const LEVEL1 = ['svc', 'libs', 'ünï dir'];
const LEVEL2 = ['a', 'a-b', 'a.b', '\u00fc x', '@x c++ (old)'];
const LEVEL3 = ['a', 'u\u0308 x'];
const DIRS: string[] = [];
for (const a of LEVEL1) {
  DIRS.push(a);
  for (const b of LEVEL2) {
    DIRS.push(`${a}/${b}`);
    for (const c of LEVEL3) DIRS.push(`${a}/${b}/${c}`);
  }
}
/** File names: spaces, unicode, a dot file, glob metacharacters, a newline and a tab. */
const SAFE_NAMES = ['f.txt', 'app file.js', 'файл.md', '.hidden', 'api.proto'];
const ODD_NAMES = ['x[1]+(y).proto', 'line\nbreak.txt', 'tab\there.js'];
const FILES: string[] = [...SAFE_NAMES, ...ODD_NAMES];
for (const dir of DIRS) for (const name of [...SAFE_NAMES, ...ODD_NAMES]) FILES.push(`${dir}/${name}`);
/**
 * Targets of plain-path dependsOn/shared entries. Paths with a bracket class are left out: the
 * config cannot tell `libs/x[1]` the path from `libs/x[1]` the glob. `@ + ( )` and spaces are
 * ordinary path characters (the "@x c++ (old)" directories), also in service paths.
 */
const PLAIN_TARGETS = [...DIRS, ...FILES.filter((f) => !/[[\]\n\t]/.test(f))];
const GLOBS = [
  '**/*.proto',
  '**/*.md',
  '*.js',
  '**/.hidden',
  'libs/**',
  'libs/a/**',
  'libs/a*/**',
  'svc/*/f.txt',
  '**/a/**',
  '{svc,libs}/a-b/*.js',
  'ünï dir/**/файл.md',
  `**/u\u0308 x/**`,
  'svc/a.b/**/*',
];
const SERVICE_NAMES = ['web', 'api', 'api-v2', 'Api', 'a.b', 'x_1', '9lives', 'zeta', 'Z'];

// ---------------------------------------------------------------------------------------------
// Scenario model
// ---------------------------------------------------------------------------------------------

type Dep = { kind: 'path'; path: string; style: PathStyle } | { kind: 'glob'; glob: string };
/** How a plain path is spelled in the config; the action must normalise all of them. */
type PathStyle = 'plain' | 'dot-slash' | 'trailing-slash' | 'double-slash';

interface ServiceSpec {
  name: string;
  path: string;
  style: PathStyle;
  dependsOn: Dep[];
}

type Op =
  | { op: 'add'; path: string }
  | { op: 'modify'; pick: number }
  | { op: 'chmod'; pick: number }
  | { op: 'delete'; pick: number }
  | { op: 'rename'; pick: number; to: string; edit: boolean }
  | { op: 'deleteDir'; pick: number }
  | { op: 'moveDir'; pick: number; to: string };

interface Scenario {
  services: ServiceSpec[];
  shared: Dep[];
  /** Files of the first commit (besides the config). */
  base: string[];
  /** Each inner array is one commit. */
  commits: Op[][];
  /**
   * Compared commits: indices into [first, ...commits], taken modulo its length; equal indices
   * are moved apart (an empty diff is trivial). `to` may precede `from`.
   */
  from: number;
  to: number;
  via: 'inputs' | 'push';
}

const styleArb = fc.constantFrom<PathStyle>('plain', 'plain', 'dot-slash', 'trailing-slash', 'double-slash');
const depArb: fc.Arbitrary<Dep> = fc.oneof(
  fc.record({ kind: fc.constant('path' as const), path: fc.constantFrom(...PLAIN_TARGETS), style: styleArb }),
  fc.record({ kind: fc.constant('glob' as const), glob: fc.constantFrom(...GLOBS) }),
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('add' as const), path: fc.constantFrom(...FILES) }),
  fc.record({ op: fc.constant('modify' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('chmod' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({
    op: fc.constant('rename' as const),
    pick: fc.nat(),
    to: fc.constantFrom(...FILES),
    edit: fc.boolean(),
  }),
  fc.record({ op: fc.constant('deleteDir' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('moveDir' as const), pick: fc.nat(), to: fc.constantFrom(...DIRS) }),
);
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  services: fc.uniqueArray(
    fc.record({
      name: fc.constantFrom(...SERVICE_NAMES),
      path: fc.constantFrom(...DIRS),
      style: styleArb,
      dependsOn: fc.array(depArb, { maxLength: 2 }),
    }),
    { minLength: 1, maxLength: 6, selector: (s) => s.name },
  ),
  shared: fc.array(depArb, { maxLength: 2 }),
  base: fc.uniqueArray(fc.constantFrom(...FILES), { minLength: 2, maxLength: 25 }),
  commits: fc.array(fc.array(opArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }),
  from: fc.nat(),
  to: fc.nat(),
  via: fc.constantFrom('inputs' as const, 'push' as const),
});

function spell(path: string, style: PathStyle): string {
  switch (style) {
    case 'plain':
      return path;
    case 'dot-slash':
      return `./${path}`;
    case 'trailing-slash':
      return `${path}/`;
    case 'double-slash':
      return path.replace('/', '//');
  }
}

/** The config as YAML: JSON strings are valid YAML double-quoted scalars. */
function configText(s: Scenario): string {
  const q = (v: string) => JSON.stringify(v);
  const dep = (d: Dep) => q(d.kind === 'glob' ? d.glob : spell(d.path, d.style));
  const lines = ['# generated by the property test', 'services:'];
  s.services.forEach((svc, i) => {
    const deps = svc.dependsOn.length ? `, dependsOn: [${svc.dependsOn.map(dep).join(', ')}]` : '';
    lines.push(`  ${q(svc.name)}: { path: ${q(spell(svc.path, svc.style))}, image: img-${i}${deps} }`);
  });
  if (s.shared.length) lines.push(`shared: [${s.shared.map(dep).join(', ')}]`);
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Building the history
// ---------------------------------------------------------------------------------------------

interface FileState {
  content: string;
  exec: boolean;
}

let writes = 0;
const newContent = (path: string) => `${path}\ncontent #${++writes}\n`;

function ancestorsOf(files: Iterable<string>): string[] {
  const dirs = new Set<string>();
  for (const f of files)
    for (let i = f.indexOf('/'); i > 0; i = f.indexOf('/', i + 1)) dirs.add(f.slice(0, i));
  return [...dirs].sort();
}

/** Apply one commit's operations to the model and return what to write (null deletes). */
function applyOps(state: Map<string, FileState>, ops: Op[]): Map<string, FileState | null> {
  const touched = new Map<string, FileState | null>();
  const set = (path: string, value: FileState | null) => {
    if (value) state.set(path, value);
    else state.delete(path);
    touched.set(path, value);
  };
  for (const op of ops) {
    const files = [...state.keys()].sort();
    const picked = files.length ? files[(op as { pick?: number }).pick! % files.length] : undefined;
    switch (op.op) {
      case 'add':
        set(op.path, { content: newContent(op.path), exec: false });
        break;
      case 'modify':
        if (picked)
          set(picked, { ...state.get(picked)!, content: `${state.get(picked)!.content}more ${++writes}\n` });
        break;
      case 'chmod':
        if (picked) set(picked, { ...state.get(picked)!, exec: !state.get(picked)!.exec });
        break;
      case 'delete':
        if (picked) set(picked, null);
        break;
      case 'rename': {
        if (!picked || picked === op.to) break;
        const old = state.get(picked)!;
        set(picked, null);
        set(op.to, { ...old, content: op.edit ? `${old.content}edited ${++writes}\n` : old.content });
        break;
      }
      case 'deleteDir':
      case 'moveDir': {
        const dirs = ancestorsOf(files);
        if (dirs.length === 0) break;
        const dir = dirs[op.pick % dirs.length]!;
        if (op.op === 'moveDir' && (op.to === dir || op.to.startsWith(`${dir}/`))) break;
        for (const f of files.filter((f) => f.startsWith(`${dir}/`))) {
          const old = state.get(f)!;
          set(f, null);
          if (op.op === 'moveDir') set(op.to + f.slice(dir.length), old);
        }
        break;
      }
    }
  }
  return touched;
}

function writeTree(repo: string, touched: Map<string, FileState | null>): void {
  for (const [path, file] of touched) {
    const full = join(repo, path);
    if (!file) {
      rmSync(full, { force: true });
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, file.content);
    chmodSync(full, file.exec ? 0o755 : 0o644);
  }
}

// ---------------------------------------------------------------------------------------------
// The reference
// ---------------------------------------------------------------------------------------------

interface Diff {
  /** Lines like `R100 old -> new`, for messages. */
  listing: string[];
  /** Every path the diff mentions: both sides of a rename. */
  paths: string[];
}

function referenceDiff(repo: string, base: string, head: string): Diff {
  const out = execFileSync('git', ['diff', '--name-status', '-M', '-z', '--no-ext-diff', base, head], {
    cwd: repo,
    env: { ...process.env, ...GIT_ENV },
    encoding: 'utf8',
  });
  const fields = out.split('\0');
  const listing: string[] = [];
  const paths: string[] = [];
  for (let i = 0; i < fields.length - 1;) {
    const status = fields[i++]!;
    if (status.startsWith('R') || status.startsWith('C')) {
      const [from, to] = [fields[i++]!, fields[i++]!];
      paths.push(from, to);
      listing.push(`${status} ${JSON.stringify(from)} -> ${JSON.stringify(to)}`);
    } else {
      const path = fields[i++]!;
      paths.push(path);
      listing.push(`${status} ${JSON.stringify(path)}`);
    }
  }
  return { listing, paths };
}

function depMatcher(dep: Dep): (file: string) => boolean {
  if (dep.kind === 'glob') {
    // Wrapped: a bare picomatch matcher passed to find() would take the index as `returnObject`.
    const isMatch = picomatch(dep.glob, { dot: true });
    return (file) => isMatch(file);
  }
  return (file) => file === dep.path || file.startsWith(dep.path + '/');
}

/** Which services the changed paths mark, with the first reason found for each. */
function referenceServices(s: Scenario, paths: string[]): Map<string, string> {
  const why = new Map<string, string>();
  for (const dep of s.shared) {
    const hit = paths.find(depMatcher(dep));
    if (hit !== undefined) for (const svc of s.services) why.set(svc.name, `shared ${JSON.stringify(hit)}`);
  }
  for (const svc of s.services) {
    if (why.has(svc.name)) continue;
    const own = paths.find((p) => p === svc.path || p.startsWith(svc.path + '/'));
    if (own !== undefined) {
      why.set(svc.name, `own path ${JSON.stringify(own)}`);
      continue;
    }
    for (const dep of svc.dependsOn) {
      const hit = paths.find(depMatcher(dep));
      if (hit !== undefined) {
        why.set(svc.name, `dependsOn ${JSON.stringify(hit)}`);
        break;
      }
    }
  }
  return why;
}

// ---------------------------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------------------------

let root: string;
let runs = 0;

beforeAll(() => {
  root = tempDir('detect-property-');
});
afterAll(() => removeDir(root));

async function check(s: Scenario): Promise<void> {
  const repo = initRepo(join(root, `repo-${++runs}`));
  try {
    const config = configText(s);
    const state = new Map<string, FileState>();
    const first = applyOps(
      state,
      s.base.map((path) => ({ op: 'add', path })),
    );
    writeTree(repo, first);
    mkdirSync(join(repo, '.github'), { recursive: true });
    writeFileSync(join(repo, '.github', 'sd-actions.yml'), config);
    const shas = [commit(repo, 'base')];
    s.commits.forEach((ops, i) => {
      writeTree(repo, applyOps(state, ops));
      shas.push(commit(repo, `commit ${i + 1}`));
    });
    const from = s.from % shas.length;
    const to = from === s.to % shas.length ? (from + 1) % shas.length : s.to % shas.length;
    const [base, head] = [shas[from]!, shas[to]!];

    const run: ActionRun =
      s.via === 'inputs'
        ? await runAction('detect-changed-service', {
            workspace: repo,
            event: 'workflow_dispatch',
            sha: head,
            inputs: { base, head },
          })
        : await runAction('detect-changed-service', {
            workspace: repo,
            event: 'push',
            sha: head,
            ref: 'refs/heads/feature',
            payload: {
              before: base,
              after: head,
              ref: 'refs/heads/feature',
              repository: { default_branch: 'main' },
            },
          });

    const diff = referenceDiff(repo, base, head);
    const expected = referenceServices(s, diff.paths);
    const expectedNames = [...expected.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const explain = (actual: string) =>
      [
        `compared commit ${from}..${to} of ${shas.length} (0 = base) via ${s.via}`,
        `config:\n${config.replace(/^/gm, '    ')}`,
        `git diff --name-status -M:\n${diff.listing.map((l) => `    ${l}`).join('\n') || '    (nothing)'}`,
        `expected services: ${JSON.stringify(expectedNames)}`,
        ...[...expected].map(([name, reason]) => `    ${name}: ${reason}`),
        `action services:   ${actual}`,
        `action reasons:    ${run.outputs.reasons ?? '(none)'}`,
      ].join('\n');

    if (run.code !== 0)
      throw new Error(`action exited ${run.code}\n${run.stdout}\n${run.stderr}\n${explain('(failed)')}`);
    const actual = JSON.parse(run.outputs.services ?? 'null') as string[];
    if (JSON.stringify(actual) !== JSON.stringify(expectedNames))
      throw new Error(`services differ\n${explain(JSON.stringify(actual))}`);
    // The other outputs agree with `services`.
    const matrix = JSON.parse(run.outputs.matrix ?? 'null') as { include: { service: string }[] };
    const reasons = JSON.parse(run.outputs.reasons ?? 'null') as Record<string, string>;
    if (
      JSON.stringify(matrix.include.map((m) => m.service)) !== JSON.stringify(actual) ||
      JSON.stringify(Object.keys(reasons).sort()) !== JSON.stringify([...actual].sort()) ||
      run.outputs['any-changed'] !== String(actual.length > 0) ||
      run.outputs.base !== base ||
      run.outputs.head !== head
    )
      throw new Error(
        `outputs disagree with services\n${JSON.stringify(run.outputs, null, 2)}\n${explain(JSON.stringify(actual))}`,
      );
  } finally {
    removeDir(repo);
  }
}

test('reports exactly the services a naive reference finds in git diff --name-status -M', async () => {
  const seed = process.env.FC_SEED;
  const started = Date.now();
  await fc.assert(fc.asyncProperty(scenarioArb, check), {
    numRuns: Number(process.env.FC_RUNS ?? 40),
    verbose: fc.VerbosityLevel.Verbose,
    ...(seed ? { seed: Number(seed), path: process.env.FC_PATH } : {}),
    // Shrinking replays whole histories; cap it so a failure is reported rather than timed out.
    plugins: [fc.interruptAfterTimeLimit(240_000)],
  });
  expect(runs).toBeGreaterThan(0);
  console.log(`${runs} histories checked in ${Date.now() - started} ms`);
});
