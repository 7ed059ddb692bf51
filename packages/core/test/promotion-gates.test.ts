import { describe, expect, test } from '@jest/globals';
import {
  approvalRecord,
  decideRunReviews,
  judgeRequestApproval,
  judgeRunApproval,
  parseApprovalReference,
  parseLedgerCommit,
  parseTrailerBlock,
  promotionMessage,
  type ApprovalBinding,
  type ApprovalDecision,
  type ApprovalPolicy,
} from '../src/index.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const POLICY: ApprovalPolicy = { count: 2, users: ['alice', 'bob', 'carol'], teams: [], via: 'issue' };
const BINDING: ApprovalBinding = {
  service: 'blue',
  environment: 'production',
  version: '1.6.1',
  digest: DIGEST,
  requester: 'dave',
  triggeringActor: 'dave',
  run: 'https://github.com/acme/monorepo/actions/runs/1',
  requestedAt: '2026-01-01T10:00:00Z',
};
const URL = 'https://github.com/acme/monorepo/issues/7';
const TARGET = { service: 'blue', environment: 'production', digest: DIGEST };
const decision = (d: Partial<ApprovalDecision>): ApprovalDecision => ({
  status: 'pending',
  approvers: [],
  deniers: [],
  ignored: [],
  ...d,
});
const judge = (d: Partial<ApprovalDecision>, binding = BINDING) =>
  judgeRequestApproval({
    number: 7,
    url: URL,
    binding,
    decision: decision(d),
    policy: POLICY,
    expected: TARGET,
  });
const refusal = (v: ReturnType<typeof judge>) => ('refusal' in v ? v.refusal.message : undefined);

