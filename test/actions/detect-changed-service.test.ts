/**
 * detect-changed-service, run from its committed bundle the way the runner runs it, against real
 * git repositories: a bare origin and checkouts like actions/checkout makes.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  checkoutClone,
  ROOT,
  commit,
  git,
  originAndClone,
  removeDir,
  runAction,
  tempDir,
  type ActionRun,
} from '@sd-actions/testkit';

const CONFIG = `# test monorepo
registry: { type: oci, url: registry.example:5000/acme }
services:
  blue: { path: projects/blue, dependsOn: [libs/payments] }
  blue-green: { path: projects/blue-green }
  green: { path: projects/green, dependsOn: ["libs/**/*.proto"] }
  red: { path: "projects/red team", image: red-team }
  uni: { path: "projects/ünïcödé" }
shared: [package-lock.json, "libs/common/**"]
`;

const BASE_FILES: Record<string, string> = {
  '.github/sd-actions.yml': CONFIG,
  'package-lock.json': '{}',
  'projects/blue/app.js': 'blue 1',
  'projects/blue-green/app.js': 'bg 1',
  'projects/green/app.js': 'green 1',
  'projects/red team/app file.js': 'red 1',
  'projects/ünïcödé/файл.txt': 'uni 1',
  'libs/payments/pay.js': 'pay 1',
  'libs/common/util.js': 'util 1',
  'libs/api/v1/green.proto': 'proto 1',
  'docs/readme.md': 'docs',
};

const ALL = ['blue', 'blue-green', 'green', 'red', 'uni'];

/** A bare origin whose main holds BASE_FILES, and a working clone to make scenarios in. */
interface World {
  root: string;
  origin: string;
  work: string;
  base: string;
  branches: number;
}

const worlds: World[] = [];
afterAll(() => worlds.forEach((w) => removeDir(w.root)));

/** Each describe builds its own world in beforeAll, so any test runs alone (`-t`) or in any order. */
function world(): World {
  const root = tempDir('detect-');
  const { origin, work } = originAndClone(root);
  const base = commit(work, 'initial', BASE_FILES);
  git(work, 'push', '-q', 'origin', 'main');
  const w = { root, origin, work, base, branches: 0 };
  worlds.push(w);
  return w;
}

function pushEvent(before: string, after: string, ref = 'refs/heads/main') {
  return {
    event: 'push',
    sha: after,
    ref,
    payload: { before, after, ref, repository: { default_branch: 'main' } },
  };
}

function detect(
  workspace: string,
  options: Partial<Parameters<typeof runAction>[1]> = {},
): Promise<ActionRun> {
  return runAction('detect-changed-service', { workspace, ...options });
}

function services(run: ActionRun): string[] {
  if (run.code !== 0) throw new Error(`action failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.outputs.services ?? 'null') as string[];
}

/** Commit on a new branch of the working repo from `base`, push it, and return a fresh checkout at it. */
function scenario(
  w: World,
  files: Record<string, string | null>,
  options: { depth?: number } = {},
): { branch: string; head: string; checkout: string } {
  const branch = `scenario-${++w.branches}`;
  git(w.work, 'checkout', '-q', '-B', branch, w.base);
  const head = commit(w.work, `change ${branch}`, files);
  git(w.work, 'push', '-q', 'origin', branch);
  const checkout = checkoutClone(w.origin, join(w.root, `checkout-${branch}`), {
    depth: options.depth ?? 1,
    ref: branch,
  });
  return { branch, head, checkout };
}

/**
 * Every event kind detect handles, as the runner delivers it: one fixture per kind in
 * fixtures/detect-events (GITHUB_EVENT_NAME, GITHUB_REF, GITHUB_SHA and the payload, with
 * {base}, {head}, {mainHead} and {gone} filled in), and one table driving the bundle with them.
 *
 * The world: main moved on after `base` (red changed there), each scenario branches off `base`,
 * and `gone` is a commit that was pushed, force-pushed away and garbage collected.
 */
