import { describe, expect, test } from '@jest/globals';
import {
  lastPlacement,
  ledgerHistory,
  lastVerification,
  parseLedger,
  parseLedgerCommit,
  parseLedgerMessage,
  parseTrailerBlock,
  splitCommitMessage,
  verificationMessage,
  renderHistoryText,
  verificationMark,
} from '../src/index.js';
import { D, ENV, SRC, promotion, raw, rollback, verification } from './ledger-fixtures.js';

const GOOD = (extra = '') =>
  `Sd-Service: blue\nSd-Environment: production\nSd-Version: 1.6.1\nSd-Digest: ${D('a')}\n${extra}`;

describe('ledger events', () => {
  test('a verification carries its reason when the body is read (parseLedgerMessage, or a body on the commit)', () => {
    const message = verificationMessage({
      service: 'blue',
      environment: ENV,
      version: '1.6.1',
      digest: D('a'),
      verification: 'unhealthy',
      reason: 'http /health answered 503',
    });
    expect(parseLedgerMessage(message, ENV)).toEqual({
      kind: 'verification',
      sha: '',
      subject: 'verify(blue): 1.6.1 unhealthy in production',
      date: '',
      service: 'blue',
      environment: ENV,
      version: '1.6.1',
      digest: D('a'),
      result: 'unhealthy',
      reason: 'http /health answered 503',
    });
    const commit = verification('1.6.1', D('a'), 'unhealthy', '2026-01-20T10:05:00Z');
    expect(parseLedgerCommit(commit, ENV)).not.toHaveProperty('reason');
    const { body } = splitCommitMessage(message);
    expect(parseLedgerCommit({ ...commit, body }, ENV)).toMatchObject({
      reason: 'http /health answered 503',
    });
    // The ledger itself never takes a verdict without a digest.
    const unpinned = message.replace(/^Sd-Digest: .*\n/m, '');
    expect(parseLedgerMessage(unpinned, ENV)).toMatchObject({
      kind: 'malformed',
      problems: ['Sd-Digest is missing'],
    });
    expect(parseLedgerMessage(message, 'staging')?.kind).toBe('malformed');
  });

  test('splitCommitMessage: subject, body and the trailer block', () => {
    expect(splitCommitMessage('s\n\nb1\n\nb2\n\nA: 1\nB: 2\n')).toEqual({
      subject: 's',
      body: 'b1\n\nb2',
      trailers: 'A: 1\nB: 2',
    });
    expect(splitCommitMessage('s\n\nbody only\n')).toEqual({ subject: 's', body: 'body only', trailers: '' });
    expect(splitCommitMessage('s')).toEqual({ subject: 's', body: '', trailers: '' });
  });

  test('promotion, with approval evidence and an override', () => {
    const commit = promotion('1.6.1', D('a'), '2026-01-20T10:00:00Z', {
      previousVersion: '1.6.0',
      runUrl: 'https://github.com/acme/app/actions/runs/1',
    });
    commit.trailers +=
      '\nSd-Approved-By: alice, bob\nSd-Approval: https://github.com/acme/app/issues/7\nSd-Override: min-soak\nSd-Override-Reason: hotfix for INC-12';
    expect(parseLedgerCommit(commit, ENV)).toEqual({
      kind: 'promotion',
      sha: commit.sha,
      subject: 'promote(blue): 1.6.1 to production',
      date: '2026-01-20T10:00:00Z',
      service: 'blue',
      environment: 'production',
      version: '1.6.1',
      previousVersion: '1.6.0',
      digest: D('a'),
      image: 'registry.example/blue',
      sourceCommit: SRC('a'),
      fromEnvironment: 'staging',
      actor: 'alice',
      runUrl: 'https://github.com/acme/app/actions/runs/1',
      approval: { approvedBy: ['alice', 'bob'], approval: 'https://github.com/acme/app/issues/7' },
      override: { rules: ['min-soak'], reason: 'hotfix for INC-12' },
    });
  });

  test('verification and rollback records', () => {
    const v = parseLedgerCommit(verification('1.6.1', D('a'), 'healthy', '2026-01-20T10:05:00Z'), ENV);
    expect(v).toMatchObject({ kind: 'verification', result: 'healthy', version: '1.6.1', digest: D('a') });
    const r = parseLedgerCommit(
      rollback(
        { version: '1.6.1', previousVersion: '1.7.0', digest: D('a'), sourceCommit: SRC('a') },
        '2026-01-21T10:00:00Z',
      ),
      ENV,
    );
    expect(r).toMatchObject({
      kind: 'rollback',
      subject: 'rollback(blue): 1.7.0 → 1.6.1 in production',
      version: '1.6.1',
      previousVersion: '1.7.0',
      rollbackOf: '1.7.0',
      reason: 'verify-deployment: unhealthy',
      actor: 'github-actions',
      sourceCommit: SRC('a'),
    });
  });

  test('commits without Sd- trailers are not events; actor falls back to the author', () => {
    expect(parseLedgerCommit(raw('Signed-off-by: x <x@y>'), ENV)).toBeUndefined();
    expect(parseLedgerCommit(raw(''), ENV)).toBeUndefined();
    expect(parseLedgerCommit(raw(GOOD()), ENV)).toMatchObject({ kind: 'promotion', actor: 'Mallory' });
  });

  test.each([
    ['a short digest', GOOD().replace(D('a'), 'sha256:abc'), /Sd-Digest "sha256:abc" is not a digest/],
    ['an uppercase digest', GOOD().replace(D('a'), D('A')), /Sd-Digest .* is not a digest/],
    ['a missing digest', GOOD().replace(/Sd-Digest.*\n/, ''), /Sd-Digest is missing/],
    ['a v-prefixed version', GOOD().replace('1.6.1', 'v1.6.1'), /Sd-Version "v1.6.1" is not a version/],
    [
      'another environment',
      GOOD().replace('production', 'staging'),
      /Sd-Environment "staging" is not this branch's environment/,
    ],
    [
      'a short source commit',
      GOOD('Sd-Source-Commit: abc1234\n'),
      /Sd-Source-Commit "abc1234" is not a full 40-character/,
    ],
    ['two versions (a forged trailer)', GOOD('Sd-Version: 6.6.6\n'), /Sd-Version has 2 different values/],
    [
      'an unknown verdict',
      GOOD('Sd-Verification: fine\n'),
      /Sd-Verification "fine" is not healthy, unhealthy, inconclusive/,
    ],
    ['a rollback flag that is not true', GOOD('Sd-Rollback: yes\n'), /Sd-Rollback "yes" is not "true"/],
    ['a rollback without its facts', GOOD('Sd-Rollback: true\n'), /Sd-Previous-Version is missing/],
    [
      'a rollback without a reason',
      GOOD('Sd-Rollback: true\nSd-Previous-Version: 1.7.0\nSd-Rollback-Of: 1.7.0\n'),
      /Sd-Reason is missing/,
    ],
    [
      'a run URL that is not one',
      GOOD('Sd-Run-Url: javascript:alert(1)\n'),
      /Sd-Run-Url .* is not an http\(s\) URL/,
    ],
    [
      'an override without a reason',
      GOOD('Sd-Override: min-soak\n'),
      /Sd-Override without Sd-Override-Reason/,
    ],
    [
      'an approval without approvers',
      GOOD('Sd-Approval: https://github.com/a/b/issues/1\n'),
      /Sd-Approval without Sd-Approved-By/,
    ],
    ['approvers that are not logins', GOOD('Sd-Approved-By: alice, $(rm -rf)\n'), /not GitHub logins/],
    [
      'a control character in a value',
      GOOD('Sd-Run-Url: https://x.example/\u001b[31m\n'),
      /Sd-Run-Url "https:\/\/x\.example\/\\u001b\[31m" contains control characters/,
    ],
    [
      'both a rollback and a verification',
      GOOD('Sd-Rollback: true\nSd-Verification: healthy\n'),
      /on one commit/,
    ],
  ])('malformed: %s', (_name, trailers, problem) => {
    const event = parseLedgerCommit(raw(trailers), ENV);
    expect(event?.kind).toBe('malformed');
    expect(event?.kind === 'malformed' && event.problems.join('; ')).toMatch(problem);
  });

  test('an unreadable commit date is malformed', () => {
    expect(parseLedgerCommit(raw(GOOD(), 'yesterday'), ENV)).toMatchObject({
      kind: 'malformed',
      problems: [expect.stringMatching(/commit date/)],
    });
  });

  test('continuation lines are joined; keys are case-insensitive', () => {
    expect(parseTrailerBlock('sd-reason: first\n  second\nSd-Approved-By: a\nSd-Approved-By: b')).toEqual(
      new Map([
        ['sd-reason', ['first second']],
        ['sd-approved-by', ['a', 'b']],
      ]),
    );
  });
});