describe('parseApprovalReference', () => {
  test.each([
    ['42', 42],
    ['#42', 42],
    [' 42 ', 42],
    ['https://github.com/acme/monorepo/issues/42', 42],
    ['https://github.com/ACME/monorepo/issues/42/', 42],
  ])('%j → %d', (text, n) => expect(parseApprovalReference(text, 'acme/monorepo')).toBe(n));

  test.each([
    ['abc', /is not valid; expected the approval request's issue number or URL/],
    ['0', /is not valid/],
    ['https://github.com/acme/monorepo/pull/42', /is not valid/],
    ['https://github.com/evil/repo/issues/1', /is an issue of evil\/repo, not of acme\/monorepo/],
  ])('%j is refused', (text, message) =>
    expect(() => parseApprovalReference(text, 'acme/monorepo')).toThrow(message),
  );
});

describe('judgeRequestApproval: the [approval] rule for an issue', () => {
  test('approved: the evidence is who approved and the request URL', () => {
    const v = judge({ status: 'approved', approvers: ['alice', 'bob'] });
    expect(v).toEqual({ evidence: { approvedBy: ['alice', 'bob'], approval: URL } });
    expect(approvalRecord('evidence' in v ? v.evidence : undefined)).toEqual({
      approvedBy: 'alice, bob',
      approval: URL,
    });
    expect(approvalRecord(undefined)).toEqual({});
  });

  test('bound to another digest, service or environment: refused whatever the votes', () => {
    const other = { ...BINDING, digest: `sha256:${'b'.repeat(64)}`, environment: 'staging' };
    const v = judge({ status: 'approved', approvers: ['alice', 'bob'] }, other);
    expect(v).toMatchObject({ refusal: { rule: 'approval' } });
    expect(refusal(v)).toMatch(/does not approve this promotion: it approves environment "staging"/);
    expect(refusal(v)).toMatch(/it approves digest sha256:b+, not sha256:a+/);
  });

  test('the version is not part of the check (the same artifact can be cut as a release)', () => {
    const v = judge(
      { status: 'approved', approvers: ['alice', 'bob'] },
      { ...BINDING, version: 'sha-abc1234' },
    );
    expect('evidence' in v).toBe(true);
  });

  test('denied, pending and timed out name the facts', () => {
    expect(refusal(judge({ status: 'denied', approvers: ['alice'], deniers: ['carol'] }))).toBe(
      `approval request #7 (${URL}) was denied by carol`,
    );
    expect(
      refusal(
        judge({
          approvers: ['alice'],
          ignored: [
            { login: 'dave', commentId: 1, reason: 'requester' },
            { login: 'dave', commentId: 2, reason: 'requester' },
            { login: 'mallory', commentId: 3, reason: 'not-eligible' },
            { login: 'alice', commentId: 4, reason: 'replaced' },
          ],
        }),
      ),
    ).toBe(
      `approval request #7 (${URL}) has 1 of 2 eligible approvals (alice); production requires 2 approvals from alice, bob, carol (via issue); not counted: dave (asked for it), mallory (not an eligible approver). The person who asked cannot approve their own request`,
    );
    expect(refusal(judge({ status: 'timed-out' }))).toMatch(
      /timed out after its timeout with 0 of 2 eligible approvals;/,
    );
  });
});

describe('decideRunReviews / judgeRunApproval: via: environment', () => {
  const review = (
    user: string,
    state: 'approved' | 'rejected' = 'approved',
    environments = ['production'],
  ) => ({
    user,
    state,
    environments,
  });
  const decide = (reviews: ReturnType<typeof review>[]) =>
    decideRunReviews({
      reviews,
      environment: 'production',
      count: 1,
      excluded: ['dave', 'Eve'],
      isEligible: (login) => ['alice', 'dave', 'eve'].includes(login.toLowerCase()),
    });
  const runJudge = (reviews: ReturnType<typeof review>[]) =>
    judgeRunApproval({
      runId: 9,
      runUrl: 'https://github.com/acme/monorepo/actions/runs/9',
      environment: 'production',
      decision: decide(reviews),
      policy: { ...POLICY, count: 1, via: 'environment' },
    });

  test('an eligible reviewer who did not start the run approves', () => {
    expect(decide([review('alice'), review('alice'), review('bob', 'approved', ['other'])])).toEqual({
      status: 'approved',
      approvers: ['alice'],
      deniers: [],
      ignored: [],
      reviews: 2,
    });
    expect(runJudge([review('alice')])).toEqual({
      evidence: { approvedBy: ['alice'], approval: 'https://github.com/acme/monorepo/actions/runs/9' },
    });
  });

  test('the initiator (any case) and ineligible people do not count; a rejection denies', () => {
    expect(decide([review('EVE'), review('carol')])).toMatchObject({
      status: 'pending',
      ignored: [
        { login: 'EVE', reason: 'requester' },
        { login: 'carol', reason: 'not-eligible' },
      ],
    });
    expect(refusal(runJudge([review('dave')]))).toMatch(
      /run 9 was released without an eligible approval \(dave \(started the run\)\)/,
    );
    expect(refusal(runJudge([review('alice'), review('carol', 'rejected')]))).toMatch(/rejected by carol/);
    expect(refusal(runJudge([review('alice', 'approved', ['staging'])]))).toMatch(
      /run 9 has no review for the GitHub environment "production"/,
    );
  });
});

describe('the evidence in the ledger', () => {
  test('promotionMessage writes Sd-Approved-By and Sd-Approval, and the ledger reads them back', () => {
    const message = promotionMessage({
      service: 'blue',
      environment: 'production',
      version: '1.6.1',
      digest: DIGEST,
      approvedBy: 'alice, bob',
      approval: URL,
    });
    expect(message).toContain(`\nSd-Approved-By: alice, bob\nSd-Approval: ${URL}\n`);
    const trailers = message.trimEnd().split('\n\n').at(-1)!;
    expect(parseTrailerBlock(trailers).get('sd-approved-by')).toEqual(['alice, bob']);
    const event = parseLedgerCommit(
      {
        sha: 'c'.repeat(40),
        subject: 'promote(blue): 1.6.1 to production',
        date: '2026-01-01T10:00:00Z',
        trailers,
      },
      'production',
    );
    expect(event).toMatchObject({
      kind: 'promotion',
      approval: { approvedBy: ['alice', 'bob'], approval: URL },
    });
  });
});