describe('event kinds (fixtures)', () => {
  const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/detect-events');
  let w: World;
  let mainHead: string;
  let gone: string;

  beforeAll(() => {
    w = world();
    git(w.work, 'checkout', '-q', '-B', 'main-moved', w.base);
    mainHead = commit(w.work, 'red on main', { 'projects/red team/app file.js': 'red 3' });
    git(w.work, 'push', '-q', 'origin', 'main-moved:main');
    git(w.work, 'checkout', '-q', '-B', 'doomed', w.base);
    gone = commit(w.work, 'doomed', { 'projects/blue/app.js': 'doomed' });
    git(w.work, 'push', '-q', 'origin', 'doomed');
    git(w.origin, 'update-ref', '-d', 'refs/heads/doomed');
    git(w.origin, 'reflog', 'expire', '--expire=now', '--all');
    git(w.origin, 'gc', '-q', '--prune=now');
    git(w.work, 'checkout', '-q', '--detach');
    git(w.work, 'branch', '-q', '-D', 'doomed');
  });

  /** The runner's view of an event: the fixture with the scenario's commits filled in. */
  function eventFrom(
    file: string,
    head: string,
  ): { event: string; ref: string; sha: string; payload: Record<string, unknown> } {
    const vars: Record<string, string> = { base: w.base, head, mainHead, gone };
    const fill = (v: unknown): unknown =>
      typeof v === 'string'
        ? v.replace(/\{(\w+)\}/g, (_, k: string) => vars[k] ?? `{${k}}`)
        : Array.isArray(v)
          ? v.map(fill)
          : v && typeof v === 'object'
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]))
            : v;
    return fill(JSON.parse(readFileSync(join(FIXTURES, file), 'utf8'))) as ReturnType<typeof eventFrom>;
  }

  test('every fixture is in the table', () => {
    expect(readdirSync(FIXTURES).sort()).toEqual(EVENTS.map((row) => row[0]).sort());
  });

  type Expected = { services: string[]; base: 'base' | ''; source: string; warning?: string };
  const EVENTS: [fixture: string, change: Record<string, string>, expected: Expected][] = [
    [
      'push.json',
      { 'projects/blue/app.js': 'blue 2' },
      { services: ['blue'], base: 'base', source: 'push: the commit before the push' },
    ],
    [
      'push-default-branch.json',
      { 'libs/payments/pay.js': 'pay 2' },
      { services: ['blue'], base: 'base', source: 'push: the commit before the push' },
    ],
    [
      // The branch point, not main's newer head: main's red change is not the branch's.
      'push-new-branch.json',
      { 'projects/green/app.js': 'green 3' },
      { services: ['green'], base: 'base', source: 'new branch: merge-base with main' },
    ],
    [
      'push-first-default-branch.json',
      { 'projects/green/app.js': 'green 5' },
      { services: ALL, base: '', source: 'first push of the default branch main: every service' },
    ],
    [
      // Its before was force-pushed away: warn, and fall back to the merge-base with main.
      'push-forced.json',
      { 'projects/green/app.js': 'green 4' },
      {
        services: ['green'],
        base: 'base',
        source: 'fallback: merge-base with refs/remotes/origin/main (base',
        warning: 'force-pushed',
      },
    ],
    [
      // On the default branch itself there is no better base: every service, never nothing.
      'push-forced-default-branch.json',
      { 'projects/green/app.js': 'green 4' },
      { services: ALL, base: '', source: 'not found (force-push?): every service', warning: 'force-pushed' },
    ],
    [
      'push-tag.json',
      { 'projects/green/app.js': 'green 6' },
      { services: ALL, base: '', source: 'push of tag v1.0.0: every service' },
    ],
    [
      // What the pull request changes, not what its base gained since it branched off.
      'pull_request.json',
      { 'projects/blue/app.js': 'pr' },
      { services: ['blue'], base: 'base', source: 'pull request: merge-base with its base' },
    ],
    [
      'pull_request_target.json',
      { 'projects/blue/app.js': 'pr target' },
      { services: ['blue'], base: 'base', source: 'pull request: merge-base with its base' },
    ],
    [
      'merge_group.json',
      { 'projects/red team/app file.js': 'mq' },
      { services: ['red'], base: 'base', source: 'merge queue: the group base' },
    ],
    [
      'workflow_dispatch.json',
      {},
      { services: ALL, base: '', source: 'workflow_dispatch without the services input: every service' },
    ],
    [
      'schedule.json',
      {},
      { services: ALL, base: '', source: 'schedule without the services input: every service' },
    ],
  ];

  test.each(EVENTS)('%s', async (fixture, change, expected) => {
    const { head, checkout } = scenario(w, change);
    const run = await detect(checkout, eventFrom(fixture, head));
    expect(services(run)).toEqual(expected.services);
    expect(run.outputs.base).toBe(expected.base === 'base' ? w.base : '');
    expect(run.outputs.head).toBe(head);
    expect(run.outputs['base-source']).toContain(expected.source);
    expect(run.annotations).toEqual(
      expected.warning
        ? [expect.objectContaining({ level: 'warning', message: expect.stringContaining(expected.warning) })]
        : [],
    );
  });

  test('on-missing-base: fail stops where a force-push left no before, naming it', async () => {
    const { head, checkout } = scenario(w, { 'projects/green/app.js': 'green 7' });
    const run = await detect(checkout, {
      ...eventFrom('push-forced.json', head),
      inputs: { 'on-missing-base': 'fail' },
    });
    expect(run.code).toBe(1);
    expect(run.annotations[0]).toMatchObject({ level: 'error', message: expect.stringContaining(gone) });
    expect(run.outputs.services).toBeUndefined();
  });
});

