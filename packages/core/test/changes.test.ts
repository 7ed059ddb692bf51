import { describe, expect, test } from '@jest/globals';
import {
  ChangeMatcher,
  describeReason,
  isGlob,
  parseConfig,
  toPicomatch,
  planComparison,
  type ChangedFile,
} from '../src/index.js';

const config = await parseConfig(`
services:
  root-tool: { path: tools }
  blue: { path: projects/blue, dependsOn: [libs/payments, "proto/**/*.proto"] }
  blue-green: { path: projects/blue-green }
  nested: { path: projects/blue/plugins }
shared: [package-lock.json]
`);
const matcher = new ChangeMatcher(config);
const files = (...paths: string[]): ChangedFile[] => paths.map((path) => ({ status: 'M', path }));
const names = (paths: string[]) => matcher.match(files(...paths)).map((c) => c.service.name);

describe('ChangeMatcher', () => {
  test.each([
    [['projects/blue/a.js'], ['blue']],
    [['projects/blue'], ['blue']],
    [['projects/blue-green/x'], ['blue-green']],
    [['projects/bluex'], []],
    [['projects/blue/plugins/p.js'], ['blue', 'nested']],
    [['libs/payments/p.js'], ['blue']],
    [['libs/payments-v2/p.js'], []],
    [['proto/a/b/c.proto'], ['blue']],
    [['proto/c.txt'], []],
    [['package-lock.json'], ['blue', 'blue-green', 'nested', 'root-tool']],
    [['sub/package-lock.json'], []],
    [['tools/.hidden/x'], ['root-tool']],
  ])('%j marks %j', (paths, expected) => {
    expect(names(paths)).toEqual(expected);
  });

  test('reasons keep three example files and count the rest', () => {
    const [change] = matcher.match(
      files('projects/blue/1', 'projects/blue/2', 'projects/blue/3', 'projects/blue/4', 'projects/blue/5'),
    );
    expect(describeReason(change!.reason)).toBe(
      'changed: projects/blue/1, projects/blue/2, projects/blue/3 and 2 more',
    );
  });

  test('a direct change explains a service before its dependsOn rule', () => {
    const [change] = matcher.match(files('libs/payments/x', 'projects/blue/y'));
    expect(describeReason(change!.reason)).toBe('changed: projects/blue/y');
  });
});

const odd = await parseConfig(`
services:
  ui: { path: packages/@acme/ui }
  cpp: { path: libs/c++, dependsOn: ["packages/@acme/tokens", "libs/x (old)", "vendor/!keep"] }
  legacy: { path: "libs/x (old)", dependsOn: ["libs/c++/**/*.h"] }
  both: { path: apps/both, dependsOn: ["libs/x (old)/**", "libs/@(a|b)/*.ts", "libs/c++", "libs/c++"] }
shared: ["tools/@(ci|release)", "conf (shared)/**/*.yml"]
`);

