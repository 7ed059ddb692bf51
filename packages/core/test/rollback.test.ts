import { describe, expect, test } from '@jest/globals';
import {
  checkRegistryDigest,
  parseLedger,
  parseLedgerCommit,
  planRollback,
  rollbackMessage,
  type LedgerCommit,
  type QuarantineEntry,
  type RollbackDecision,
  type RollbackRequest,
} from '../src/index.js';
import { D, ENV, SRC, promotion, rollback, verification } from './ledger-fixtures.js';

const NOW = new Date('2026-01-23T12:00:00Z');
const MIN = 60e3;

// History of blue in production, newest first:
//   1.7.0 (b) promoted, found unhealthy; 1.6.2 (e) promoted, never verified;
//   1.6.1 (a) promoted, verified healthy; 1.6.0 (f) promoted, verified healthy.
const HISTORY: LedgerCommit[] = [
  verification('1.7.0', D('b'), 'unhealthy', '2026-01-23T11:00:00Z'),
  promotion('1.7.0', D('b'), '2026-01-23T10:50:00Z'),
  promotion('1.6.2', D('e'), '2026-01-22T10:00:00Z'),
  verification('1.6.1', D('a'), 'healthy', '2026-01-21T10:10:00Z'),
  promotion('1.6.1', D('a'), '2026-01-21T10:00:00Z'),
  verification('1.6.0', D('f'), 'healthy', '2026-01-20T10:10:00Z'),
  promotion('1.6.0', D('f'), '2026-01-20T10:00:00Z'),
];

const Q = (version: string, digest: string): QuarantineEntry => ({
  service: 'blue',
  version,
  digest,
  at: '2026-01-22T12:00:00Z',
  reason: 'latency',
  by: 'bob',
});

interface Row {
  history?: LedgerCommit[];
  current?: RollbackRequest['current'];
  over?: Partial<RollbackRequest>;
}

function plan({
  history = HISTORY,
  current = { version: '1.7.0', digest: D('b') },
  over = {},
}: Row): RollbackDecision {
  return planRollback({
    service: 'blue',
    environment: ENV,
    current,
    ledger: parseLedger(history, ENV, 'blue'),
    quarantine: [],
    reason: 'verify-deployment: unhealthy',
    cooldownMs: 30 * MIN,
    allowUnverified: false,
    now: NOW,
    ...over,
  });
}

// After a rollback 1.7.0 → 1.6.1 that landed at `at`.
const afterRollback = (at: string): Row => ({
  history: [
    rollback(
      {
        version: '1.6.1',
        previousVersion: '1.7.0',
        digest: D('a'),
        image: 'registry.example/blue',
        sourceCommit: SRC('a'),
      },
      at,
    ),
    ...HISTORY,
  ],
  current: { version: '1.6.1', digest: D('a') },
});

