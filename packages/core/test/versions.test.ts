import { describe, expect, test } from '@jest/globals';
import {
  bumpFromCommits,
  bumpOf,
  classifyVersion,
  compareVersions,
  nextVersion,
  parseSemver,
  validateCommitSha,
  validateDigest,
  validateVersion,
} from '../src/index.js';

describe('versions', () => {
  test.each([
    ['1.2.3', 'release'],
    ['0.0.0', 'release'],
    ['1.2.3-rc.1+build.5', 'release'],
    ['sha-abc1234', 'build'],
    ['sha-' + 'a'.repeat(40), 'build'],
  ])('%s is a %s', (version, kind) => {
    expect(classifyVersion(version)).toBe(kind);
    expect(validateVersion(version)).toBe(kind);
  });

  test.each([
    '1.2',
    'v1.2.3',
    '01.2.3',
    '1.2.3 ',
    '1.0.0;rm -rf /',
    '1.0.0$(id)',
    '1.0.0`id`',
    '1.0.0|x',
    '1.0.0\nSd-Version: 9.9.9',
    'sha-ABC1234',
    'sha-abc123',
    '../x',
    '',
    '99999999999999999999.0.0',
  ])('%j is rejected with a message naming the input', (version) => {
    expect(classifyVersion(version)).toBeUndefined();
    expect(() => validateVersion(version)).toThrow(
      `Input "version": ${JSON.stringify(version)} is not valid; expected semver like 1.2.3`,
    );
  });

  test('a near miss gets a hint', () => {
    expect(() => validateVersion('v1.2.3')).toThrow('(did you mean 1.2.3?)');
  });

  test('parse and compare', () => {
    expect(parseSemver('1.10.0-rc.1')).toEqual({
      major: 1,
      minor: 10,
      patch: 0,
      prerelease: ['rc', '1'],
      build: [],
    });
    expect(compareVersions('1.10.0', '1.9.9')).toBe(1);
    expect(compareVersions('1.0.0-rc.1', '1.0.0')).toBe(-1);
    expect(compareVersions('1.0.0+a', '1.0.0+b')).toBe(0);
    expect(() => compareVersions('sha-abc1234', '1.0.0')).toThrow(/not semver/);
  });

  test('digests and commits', () => {
    expect(validateDigest(`sha256:${'0'.repeat(64)}`)).toBe(`sha256:${'0'.repeat(64)}`);
    expect(() => validateDigest(`sha256:${'0'.repeat(63)}`)).toThrow('Input "digest"');
    expect(() => validateDigest(`sha256:${'A'.repeat(64)}`)).toThrow(
      'expected a digest like sha256:<64 lowercase hex digits>',
    );
    expect(validateCommitSha('a'.repeat(40))).toBe('a'.repeat(40));
    expect(() => validateCommitSha('abc1234')).toThrow(
      'Input "source-commit": "abc1234" is not valid; expected a full 40-character commit SHA',
    );
  });
});

describe('next version from conventional commits', () => {
  test.each([
    ['feat: add x', 'minor'],
    ['feat(api): add x', 'minor'],
    ['fix: y', 'patch'],
    ['perf(db): faster', 'patch'],
    ['feat!: drop v1', 'major'],
    ['refactor(core)!: rename', 'major'],
    ['fix: y\n\nBREAKING CHANGE: z', 'major'],
    ['fix: y\n\nBREAKING-CHANGE: z', 'major'],
    ['chore: deps', undefined],
    ['docs: readme', undefined],
    ['featured: not a type', undefined],
    ['Merge branch x', undefined],
  ])('%j → %s', (message, bump) => {
    expect(bumpOf(message)).toBe(bump);
  });

  test('the largest bump wins; nothing relevant is a patch', () => {
    expect(bumpFromCommits(['fix: a', 'feat: b', 'chore: c'])).toBe('minor');
    expect(bumpFromCommits(['chore: a', 'docs: b'])).toBe('patch');
    expect(bumpFromCommits([])).toBe('patch');
    expect(nextVersion('1.6.0', ['fix: a'])).toEqual({ version: '1.6.1', bump: 'patch' });
    expect(nextVersion('1.6.1', ['feat: a', 'fix: b'])).toEqual({ version: '1.7.0', bump: 'minor' });
    expect(nextVersion('1.7.3', ['feat!: a'])).toEqual({ version: '2.0.0', bump: 'major' });
    expect(nextVersion(undefined, ['feat: first'])).toEqual({ version: '0.1.0', bump: 'minor' });
    expect(nextVersion('2.0.0-rc.1', ['fix: a']).version).toBe('2.0.0');
    expect(() => nextVersion('sha-abc1234', ['fix: a'])).toThrow(
      'The last version "sha-abc1234" is not semver',
    );
  });
});
