/**
 * The release of sd-actions itself, run on a scratch clone with real git: the shipped workflows and
 * templates are copied into a fresh repository (plus a stand-in bundle), cloned, and released.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commit, git, GIT_ENV, initRepo, removeDir, ROOT, tempDir } from '@sd-actions/testkit';
import {
  internalReferences,
  release,
  ReleaseError,
  type ReleaseOptions,
} from '../../packages/devtools/src/release.js';

const saved = { ...process.env };
let base: string;
let origin: string;
let n = 0;
const logs: string[] = [];

/** A fresh clone of the scratch repository. */
function scratchClone(): string {
  const dir = join(base, `clone-${++n}`);
  git(base, 'clone', '-q', origin, dir);
  return dir;
}

const ok = ['node', '-e', ''];
const options = (root: string, extra: Partial<ReleaseOptions> = {}): ReleaseOptions => ({
  root,
  version: '1.2.0',
  owner: 'acme',
  build: ok,
  checkDocs: ok,
  log: (l) => logs.push(l),
  ...extra,
});
const state = (dir: string) => ({
  head: git(dir, 'rev-parse', 'HEAD'),
  tags: git(dir, 'tag', '--list'),
  status: git(dir, 'status', '--porcelain'),
});

beforeAll(() => {
  Object.assign(process.env, GIT_ENV);
  base = tempDir('sd-release-');
  origin = initRepo(join(base, 'origin'));
  for (const dir of ['.github/workflows', '.github/workflow-templates'])
    cpSync(join(ROOT, dir), join(origin, dir), { recursive: true });
  commit(origin, 'sd-actions', { 'actions/status/dist/index.js': 'bundle\n' });
});
afterAll(() => {
  process.env = saved;
  removeDir(base);
});

describe('npm run release', () => {
  test('every internal reference points at the released owner and version, tagged v1.2.0 and v1', () => {
    const before = internalReferences(ROOT);
    expect(before.length).toBeGreaterThanOrEqual(8);
    const clone = scratchClone();
    const result = release(options(clone));
    const after = internalReferences(clone);
    expect(after).toHaveLength(before.length);
    expect(new Set(after.map((r) => `${r.owner}@${r.ref}`))).toEqual(new Set(['acme@v1.2.0']));
    expect(after.map((r) => r.path)).toEqual(before.map((r) => r.path));
    expect(result).toMatchObject({ tag: 'v1.2.0', major: 'v1', references: before.length });
    const head = git(clone, 'rev-parse', 'HEAD');
    expect(result.commit).toBe(head);
    expect(git(clone, 'log', '-1', '--format=%s')).toBe('Release v1.2.0');
    expect(git(clone, 'rev-parse', 'v1.2.0^{commit}')).toBe(head);
    expect(git(clone, 'rev-parse', 'v1^{commit}')).toBe(head);
    expect(git(clone, 'status', '--porcelain')).toBe('');

    // The next release moves v1 and leaves v1.2.0 where it was.
    const next = release(options(clone, { version: '1.3.0' }));
    expect(new Set(internalReferences(clone).map((r) => r.ref))).toEqual(new Set(['v1.3.0']));
    expect(git(clone, 'rev-parse', 'v1^{commit}')).toBe(next.commit);
    expect(git(clone, 'rev-parse', 'v1.2.0^{commit}')).toBe(head);
    // A pre-release moves no major tag.
    const rc = release(options(clone, { version: '2.0.0-rc.1', owner: 'other-org' }));
    expect(rc.major).toBeUndefined();
    expect(git(clone, 'rev-parse', 'v1^{commit}')).toBe(next.commit);
    expect(new Set(internalReferences(clone).map((r) => `${r.owner}@${r.ref}`))).toEqual(
      new Set(['other-org@v2.0.0-rc.1']),
    );
  });

  test('--dry-run reports and changes nothing', () => {
    const clone = scratchClone();
    const before = state(clone);
    const result = release(options(clone, { dryRun: true }));
    expect(result.files.length).toBeGreaterThan(0);
    expect(result.commit).toBeUndefined();
    expect(state(clone)).toEqual(before);
    expect(logs.some((l) => l.includes('dry run'))).toBe(true);
  });

  test.each<[string, Partial<ReleaseOptions>, RegExp, ((dir: string) => void) | null]>([
    [
      'a bad version',
      { version: 'v1.2' },
      /version "v1\.2" is not a semver version; expected like 1\.2\.0/,
      null,
    ],
    ['a bad owner', { owner: 'acme/evil' }, /--owner "acme\/evil" is not a GitHub user/, null],
    [
      'a dirty tree',
      {},
      /working tree is not clean \(\.github\/workflows\/promote\.yml\); commit or stash/,
      (dir) => writeFileSync(join(dir, '.github/workflows/promote.yml'), '# edited\n', { flag: 'a' }),
    ],
    [
      'stale bundles',
      { build: ['node', '-e', "require('fs').writeFileSync('actions/status/dist/index.js', 'rebuilt\\n')"] },
      /bundles are stale: rebuilding changed actions\/status\/dist\/index\.js/,
      null,
    ],
    ['a failing build', { build: ['node', '-e', 'process.exit(3)'] }, /the build failed/, null],
    [
      'stale docs',
      { checkDocs: ['node', '-e', 'process.exit(1)'] },
      /action-docs\/ is stale; run npm run docs/,
      null,
    ],
    ['an existing tag', {}, /tag v1\.2\.0 already exists/, (dir) => git(dir, 'tag', 'v1.2.0')],
  ])('refuses %s, committing and tagging nothing', (_name, extra, message, prepare) => {
    const clone = scratchClone();
    prepare?.(clone);
    const before = state(clone);
    const refs = readFileSync(join(clone, '.github/workflows/hotfix.yml'), 'utf8');
    let error: unknown;
    try {
      release(options(clone, extra));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ReleaseError);
    expect((error as Error).message).toMatch(message);
    const after = state(clone);
    expect(after.head).toBe(before.head);
    expect(after.tags).toBe(before.tags);
    expect(readFileSync(join(clone, '.github/workflows/hotfix.yml'), 'utf8')).toBe(refs);
  });
});
