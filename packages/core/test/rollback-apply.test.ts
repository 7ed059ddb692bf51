import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import {
  applyRollback,
  parseLedger,
  rollbackOfThisRun,
  UserError,
  type ManifestPromotion,
  type QuarantineEntry,
} from '../src/index.js';
import { D, ENV, SRC, promotion, rollback } from './ledger-fixtures.js';

const FILE = 'gitops/production-releases:release-manifests/production.yaml';
const TEXT = `# kept
environment: production
services:
  blue:
    version: 1.7.0 # bad
    image: reg.example/blue
    digest: ${D('b')}
    commit: ${SRC('2')}
  green:
    version: 2.0.0
    digest: ${D('c')}
`;
const TARGET: ManifestPromotion = {
  version: '1.6.1',
  image: 'reg.example/blue',
  digest: D('a'),
  commit: SRC('1'),
};
const QUARANTINE: QuarantineEntry = {
  service: 'blue',
  version: '1.7.0',
  digest: D('b'),
  at: '2026-01-23T12:00:00Z',
  reason: 'verify-deployment: unhealthy',
  by: 'alice',
};
const input = (text: string) => ({
  text,
  file: FILE,
  environment: ENV,
  service: 'blue',
  from: { version: '1.7.0', digest: D('b') },
  target: TARGET,
  quarantine: QUARANTINE as QuarantineEntry | undefined,
});

describe('applyRollback', () => {
  test('restores the entry and quarantines the bad version in one text; the rest stays', () => {
    const edit = applyRollback(input(TEXT));
    expect(edit).toMatchObject({ entryChanged: true, quarantineChanged: true });
    const doc = parse(edit.text);
    expect(doc.services.blue).toEqual({
      version: '1.6.1',
      image: 'reg.example/blue',
      digest: D('a'),
      commit: SRC('1'),
    });
    expect(doc.services.green).toEqual({ version: '2.0.0', digest: D('c') });
    expect(doc.quarantine.blue['1.7.0']).toMatchObject({ digest: D('b'), by: 'alice' });
    expect(edit.text.startsWith('# kept\n')).toBe(true);
  });

  test('already the target (a re-run): nothing changes', () => {
    const done = applyRollback(input(TEXT)).text;
    expect(applyRollback(input(done))).toMatchObject({
      text: done,
      entryChanged: false,
      quarantineChanged: false,
    });
  });

  test('quarantine: false writes no quarantine section', () => {
    const edit = applyRollback({ ...input(TEXT), quarantine: undefined });
    expect(parse(edit.text).quarantine).toBeUndefined();
  });

  test('another version landed in between: a conflict naming both, never overwritten', () => {
    const raced = TEXT.replace('version: 1.7.0 # bad', 'version: 1.7.1').replace(D('b'), D('d'));
    expect(() => applyRollback(input(raced))).toThrow(UserError);
    expect(() => applyRollback(input(raced))).toThrow(
      /^Conflict: services\.blue in .* changed while this rollback ran, from 1\.7\.0 \(sha256:b+\) to 1\.7\.1 \(sha256:d+\)/,
    );
  });
});

describe('rollbackOfThisRun', () => {
  const RUN = 'https://github.com/acme/monorepo/actions/runs/77';
  const ledger = parseLedger(
    [
      rollback(
        { version: '1.6.1', previousVersion: '1.7.0', digest: D('a'), runUrl: RUN },
        '2026-01-23T12:00:00Z',
      ),
      promotion('1.7.0', D('b'), '2026-01-23T10:00:00Z'),
      promotion('1.6.1', D('a'), '2026-01-21T10:00:00Z'),
    ],
    ENV,
    'blue',
  );
  test('the running version was placed by a rollback of this run', () => {
    expect(rollbackOfThisRun(ledger, { version: '1.6.1', digest: D('a') }, RUN)?.rollbackOf).toBe('1.7.0');
  });
  test('another run, no run URL, or another version running: undefined', () => {
    expect(rollbackOfThisRun(ledger, { version: '1.6.1', digest: D('a') }, `${RUN}0`)).toBeUndefined();
    expect(rollbackOfThisRun(ledger, { version: '1.6.1', digest: D('a') }, undefined)).toBeUndefined();
    expect(rollbackOfThisRun(ledger, { version: '1.7.0', digest: D('b') }, RUN)).toBeUndefined();
  });
});