describe('what a push changes', () => {
  let w: World;
  beforeAll(() => {
    w = world();
  });

  test('a change under one service marks only it, with matrix, reasons, SHAs and a summary', async () => {
    const { head, checkout } = scenario(w, { 'projects/blue/app.js': 'blue 2' });
    const run = await detect(checkout, pushEvent(w.base, head, 'refs/heads/scenario'));
    expect(services(run)).toEqual(['blue']);
    expect(JSON.parse(run.outputs.matrix!)).toEqual({
      include: [{ service: 'blue', path: 'projects/blue', image: 'registry.example:5000/acme/blue' }],
    });
    expect(run.outputs['any-changed']).toBe('true');
    expect(JSON.parse(run.outputs.reasons!)).toEqual({ blue: 'changed: projects/blue/app.js' });
    expect(run.outputs.base).toBe(w.base);
    expect(run.outputs.head).toBe(head);
    expect(run.summary).toContain('| Service | Path | Image | Why |');
    expect(run.summary).toMatch(/\| blue \| <code>projects\/blue<\/code>/);
    expect(run.annotations).toEqual([]);
  });

  test('"projects/blue" does not own "projects/blue-green/x"', async () => {
    const { head, checkout } = scenario(w, { 'projects/blue-green/app.js': 'bg 2' });
    expect(services(await detect(checkout, pushEvent(w.base, head)))).toEqual(['blue-green']);
  });

  test('a rename counts for both the old and the new path', async () => {
    const { head, checkout } = scenario(w, {
      'projects/blue/app.js': null,
      'projects/green/moved-from-blue.js': 'blue 1',
    });
    const run = await detect(checkout, pushEvent(w.base, head));
    expect(services(run)).toEqual(['blue', 'green']);
    expect(git(checkout, 'diff', '-M', '--name-status', w.base, head)).toMatch(/^R100/);
  });

  test('deleting a whole service directory still marks the service', async () => {
    const { head, checkout } = scenario(w, { 'projects/blue-green': null });
    const run = await detect(checkout, pushEvent(w.base, head));
    expect(services(run)).toEqual(['blue-green']);
  });

  // Every row has all four cells: jest would take a missing last one for a done callback.
  test.each<
    [what: string, change: Record<string, string>, expected: string[], reasons: Record<string, string>]
  >([
    [
      'a shared path marks every service',
      { 'libs/common/util.js': 'util 2' },
      ALL,
      { red: 'shared libs/common/**: libs/common/util.js' },
    ],
    [
      'a dependsOn path marks its service',
      { 'libs/payments/pay.js': 'pay 2' },
      ['blue'],
      { blue: 'dependsOn libs/payments: libs/payments/pay.js' },
    ],
    [
      'a dependsOn glob marks its service',
      { 'libs/api/v2/new.proto': 'proto 2' },
      ['green'],
      { green: 'dependsOn libs/**/*.proto: libs/api/v2/new.proto' },
    ],
  ])('%s', async (_what, change, expected, reasons) => {
    const { head, checkout } = scenario(w, change);
    const run = await detect(checkout, pushEvent(w.base, head));
    expect(services(run)).toEqual(expected);
    expect(JSON.parse(run.outputs.reasons!)).toMatchObject(reasons);
  });

  test('a change outside every service marks none, with an empty matrix', async () => {
    const { head, checkout } = scenario(w, { 'docs/readme.md': 'more docs' });
    const run = await detect(checkout, pushEvent(w.base, head));
    expect(services(run)).toEqual([]);
    expect(run.outputs['any-changed']).toBe('false');
    expect(JSON.parse(run.outputs.matrix!)).toEqual({ include: [] });
    expect(run.summary).toContain('No service changed');
  });

  test('paths with spaces and unicode work', async () => {
    const { head, checkout } = scenario(w, {
      'projects/red team/app file.js': 'red 2',
      'projects/ünïcödé/файл.txt': 'uni 2',
    });
    const run = await detect(checkout, pushEvent(w.base, head));
    expect(services(run)).toEqual(['red', 'uni']);
    expect(JSON.parse(run.outputs.reasons!)).toEqual({
      red: 'changed: projects/red team/app file.js',
      uni: 'changed: projects/ünïcödé/файл.txt',
    });
  });
});