describe('paths with @ + ! ( ) are literal, not globs', () => {
  const m = new ChangeMatcher(odd);
  const marked = (...paths: string[]) => m.match(files(...paths)).map((c) => c.service.name);
  const why = (service: string, ...paths: string[]) =>
    describeReason(m.match(files(...paths)).find((c) => c.service.name === service)!.reason);

  test('as service paths', () => {
    expect(odd.services.get('ui')?.path).toBe('packages/@acme/ui');
    expect(marked('packages/@acme/ui/src/button.tsx')).toEqual(['ui']);
    expect(marked('packages/@acme/uikit/x')).toEqual([]);
    expect(marked('libs/c++/src/a.cc')).toEqual(['both', 'cpp']);
    expect(marked('libs/c/src/a.cc')).toEqual([]);
    expect(marked('libs/x (old)/main.c')).toEqual(['both', 'cpp', 'legacy']);
    expect(marked('libs/x old/main.c', 'libs/x/main.c')).toEqual([]);
  });

  test('as dependsOn and shared paths, and inside globs', () => {
    expect(why('cpp', 'packages/@acme/tokens/colors.json')).toBe(
      'dependsOn packages/@acme/tokens: packages/@acme/tokens/colors.json',
    );
    expect(why('cpp', 'vendor/!keep')).toBe('dependsOn vendor/!keep: vendor/!keep');
    expect(why('legacy', 'libs/c++/include/a.h')).toBe('dependsOn libs/c++/**/*.h: libs/c++/include/a.h');
    expect(marked('libs/c++/include/a.hpp')).toEqual(['both', 'cpp']);
    expect(why('both', 'libs/x (old)/y')).toBe('dependsOn libs/x (old)/**: libs/x (old)/y');
    expect(marked('libs/b/z.ts')).toEqual(['both']);
    expect(marked('libs/c/z.ts')).toEqual([]);
    expect(marked('tools/ci', 'conf (shared)/a/b.yml')).toEqual(['both', 'cpp', 'legacy', 'ui']);
    expect(why('ui', 'conf (shared)/b.yml')).toBe('shared conf (shared)/**/*.yml: conf (shared)/b.yml');
    expect(marked('tools/cd', 'conf shared/b.yml', 'conf/b.yml')).toEqual([]);
  });

  test('isGlob: wildcards, classes, braces and extglob groups only', () => {
    for (const glob of [
      'a/*',
      'a/?',
      'a/[ab]',
      'a/{b,c}',
      'a/@(b|c)',
      'a/!(b)',
      'a/+(b)',
      'a/?(b)',
      'a/*(b)',
    ])
      expect([glob, isGlob(glob)]).toEqual([glob, true]);
    for (const path of ['packages/@acme/ui', 'libs/c++', 'libs/x (old)', 'a/!b', 'a/[b', 'a/{b', 'a/b)'])
      expect([path, isGlob(path)]).toEqual([path, false]);
  });

  test('toPicomatch escapes what is literal to us but special to picomatch', () => {
    expect(toPicomatch('libs/x (old)/**')).toBe('libs/x \\(old\\)/**');
    expect(toPicomatch('libs/@(a|b (c))/*')).toBe('libs/@(a|b \\(c\\))/*');
    expect(toPicomatch('a|b/*')).toBe('a\\|b/*');
    expect(toPicomatch('!x/*')).toBe('\\!x/*');
    expect(toPicomatch('!(x)/*')).toBe('!(x)/*');
    expect(toPicomatch('{a,b}/**/*.proto')).toBe('{a,b}/**/*.proto');
  });

  test('a rule shared by many services is one rule, and still explains each of them', async () => {
    const many = await parseConfig(
      `services:\n${Array.from({ length: 50 }, (_, i) => `  s${i}: { path: s/${i}, dependsOn: [libs/common, "proto/**/*.proto", libs/common] }`).join('\n')}\n`,
    );
    const changes = new ChangeMatcher(many).match(files('proto/a/b.proto', 'libs/common/x', 's/7/y'));
    expect(changes).toHaveLength(50);
    expect(describeReason(changes.find((c) => c.service.name === 's7')!.reason)).toBe('changed: s/7/y');
    expect(describeReason(changes.find((c) => c.service.name === 's8')!.reason)).toBe(
      'dependsOn libs/common: libs/common/x',
    );
  });
});

describe('planComparison', () => {
  const base = { sha: 'f'.repeat(40), ref: 'refs/heads/main', services: [], remote: 'origin' };
  test('push compares before..after directly', () => {
    expect(
      planComparison({
        ...base,
        eventName: 'push',
        payload: { before: 'a'.repeat(40), after: 'b'.repeat(40) },
      }),
    ).toMatchObject({
      kind: 'diff',
      base: 'a'.repeat(40),
      head: 'b'.repeat(40),
      mergeBase: false,
    });
  });
  test('a new branch uses the merge-base with the default branch named by the payload', () => {
    const plan = planComparison({
      ...base,
      ref: 'refs/heads/feature',
      eventName: 'push',
      payload: { before: '0'.repeat(40), after: 'b'.repeat(40), repository: { default_branch: 'trunk' } },
    });
    expect(plan).toMatchObject({
      kind: 'diff',
      base: undefined,
      mergeBase: true,
      mergeBaseWith: 'refs/remotes/origin/trunk',
    });
  });
  test('a tag push, dispatch and schedule report every service', () => {
    expect(
      planComparison({ ...base, ref: 'refs/tags/v1', eventName: 'push', payload: { before: 'a'.repeat(40) } })
        .kind,
    ).toBe('all');
    expect(planComparison({ ...base, eventName: 'workflow_dispatch', payload: {} }).kind).toBe('all');
    expect(planComparison({ ...base, eventName: 'schedule', payload: {} }).kind).toBe('all');
  });
  test('pull_request_target compares the PR head, not GITHUB_SHA (which is the base branch there)', () => {
    const plan = planComparison({
      ...base,
      eventName: 'pull_request_target',
      payload: { pull_request: { base: { sha: 'a'.repeat(40) }, head: { sha: 'c'.repeat(40) } } },
    });
    expect(plan).toMatchObject({ kind: 'diff', base: 'a'.repeat(40), head: 'c'.repeat(40), mergeBase: true });
  });
  test('the services input wins over everything', () => {
    expect(planComparison({ ...base, services: ['blue'], eventName: 'push', payload: {} })).toMatchObject({
      kind: 'requested',
      services: ['blue'],
    });
  });
});
