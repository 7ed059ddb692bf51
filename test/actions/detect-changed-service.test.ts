/**
 * detect-changed-service, run from its committed bundle the way the runner runs it, against real
 * git repositories: a bare origin and checkouts like actions/checkout makes.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
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

let root: string;
let origin: string;
let work: string;
let base: string;

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

beforeAll(() => {
  root = tempDir('detect-');
  ({ origin, work } = originAndClone(root));
  base = commit(work, 'initial', BASE_FILES);
  git(work, 'push', '-q', 'origin', 'main');
});

afterAll(() => removeDir(root));

/** Commit on a branch of the working repo from `base`, push it, and return a fresh checkout at it. */
let branchCount = 0;
function scenario(
  files: Record<string, string | null>,
  options: { depth?: number } = {},
): { head: string; checkout: string } {
  const branch = `scenario-${++branchCount}`;
  git(work, 'checkout', '-q', '-B', branch, base);
  const head = commit(work, `change ${branch}`, files);
  git(work, 'push', '-q', 'origin', branch);
  const checkout = checkoutClone(origin, join(root, `checkout-${branch}`), {
    depth: options.depth ?? 1,
    ref: branch,
  });
  return { head, checkout };
}

describe('push', () => {
  test('a change under one service marks only it, with matrix, reasons, SHAs and a summary', async () => {
    const { head, checkout } = scenario({ 'projects/blue/app.js': 'blue 2' });
    const run = await detect(checkout, pushEvent(base, head, 'refs/heads/scenario'));
    expect(services(run)).toEqual(['blue']);
    expect(JSON.parse(run.outputs.matrix!)).toEqual({
      include: [{ service: 'blue', path: 'projects/blue', image: 'registry.example:5000/acme/blue' }],
    });
    expect(run.outputs['any-changed']).toBe('true');
    expect(JSON.parse(run.outputs.reasons!)).toEqual({ blue: 'changed: projects/blue/app.js' });
    expect(run.outputs.base).toBe(base);
    expect(run.outputs.head).toBe(head);
    expect(run.summary).toContain('| Service | Path | Image | Why |');
    expect(run.summary).toMatch(/\| blue \| <code>projects\/blue<\/code>/);
    expect(run.annotations).toEqual([]);
  });

  test('"projects/blue" does not own "projects/blue-green/x"', async () => {
    const { head, checkout } = scenario({ 'projects/blue-green/app.js': 'bg 2' });
    expect(services(await detect(checkout, pushEvent(base, head)))).toEqual(['blue-green']);
  });

  test('a rename counts for both the old and the new path', async () => {
    const { head, checkout } = scenario({
      'projects/blue/app.js': null,
      'projects/green/moved-from-blue.js': 'blue 1',
    });
    const run = await detect(checkout, pushEvent(base, head));
    expect(services(run)).toEqual(['blue', 'green']);
    expect(git(checkout, 'diff', '-M', '--name-status', base, head)).toMatch(/^R100/);
  });

  test('deleting a whole service directory still marks the service', async () => {
    const { head, checkout } = scenario({ 'projects/blue-green': null });
    const run = await detect(checkout, pushEvent(base, head));
    expect(services(run)).toEqual(['blue-green']);
  });

  test('shared paths mark every service; dependsOn paths and globs mark theirs', async () => {
    let s = scenario({ 'libs/common/util.js': 'util 2' });
    let run = await detect(s.checkout, pushEvent(base, s.head));
    expect(services(run)).toEqual(['blue', 'blue-green', 'green', 'red', 'uni']);
    expect(JSON.parse(run.outputs.reasons!).red).toBe('shared libs/common/**: libs/common/util.js');

    s = scenario({ 'libs/payments/pay.js': 'pay 2' });
    run = await detect(s.checkout, pushEvent(base, s.head));
    expect(services(run)).toEqual(['blue']);
    expect(JSON.parse(run.outputs.reasons!).blue).toBe('dependsOn libs/payments: libs/payments/pay.js');

    s = scenario({ 'libs/api/v2/new.proto': 'proto 2' });
    expect(services(await detect(s.checkout, pushEvent(base, s.head)))).toEqual(['green']);

    s = scenario({ 'docs/readme.md': 'more docs' });
    run = await detect(s.checkout, pushEvent(base, s.head));
    expect(services(run)).toEqual([]);
    expect(run.outputs['any-changed']).toBe('false');
    expect(JSON.parse(run.outputs.matrix!)).toEqual({ include: [] });
    expect(run.summary).toContain('No service changed');
  });

  test('paths with spaces and unicode work', async () => {
    const { head, checkout } = scenario({
      'projects/red team/app file.js': 'red 2',
      'projects/ünïcödé/файл.txt': 'uni 2',
    });
    const run = await detect(checkout, pushEvent(base, head));
    expect(services(run)).toEqual(['red', 'uni']);
    expect(JSON.parse(run.outputs.reasons!)).toEqual({
      red: 'changed: projects/red team/app file.js',
      uni: 'changed: projects/ünïcödé/файл.txt',
    });
  });

  test('a depth-1 checkout fetches the before commit several commits back', async () => {
    const { head: first } = scenario({ 'projects/green/app.js': 'green 2' });
    commit(work, 'two', { 'docs/a.md': 'a' });
    const head = commit(work, 'three', { 'docs/b.md': 'b' });
    git(work, 'push', '-q', 'origin', `HEAD:refs/heads/scenario-${branchCount}`);
    const checkout = checkoutClone(origin, join(root, 'deep-checkout'), {
      depth: 1,
      ref: `scenario-${branchCount}`,
    });
    expect(git(checkout, 'rev-parse', '--is-shallow-repository')).toBe('true');
    const run = await detect(checkout, pushEvent(base, head));
    expect(services(run)).toEqual(['green']);
    // The green change is two commits behind head, and the action fetched the before commit.
    expect(git(work, 'rev-parse', `${head}~2`)).toBe(first);
    expect(git(checkout, 'cat-file', '-t', base)).toBe('commit');
  });

  test('a new branch compares with its merge-base on the default branch', async () => {
    // main moves on (red) after the branch point; the branch itself changes green only.
    git(work, 'checkout', '-q', '-B', 'main-moved', base);
    const mainHead = commit(work, 'red on main', { 'projects/red team/app file.js': 'red 3' });
    git(work, 'push', '-q', 'origin', 'main-moved:main');
    const { head, checkout } = scenario({ 'projects/green/app.js': 'green 3' });
    const run = await detect(
      checkout,
      pushEvent('0000000000000000000000000000000000000000', head, 'refs/heads/feature'),
    );
    expect(services(run)).toEqual(['green']);
    expect(run.outputs.base).toBe(base);
    expect(run.outputs['base-source']).toContain('merge-base with main');
    // The base is the branch point, not main's newer head (whose red change is not reported).
    expect(mainHead).toMatch(/^[0-9a-f]{40}$/);
    expect(run.outputs.base).not.toBe(mainHead);
    // Restore main for other tests.
    git(work, 'push', '-q', '--force', 'origin', `${base}:refs/heads/main`);
  });

  test('a force-push whose before is gone warns and falls back, never reporting nothing', async () => {
    // "before" existed once but was force-pushed away and garbage collected.
    git(work, 'checkout', '-q', '-B', 'doomed', base);
    const gone = commit(work, 'doomed', { 'projects/blue/app.js': 'doomed' });
    git(work, 'push', '-q', 'origin', 'doomed');
    git(origin, 'update-ref', '-d', 'refs/heads/doomed');
    git(origin, 'reflog', 'expire', '--expire=now', '--all');
    git(origin, 'gc', '-q', '--prune=now');
    git(work, 'checkout', '-q', '--detach');
    git(work, 'branch', '-q', '-D', 'doomed');
    git(work, 'reflog', 'expire', '--expire=now', '--all');

    // On a feature branch: fall back to the merge-base with main.
    const { head, checkout } = scenario({ 'projects/green/app.js': 'green 4' });
    let run = await detect(checkout, pushEvent(gone, head, 'refs/heads/feature'));
    expect(services(run)).toEqual(['green']);
    expect(run.outputs.base).toBe(base);
    expect(run.annotations).toEqual([
      expect.objectContaining({ level: 'warning', message: expect.stringContaining('force-pushed') }),
    ]);

    // On the default branch itself there is no better base: every service.
    run = await detect(checkout, pushEvent(gone, head, 'refs/heads/main'));
    expect(services(run)).toEqual(['blue', 'blue-green', 'green', 'red', 'uni']);
    expect(run.annotations[0]?.level).toBe('warning');
    expect(JSON.parse(run.outputs.reasons!).blue).toContain('not found');

    // on-missing-base: fail stops instead.
    run = await detect(checkout, {
      ...pushEvent(gone, head, 'refs/heads/feature'),
      inputs: { 'on-missing-base': 'fail' },
    });
    expect(run.code).toBe(1);
    expect(run.annotations[0]).toMatchObject({ level: 'error', message: expect.stringContaining(gone) });
  });

  test('the first push of the default branch marks every service', async () => {
    const { head, checkout } = scenario({ 'projects/green/app.js': 'green 5' });
    const run = await detect(
      checkout,
      pushEvent('0000000000000000000000000000000000000000', head, 'refs/heads/main'),
    );
    expect(services(run)).toHaveLength(5);
  });
});