describe('shallow checkouts', () => {
  let w: World;
  beforeAll(() => {
    w = world();
  });

  test('a depth-1 checkout fetches the before commit several commits back', async () => {
    const { branch, head: first } = scenario(w, { 'projects/green/app.js': 'green 2' });
    commit(w.work, 'two', { 'docs/a.md': 'a' });
    const head = commit(w.work, 'three', { 'docs/b.md': 'b' });
    git(w.work, 'push', '-q', 'origin', `HEAD:refs/heads/${branch}`);
    const checkout = checkoutClone(w.origin, join(w.root, 'deep-checkout'), { depth: 1, ref: branch });
    expect(git(checkout, 'rev-parse', '--is-shallow-repository')).toBe('true');
    const run = await detect(checkout, pushEvent(w.base, head));
    expect(services(run)).toEqual(['green']);
    // The green change is two commits behind head, and the action fetched the before commit.
    expect(git(w.work, 'rev-parse', `${head}~2`)).toBe(first);
    expect(git(checkout, 'cat-file', '-t', w.base)).toBe('commit');
  });

  test('a shallow pull request checkout is deepened step by step until the merge-base is found', async () => {
    git(w.work, 'checkout', '-q', '-B', 'long', w.base);
    for (let i = 0; i < 70; i++) commit(w.work, `c${i}`, { 'docs/log.md': `line ${i}` });
    const head = commit(w.work, 'blue', { 'projects/blue/app.js': 'long' });
    git(w.work, 'push', '-q', 'origin', 'long');
    const checkout = checkoutClone(w.origin, join(w.root, 'long-checkout'), { depth: 1, ref: 'long' });
    const payload = { pull_request: { base: { sha: w.base }, head: { sha: head } } };
    const run = await detect(checkout, { event: 'pull_request', sha: head, payload });
    expect(services(run)).toEqual(['blue']);
    expect(run.stdout).toContain('deepening to 64 commits');
    expect(run.stdout).toContain('deepening to 256 commits');

    // With a bound below the distance, it fails and says how to fix it.
    const shallow = checkoutClone(w.origin, join(w.root, 'long-checkout-2'), { depth: 1, ref: 'long' });
    const bounded = await detect(shallow, {
      event: 'pull_request',
      sha: head,
      payload,
      inputs: { 'max-fetch-depth': '20' },
    });
    expect(bounded.code).toBe(1);
    expect(bounded.annotations[0]?.message).toContain('fetch-depth: 0');
  });
});

