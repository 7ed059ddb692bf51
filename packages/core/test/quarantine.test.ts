import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import {
  addQuarantine,
  checkQuarantine,
  describeQuarantine,
  parseLedger,
  parseManifest,
  parseQuarantine,
  promoteInManifest,
  withRollbackCommits,
  type QuarantineEntry,
} from '../src/index.js';
import { D, ENV, SRC, rollback } from './ledger-fixtures.js';

const FILE = 'gitops/production-releases:release-manifests/production.yaml';
const MANIFEST = `# What runs in production.
environment: production
services:
  blue:
    version: 1.7.0 # bad
    image: registry.example/blue
    digest: ${D('b')}
    commit: ${SRC('b')}
  red: { version: 3.0.8, image: registry.example/red, digest: ${D('c')} }
`;

const ENTRY: QuarantineEntry = {
  service: 'blue',
  version: '1.7.0',
  digest: D('b'),
  at: '2026-01-22T10:30:00Z',
  reason: 'verify-deployment: http blue/health: 3 of 6 measurements failed: $.status is "DOWN"',
  by: 'alice',
  runUrl: 'https://github.com/acme/app/actions/runs/42',
};

describe('quarantine section', () => {
  test('added beside services, every other byte kept, read back', () => {
    const { text, changed } = addQuarantine(MANIFEST, FILE, ENTRY);
    expect(changed).toBe(true);
    expect(text.startsWith(MANIFEST)).toBe(true);
    expect(text.slice(MANIFEST.length)).toBe(`quarantine:
  blue:
    1.7.0:
      digest: ${D('b')}
      at: 2026-01-22T10:30:00Z
      reason: "verify-deployment: http blue/health: 3 of 6 measurements failed: $.status is \\"DOWN\\""
      by: alice
      runUrl: https://github.com/acme/app/actions/runs/42
`);
    expect(parseQuarantine(text, FILE)).toEqual([ENTRY]);
    // The manifest model still reads it, and a later promotion keeps the section.
    expect(parseManifest(text, FILE).services.get('blue')?.version).toBe('1.7.0');
    const promoted = promoteInManifest(text, FILE, ENV, 'blue', {
      version: '1.7.1',
      image: 'registry.example/blue',
      digest: D('d'),
    });
    expect(parseQuarantine(promoted.text, FILE)).toEqual([ENTRY]);
  });

  test('a second version joins the first; a re-run changes nothing; another digest is refused', () => {
    const once = addQuarantine(MANIFEST, FILE, ENTRY).text;
    expect(addQuarantine(once, FILE, ENTRY)).toEqual({ text: once, changed: false });
    const twice = addQuarantine(once, FILE, {
      ...ENTRY,
      version: '1.7.1',
      digest: D('d'),
      runUrl: undefined,
    }).text;
    expect(parseQuarantine(twice, FILE).map((e) => e.version)).toEqual(['1.7.0', '1.7.1']);
    expect(twice.startsWith(once)).toBe(true);
    expect(() => addQuarantine(once, FILE, { ...ENTRY, digest: D('e') })).toThrow(
      /blue 1\.7\.0 is already quarantined as sha256:b+, not sha256:e+; a version names one digest/,
    );
  });

  test('what is written must read back: a reason on several lines is refused', () => {
    expect(() => addQuarantine(MANIFEST, FILE, { ...ENTRY, reason: 'bad\n::error::forged' })).toThrow(
      /quarantine\.blue\.1\.7\.0\.reason: "bad\\n::error::forged" is not a reason on one line/,
    );
    expect(() => addQuarantine(MANIFEST, FILE, { ...ENTRY, at: 'now' })).toThrow(/\.at: "now" is not a time/);
  });

  test('readable with yq', () => {
    const text = addQuarantine(MANIFEST, FILE, ENTRY).text;
    let yq: string;
    try {
      yq = execFileSync('yq', ['.quarantine.blue["1.7.0"].by'], { input: text, encoding: 'utf8' }).trim();
    } catch {
      return; // yq is not installed here; the shape is plain YAML either way
    }
    expect(yq.replace(/"/g, '')).toBe('alice');
  });

  test.each([
    ['quarantine: [1.7.0]', /quarantine: \["1.7.0"\] is not a mapping/],
    ['quarantine: { blue: { v1: { digest: x } } }', /quarantine\.blue\.v1: "v1" is not a version/],
    [
      `quarantine: { blue: { 1.7.0: { digest: sha256:abc, at: x, reason: r, by: b } } }`,
      /quarantine\.blue\.1\.7\.0\.digest: "sha256:abc" is not a digest/,
    ],
    [
      `quarantine: { blue: { 1.7.0: { digest: ${D('b')}, at: yesterday, reason: r, by: b } } }`,
      /\.at: "yesterday" is not a time/,
    ],
    [
      `quarantine: { blue: { 1.7.0: { digest: ${D('b')}, at: 2026-01-01T00:00:00Z, by: b } } }`,
      /\.reason: nothing is not a reason/,
    ],
    [
      `quarantine: { blue: { 1.7.0: { digest: ${D('b')}, at: 2026-01-01T00:00:00Z, reason: r, by: b, until: never } } }`,
      /\.until: "until" is not a quarantine field/,
    ],
  ])('bad section %s', (yaml, message) => {
    expect(() => parseQuarantine(`environment: production\nservices: {}\n${yaml}\n`, FILE)).toThrow(message);
  });
});

describe('[quarantine] rule', () => {
  const facts = { service: 'blue', environment: ENV, quarantine: [ENTRY], allowQuarantined: false };
  test.each([
    [
      'the quarantined digest is refused, naming when, who and why',
      { digest: D('b') },
      'refusal',
      /blue 1\.7\.0 \(sha256:b+\) was quarantined in production at 2026-01-22T10:30:00Z by alice: verify-deployment.*allow-quarantined: true/,
    ],
    [
      'allow-quarantined lets it through with a warning',
      { digest: D('b'), allowQuarantined: true },
      'warning',
      /promoted anyway \(allow-quarantined: true\)/,
    ],
    ['a later good version promotes normally', { digest: D('d'), version: '1.7.1' }, undefined, undefined],
    [
      'another service with the same digest is not affected',
      { digest: D('b'), service: 'red' },
      undefined,
      undefined,
    ],
  ])('%s', (_name, over, kind, message) => {
    const result = checkQuarantine({ ...facts, ...over });
    if (kind === undefined) expect(result).toEqual({});
    else {
      expect(Object.keys(result)).toEqual([kind]);
      expect(result[kind as 'refusal' | 'warning']).toEqual({
        rule: 'quarantine',
        message: expect.stringMatching(message!),
      });
    }
  });

  test('the rollback commit comes from the ledger', () => {
    const commit = rollback(
      { version: '1.6.1', previousVersion: '1.7.0', digest: D('a') },
      '2026-01-22T10:30:00Z',
    );
    const [entry] = withRollbackCommits([ENTRY], parseLedger([commit], ENV, 'blue'));
    expect(entry?.rollbackCommit).toBe(commit.sha);
    expect(describeQuarantine(entry!)).toMatch(
      /^1\.7\.0 \(sha256:bbbbbbbbbbbb…\) quarantined at .* by alice, rollback 0+\w+: verify/,
    );
  });
});