describe('pull_request and merge_group', () => {
  test('a pull request reports what it changes, not what its base gained since', async () => {
    const { head, checkout } = scenario({ 'projects/blue/app.js': 'pr' });
    // The base branch moves on after the PR branched off.
    git(work, 'checkout', '-q', '-B', 'base-moved', base);
    const baseHead = commit(work, 'green on base', { 'projects/green/app.js': 'base moved' });
    git(work, 'push', '-q', 'origin', 'base-moved');
    const run = await detect(checkout, {
      event: 'pull_request',
      sha: head,
      ref: 'refs/pull/7/merge',
      payload: {
        pull_request: {
          number: 7,
          base: { sha: baseHead, ref: 'base-moved' },
          head: { sha: head, ref: 'feature' },
        },
      },
    });
    expect(services(run)).toEqual(['blue']);
    expect(run.outputs.base).toBe(base);
  });

  test('a shallow pull request checkout is deepened step by step until the merge-base is found', async () => {
    git(work, 'checkout', '-q', '-B', 'long', base);
    for (let i = 0; i < 70; i++) commit(work, `c${i}`, { 'docs/log.md': `line ${i}` });
    const head = commit(work, 'blue', { 'projects/blue/app.js': 'long' });
    git(work, 'push', '-q', 'origin', 'long');
    const checkout = checkoutClone(origin, join(root, 'long-checkout'), { depth: 1, ref: 'long' });
    const payload = { pull_request: { base: { sha: base }, head: { sha: head } } };
    const run = await detect(checkout, { event: 'pull_request', sha: head, payload });
    expect(services(run)).toEqual(['blue']);
    expect(run.stdout).toContain('deepening to 64 commits');
    expect(run.stdout).toContain('deepening to 256 commits');

    // With a bound below the distance, it fails and says how to fix it.
    const shallow = checkoutClone(origin, join(root, 'long-checkout-2'), { depth: 1, ref: 'long' });
    const bounded = await detect(shallow, {
      event: 'pull_request',
      sha: head,
      payload,
      inputs: { 'max-fetch-depth': '20' },
    });
    expect(bounded.code).toBe(1);
    expect(bounded.annotations[0]?.message).toContain('fetch-depth: 0');
  });

  test('a merge group compares its base with its head', async () => {
    const { head, checkout } = scenario({ 'projects/red team/app file.js': 'mq' });
    const run = await detect(checkout, {
      event: 'merge_group',
      sha: head,
      payload: { merge_group: { base_sha: base, head_sha: head } },
    });
    expect(services(run)).toEqual(['red']);
  });
});

