import { expect, test } from '@jest/globals';
import { parseConfig, planHotfix, releasedVersions, releaseBranchName, UserError } from '../src/index.js';

const config = await parseConfig('services: { blue: { path: b }, blue-green: { path: bg } }');
const tags = [
  'blue/1.5.0',
  'blue/1.6.0',
  'blue/1.6.1',
  'blue-green/9.0.0',
  'blue/not-a-version',
  'blue/1.4.3',
  'other/2.0.0',
  'blue/v1.9.0',
];

test('released versions come from the service tags only, highest first', () => {
  expect(releasedVersions(config, 'blue', tags)).toEqual(['1.6.1', '1.6.0', '1.5.0', '1.4.3']);
  expect(releasedVersions(config, 'blue-green', tags)).toEqual(['9.0.0']);
});

test('a hotfix is the next patch on the latest line, or on the line asked for', () => {
  expect(planHotfix(config, 'blue', tags)).toEqual({
    baseVersion: '1.6.1',
    version: '1.6.2',
    releaseBranch: 'release/blue-1.6',
    tag: 'blue/1.6.2',
  });
  expect(planHotfix(config, 'blue', tags, '1.4')).toMatchObject({
    version: '1.4.4',
    releaseBranch: 'release/blue-1.4',
  });
  expect(() => planHotfix(config, 'blue', tags, '2.0')).toThrow('Input "line": blue has no release on 2.0');
  expect(() => planHotfix(config, 'blue', tags, 'latest')).toThrow(UserError);
  expect(() => planHotfix(config, 'blue-green', [])).toThrow(/has no release yet/);
});

test('custom templates', async () => {
  const custom = await parseConfig(
    'services: { api: { path: a } }\ngit: { tag: "v{version}-{service}", releaseBranch: "maint/{service}/{major}.x" }',
  );
  expect(releasedVersions(custom, 'api', ['v1.2.3-api', 'v1.2.4-web'])).toEqual(['1.2.3']);
  expect(releaseBranchName(custom, 'api', '1.2.3')).toBe('maint/api/1.x');
});
