import { describe, expect, test } from '@jest/globals';
import {
  ChangeMatcher,
  describeReason,
  parseConfig,
  planComparison,
  type ChangedFile,
} from '../src/index.js';

const config = parseConfig(`
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