describe('parseLedger', () => {
  const commits = [
    verification('1.7.0', D('b'), 'unhealthy', '2026-01-22T10:05:00Z'),
    promotion('1.7.0', D('b'), '2026-01-22T10:00:00Z'),
    raw(GOOD().replace('blue', 'red').replace('1.6.1', '3.0.8')),
    raw(GOOD().replace(D('a'), 'sha256:bad')),
    verification('1.6.1', D('a'), 'unhealthy', '2026-01-20T11:00:00Z'),
    verification('1.6.1', D('a'), 'healthy', '2026-01-20T10:05:00Z'),
    promotion('1.6.1', D('a'), '2026-01-20T10:00:00Z'),
  ];

  test('filters by service, keeps order and reports malformed records', () => {
    const ledger = parseLedger(commits, ENV, 'blue');
    expect(ledger.events.map((e) => e.kind)).toEqual([
      'verification',
      'promotion',
      'malformed',
      'verification',
      'verification',
      'promotion',
    ]);
    expect(ledger.malformed).toHaveLength(1);
    expect(parseLedger(commits, ENV).events).toHaveLength(7);
  });

  test('the newest placement and the newest verdict win', () => {
    const ledger = parseLedger(commits, ENV, 'blue');
    expect(lastPlacement(ledger, '1.6.1')?.date).toBe('2026-01-20T10:00:00Z');
    expect(lastPlacement(ledger, '1.6.1', D('b'))).toBeUndefined();
    expect(lastVerification(ledger, '1.6.1', D('a'))?.result).toBe('unhealthy');
    expect(lastVerification(ledger, '1.6.1', D('c'))).toBeUndefined();
  });
});