describe('workflow_dispatch, schedule and explicit inputs', () => {
  test('workflow_dispatch without services reports every service; with services, exactly those', async () => {
    const { head, checkout } = scenario({});
    let run = await detect(checkout, { event: 'workflow_dispatch', sha: head });
    expect(services(run)).toEqual(['blue', 'blue-green', 'green', 'red', 'uni']);
    expect(run.outputs.base).toBe('');
    run = await detect(checkout, {
      event: 'workflow_dispatch',
      sha: head,
      inputs: { services: 'red\ngreen' },
    });
    expect(services(run)).toEqual(['green', 'red']);
    run = await detect(checkout, { event: 'schedule', sha: head, inputs: { services: '["blue"]' } });
    expect(services(run)).toEqual(['blue']);
  });

  test('an unknown service is a clear error', async () => {
    const { head, checkout } = scenario({});
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
    const { head, checkout } = scenario({ 'projects/green/app.js': 'explicit' });
    const run = await detect(checkout, { event: 'workflow_dispatch', sha: head, inputs: { base, head } });
    expect(services(run)).toEqual(['green']);
  });

  test('a ref that looks like an option never reaches git as one', async () => {
    const { head, checkout } = scenario({});
    const run = await detect(checkout, {
      event: 'push',
      sha: head,
      inputs: { base: '--output=/tmp/pwned', head },
    });
    expect(run.code).toBe(1);
    expect(run.annotations[0]!.message).toContain('--output=/tmp/pwned');
  });

  test('a bad config names the file, the key and the line', async () => {
    const { head, checkout } = scenario({
      '.github/sd-actions.yml': CONFIG.replace('projects/green,', '../green,'),
    });
    const run = await detect(checkout, pushEvent(base, head));
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
  test('a valid config does not load the yaml library; an invalid one does, for the line of its message', async () => {
    const dist = join(ROOT, 'actions/detect-changed-service/dist');
    // The yaml library (and the reading with positions) sits in chunks of its own.
    const chunks = readdirSync(dist).filter((f) => /^\d+\.index\.js$/.test(f));
    const yamlChunks = chunks.filter((f) =>
      /LineCounter|Map keys must be unique/.test(readFileSync(join(dist, f), 'utf8')),
    );
    expect(yamlChunks.length).toBeGreaterThanOrEqual(1);
    expect(readFileSync(join(dist, 'index.js'), 'utf8')).not.toMatch(/LineCounter|Map keys must be unique/);

    const { head, checkout } = scenario({ 'projects/blue/app.js': 'blue 3' });
    const bad = join(checkout, 'bad-config.yml');
    writeFileSync(bad, 'services:\n  blue: { path: projects/blue }\n  red: { path: 42 }\n');
    const full = await detect(checkout, { ...pushEvent(base, head), inputs: { config: bad } });
    expect(full.code).toBe(1);
    expect(full.annotations[0]?.message).toBe(
      'bad-config.yml: services.red.path: 42 is not a non-empty string',
    );
    expect(full.annotations[0]?.properties).toMatchObject({ file: 'bad-config.yml', line: '3' });

    // Without those chunks: a valid config still works, an invalid one cannot be reported.
    const copy = join(root, 'detect-without-yaml');
    mkdirSync(copy);
    cpSync(join(ROOT, 'actions/detect-changed-service/action.yml'), join(copy, 'action.yml'));
    cpSync(dist, join(copy, 'dist'), { recursive: true });
    for (const chunk of yamlChunks) rmSync(join(copy, 'dist', chunk));
    const lean = await detect(checkout, { ...pushEvent(base, head), actionDir: relative(ROOT, copy) });
    expect(services(lean)).toEqual(['blue']);
    const broken = await detect(checkout, {
      ...pushEvent(base, head),
      inputs: { config: bad },
      actionDir: relative(ROOT, copy),
    });
    expect(broken.code).toBe(1);
    expect(broken.annotations[0]?.message).not.toContain('services.red.path');
  });
});