describe('planRollback', () => {
  test.each<[string, Row, string, RegExp | string]>([
    [
      'target: the newest earlier version verified healthy, skipping an unverified one',
      {},
      'rollback',
      '1.6.1',
    ],
    [
      'target: a quarantined healthy version is passed over',
      { over: { quarantine: [Q('1.6.1', D('a'))] } },
      'rollback',
      '1.6.0',
    ],
    [
      'target: a version with the bad digest is passed over',
      {
        history: [
          ...HISTORY.slice(0, 3),
          verification('1.6.1', D('b'), 'healthy', '2026-01-21T10:20:00Z'),
          promotion('1.6.1', D('b'), '2026-01-21T10:15:00Z'),
          ...HISTORY.slice(3),
        ],
      },
      'rollback',
      '1.6.0',
    ],
    [
      'target: the latest verdict counts (healthy, then unhealthy → passed over)',
      {
        history: [
          ...HISTORY.slice(0, 3),
          verification('1.6.1', D('a'), 'unhealthy', '2026-01-21T12:00:00Z'),
          ...HISTORY.slice(3),
        ],
      },
      'rollback',
      '1.6.0',
    ],
    [
      'allow-unverified: an unverified version is taken only when no verified one exists',
      { over: { allowUnverified: true } },
      'rollback',
      '1.6.1',
    ],
    [
      'allow-unverified: the newest unverified one when nothing is verified',
      {
        history: HISTORY.filter((c) => !c.subject.includes('healthy') || c.subject.includes('1.7.0')),
        over: { allowUnverified: true },
      },
      'rollback',
      '1.6.2',
    ],
    [
      'no-target: nothing verified healthy → refused, naming what was passed over and the way out',
      { history: HISTORY.filter((c) => !c.subject.includes('healthy') || c.subject.includes('1.7.0')) },
      'refused:no-target',
      /no earlier version verified healthy to roll back to from 1\.7\.0\. Passed over: 1\.6\.2 \(never verified\); 1\.6\.1 \(never verified\); 1\.6\.0 \(never verified\)\. Set allow-unverified: true/,
    ],
    ['to-version: that version as it last ran here', { over: { toVersion: '1.6.2' } }, 'rollback', '1.6.2'],
    [
      'target: an inconclusive verdict is not healthy; allow-unverified may take it',
      {
        history: [
          ...HISTORY.slice(0, 2),
          verification('1.6.2', D('e'), 'inconclusive', '2026-01-22T10:10:00Z'),
          ...HISTORY.slice(2).filter((c) => !c.subject.includes('healthy')),
        ],
        over: { allowUnverified: true },
      },
      'rollback',
      '1.6.2',
    ],
    [
      'target: the running entry was edited by hand (no ledger record): every recorded version counts',
      { current: { version: '1.8.0', digest: D('9') } },
      'rollback',
      '1.6.1',
    ],
    [
      'to-version-never-ran: refused',
      { over: { toVersion: '1.5.0' } },
      'refused:to-version-never-ran',
      /blue 1\.5\.0 never ran in production/,
    ],
    [
      'to-version-same-digest: refused',
      {
        history: [
          promotion('1.7.0', D('b'), '2026-01-23T10:50:00Z'),
          promotion('1.6.9', D('b'), '2026-01-22T10:00:00Z'),
        ],
        over: { toVersion: '1.6.9' },
      },
      'refused:to-version-same-digest',
      /ran in production as sha256:b+, the digest running now/,
    ],
    [
      'quarantine: an explicit quarantined target is refused',
      { over: { toVersion: '1.6.1', quarantine: [Q('1.6.1', D('a'))] } },
      'refused:quarantine',
      /quarantined in production since 2026-01-22T12:00:00Z by bob: latency; set allow-quarantined: true/,
    ],
    [
      'quarantine: allow-quarantined takes it',
      { over: { toVersion: '1.6.1', quarantine: [Q('1.6.1', D('a'))], allowQuarantined: true } },
      'rollback',
      '1.6.1',
    ],
    [
      'not-deployed: refused',
      { over: { current: undefined } },
      'refused:not-deployed',
      /blue in production is not deployed/,
    ],
    [
      'idempotent: from-version already moved away by a rollback → no-op',
      { ...afterRollback('2026-01-23T11:10:00Z'), over: { fromVersion: '1.7.0' } },
      'noop',
      /1\.7\.0 was already rolled back to 1\.6\.1 by a rollback from 1\.7\.0/,
    ],
    [
      'idempotent: to-version already running → no-op',
      { ...afterRollback('2026-01-23T11:10:00Z'), over: { toVersion: '1.6.1' } },
      'noop',
      /already runs 1\.6\.1/,
    ],
    [
      'from-version: moved away by a promotion, not a rollback → refused',
      { over: { fromVersion: '1.6.2' } },
      'refused:from-version',
      /runs 1\.7\.0 \(placed by a promotion .*\), not 1\.6\.2; no rollback moved 1\.6\.2 away/,
    ],
    [
      'cooldown: an automatic rollback of a rollback within cooldown is refused',
      afterRollback('2026-01-23T11:50:00Z'),
      'refused:cooldown',
      /put there by a rollback from 1\.7\.0 .* 10m ago, within the cooldown \(30m\); .* a person must decide: run it again with to-version/,
    ],
    [
      'cooldown: outside the cooldown it may roll back again',
      afterRollback('2026-01-23T11:00:00Z'),
      'rollback',
      '1.6.0',
    ],
    [
      'cooldown: a manual request (reason "manual") is not automatic',
      { ...afterRollback('2026-01-23T11:50:00Z'), over: { reason: 'manual' } },
      'rollback',
      '1.6.0',
    ],
    [
      'cooldown: a person-given to-version overrides it',
      { ...afterRollback('2026-01-23T11:50:00Z'), over: { toVersion: '1.6.0' } },
      'rollback',
      '1.6.0',
    ],
  ])('%s', (_name, row, expected, detail) => {
    const decision = plan(row);
    const kind = decision.kind === 'refused' ? `refused:${decision.rule}` : decision.kind;
    expect({
      kind,
      detail:
        decision.kind === 'refused' || decision.kind === 'noop' ? decision.message : decision.to.version,
    }).toEqual({
      kind: expected,
      detail: typeof detail === 'string' ? detail : expect.stringMatching(detail),
    });
  });

  test('the target carries digest, image and source commit from the ledger, and why it was chosen', () => {
    const decision = plan({});
    if (decision.kind !== 'rollback') throw new Error(decision.kind);
    expect(decision.from).toEqual({ version: '1.7.0', digest: D('b') });
    expect(decision.to).toMatchObject({
      version: '1.6.1',
      digest: D('a'),
      image: 'registry.example/blue',
      sourceCommit: SRC('a'),
      basis: 'verified',
      verification: { result: 'healthy', date: '2026-01-21T10:10:00Z' },
    });
    expect(decision.skipped).toEqual([{ version: '1.6.2', why: 'never verified' }]);
    const unverified = plan({
      history: HISTORY.filter((c) => !c.subject.includes('healthy') || c.subject.includes('1.7.0')),
      over: { allowUnverified: true },
    });
    expect(unverified.kind === 'rollback' && unverified.to.basis).toBe('unverified');
  });
});