describe('history and marks', () => {
  test('status --history rows: promotions, approvals, overrides, verifications, rollbacks, malformed', () => {
    const p = promotion('1.7.0', D('b'), '2026-01-22T10:00:00Z', { previousVersion: '1.6.1' });
    p.trailers +=
      '\nSd-Approved-By: alice, bob\nSd-Approval: https://github.com/acme/app/issues/7\nSd-Override: min-soak\nSd-Override-Reason: INC-12';
    const ledger = parseLedger(
      [
        rollback({ version: '1.6.1', previousVersion: '1.7.0', digest: D('a') }, '2026-01-22T11:00:00Z'),
        verification('1.7.0', D('b'), 'unhealthy', '2026-01-22T10:30:00Z'),
        p,
        raw(GOOD().replace(D('a'), 'sha256:x'), '2026-01-21T00:00:00Z'),
      ],
      ENV,
      'blue',
    );
    const rows = ledgerHistory(ledger);
    expect(rows.map((r) => `${r.kind}: ${r.detail}`)).toEqual([
      'rollback: rolled back from 1.7.0 to 1.6.1: verify-deployment: unhealthy',
      'verification: 1.7.0 verified unhealthy',
      'promotion: promoted 1.7.0 from staging (was 1.6.1)',
      'approval: approved by alice, bob (https://github.com/acme/app/issues/7)',
      'override: overrode min-soak: INC-12',
      'malformed: not trusted: Sd-Digest "sha256:x" is not a digest like sha256:<64 hex>',
    ]);
    expect(rows[0]).toMatchObject({ date: '2026-01-22T11:00:00Z', service: 'blue', actor: 'github-actions' });
    expect(renderHistoryText(rows).split('\n')[0]).toMatch(
      /^2026-01-22T11:00:00Z {2}rollback {6}blue {2}github-actions {2}[0-9a-f]{12} {2}rolled back from/,
    );
    expect(renderHistoryText([])).toBe('No ledger records.\n');
    expect(verificationMark(ledger, '1.7.0', D('b'))).toBe('unhealthy');
    expect(verificationMark(ledger, '1.6.1', D('a'))).toBe('unverified');
  });
});