describe('explicit inputs', () => {
  let w: World;
  beforeAll(() => {
    w = world();
  });

  test('the services input names exactly those, whatever the event', async () => {
    const { head, checkout } = scenario(w, {});
    let run = await detect(checkout, {
      event: 'workflow_dispatch',
      sha: head,
      inputs: { services: 'red\ngreen' },
    });
    expect(services(run)).toEqual(['green', 'red']);
    run = await detect(checkout, { event: 'schedule', sha: head, inputs: { services: '["blue"]' } });
    expect(services(run)).toEqual(['blue']);
  });

  test('an unknown service is a clear error', async () => {
    const { head, checkout } = scenario(w, {});
    const run = await detect(checkout, {
      event: 'workflow_dispatch',
      sha: head,
      inputs: { services: 'bleu' },
    });
    expect(run.code).toBe(1);
    expect(run.annotations).toHaveLength(1);
    expect(run.annotations[0]!.message).toBe(
      'Input "services": "bleu" is not a service in .github/sd-actions.yml (did you mean "blue"?); expected one of blue, blue-green, green, red, uni',
    );
    expect(run.stdout).not.toMatch(/at .*\.js:\d+/); // no stack trace for user errors
  });

  test('explicit base and head inputs win over the event', async () => {
    const { head, checkout } = scenario(w, { 'projects/green/app.js': 'explicit' });
    const run = await detect(checkout, {
      event: 'workflow_dispatch',
      sha: head,
      inputs: { base: w.base, head },
    });
    expect(services(run)).toEqual(['green']);
  });

  test('a ref that looks like an option never reaches git as one', async () => {
    const { head, checkout } = scenario(w, {});
    const run = await detect(checkout, {
      event: 'push',
      sha: head,
      inputs: { base: '--output=/tmp/pwned', head },
    });
    expect(run.code).toBe(1);
    expect(run.annotations[0]!.message).toContain('--output=/tmp/pwned');
  });

  test('a bad config names the file, the key and the line', async () => {
    const { head, checkout } = scenario(w, {
      '.github/sd-actions.yml': CONFIG.replace('projects/green,', '../green,'),
    });
    const run = await detect(checkout, pushEvent(w.base, head));
    expect(run.code).toBe(1);
    expect(run.annotations[0]).toMatchObject({
      level: 'error',
      message:
        '.github/sd-actions.yml: services.green.path: "../green" escapes the repository (".."); expected a path inside the repository',
      properties: expect.objectContaining({ file: '.github/sd-actions.yml', line: '6' }),
    });
  });
});

describe('the config parse', () => {
  let w: World;
  beforeAll(() => {
    w = world();
  });

  test('a valid config does not load the yaml library; an invalid one does, for the line of its message', async () => {
    const dist = join(ROOT, 'actions/detect-changed-service/dist');
    // The yaml library (and the reading with positions) sits in chunks of its own.
    const chunks = readdirSync(dist).filter((f) => /^\d+\.index\.js$/.test(f));
    const yamlChunks = chunks.filter((f) =>
      /LineCounter|Map keys must be unique/.test(readFileSync(join(dist, f), 'utf8')),
    );
    expect(yamlChunks.length).toBeGreaterThanOrEqual(1);
    expect(readFileSync(join(dist, 'index.js'), 'utf8')).not.toMatch(/LineCounter|Map keys must be unique/);

    const { head, checkout } = scenario(w, { 'projects/blue/app.js': 'blue 3' });
    const bad = join(checkout, 'bad-config.yml');
    writeFileSync(bad, 'services:\n  blue: { path: projects/blue }\n  red: { path: 42 }\n');
    const full = await detect(checkout, { ...pushEvent(w.base, head), inputs: { config: bad } });
    expect(full.code).toBe(1);
    expect(full.annotations[0]?.message).toBe(
      'bad-config.yml: services.red.path: 42 is not a non-empty string',
    );
    expect(full.annotations[0]?.properties).toMatchObject({ file: 'bad-config.yml', line: '3' });

    // Without those chunks: a valid config still works, an invalid one cannot be reported.
    const copy = join(w.root, 'detect-without-yaml');
    mkdirSync(copy);
    cpSync(join(ROOT, 'actions/detect-changed-service/action.yml'), join(copy, 'action.yml'));
    cpSync(dist, join(copy, 'dist'), { recursive: true });
    for (const chunk of yamlChunks) rmSync(join(copy, 'dist', chunk));
    const lean = await detect(checkout, { ...pushEvent(w.base, head), actionDir: relative(ROOT, copy) });
    expect(services(lean)).toEqual(['blue']);
    const broken = await detect(checkout, {
      ...pushEvent(w.base, head),
      inputs: { config: bad },
      actionDir: relative(ROOT, copy),
    });
    expect(broken.code).toBe(1);
    expect(broken.annotations[0]?.message).not.toContain('services.red.path');
  });
});