describe('rollback record', () => {
  const record = {
    service: 'blue',
    environment: ENV,
    version: '1.6.1',
    previousVersion: '1.7.0',
    digest: D('a'),
    image: 'registry.example/blue',
    sourceCommit: SRC('a'),
    reason: 'verify-deployment: unhealthy\nSd-Version: 6.6.6',
    actor: 'alice',
    runUrl: 'https://github.com/acme/app/actions/runs/7',
  };

  test('subject, body and trailers; read back by the ledger', () => {
    const message = rollbackMessage(record);
    expect(message).toBe(`rollback(blue): 1.7.0 → 1.6.1 in production

Roll back blue in production from 1.7.0 to 1.6.1: verify-deployment: unhealthy Sd-Version: 6.6.6.

Sd-Service: blue
Sd-Environment: production
Sd-Version: 1.6.1
Sd-Previous-Version: 1.7.0
Sd-Digest: ${D('a')}
Sd-Image: registry.example/blue
Sd-Source-Commit: ${SRC('a')}
Sd-Rollback: true
Sd-Rollback-Of: 1.7.0
Sd-Reason: verify-deployment: unhealthy Sd-Version: 6.6.6
Sd-Actor: alice
Sd-Run-Url: https://github.com/acme/app/actions/runs/7
`);
    const trailers = message.split('\n\n')[2]!;
    expect(
      parseLedgerCommit({ sha: 'x', subject: 's', date: '2026-01-23T12:00:00Z', trailers }, ENV),
    ).toMatchObject({
      kind: 'rollback',
      version: '1.6.1',
      rollbackOf: '1.7.0',
      reason: 'verify-deployment: unhealthy Sd-Version: 6.6.6',
    });
  });

  test('a value that is not one clean line is refused', () => {
    expect(() => rollbackMessage({ ...record, version: '1.6.1\nSd-X: y' })).toThrow(
      /the version "1\.6\.1\\nSd-X: y" is not a single clean value/,
    );
  });

  test('the registry must hold the ledger digest', () => {
    const target = { version: '1.6.1', digest: D('a') };
    expect(checkRegistryDigest(target, 'blue', D('a'))).toBeUndefined();
    expect(checkRegistryDigest(target, 'blue', D('c'))).toMatch(
      /blue 1\.6\.1 is sha256:c+ in the registry but ran here as sha256:a+ \(ledger\)/,
    );
    expect(checkRegistryDigest(target, 'blue', undefined)).toMatch(/is not in the registry/);
  });
});
