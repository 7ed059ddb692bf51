/**
 * The approval gate's rules, one table row per rule: votes, eligibility, self-approval, edits,
 * one vote per person, deny wins, N distinct approvals, timeouts; the binding and its checks; the
 * `approvals` setting; the texts.
 */
import { describe, expect, test } from '@jest/globals';
import {
  approvalTitle,
  bindingMismatches,
  decideApproval,
  isApprovalTitleFor,
  listedEligible,
  parseConfig,
  parseApprovalSetting,
  parseVote,
  readBinding,
  renderApprovalBody,
  renderBindingComment,
  renderOrphanComment,
  renderOutcomeComment,
  renderSupersededComment,
  type ApprovalBinding,
  type ApprovalComment,
  type ApprovalDecisionInput,
} from '../src/index.js';

describe('parseVote', () => {
  test.each([
    ['approve', 'approve'],
    ['approved', 'approve'],
    ['LGTM', 'approve'],
    ['/approve', 'approve'],
    ['  Approve.  ', 'approve'],
    ['approve!', 'approve'],
    ['lgtm!!', 'approve'],
    ['deny', 'deny'],
    ['Denied', 'deny'],
    ['reject', 'deny'],
    ['/deny', 'deny'],
    ['DENY.', 'deny'],
    ['\napproved\n', 'approve'],
    ['approve please', undefined],
    ['I approve', undefined],
    ['approve?', undefined],
    ['not lgtm', undefined],
    ['/approve /deny', undefined],
    ['', undefined],
    ['approve\nbut check', undefined],
  ])('%j → %s', (text, vote) => {
    expect(parseVote(text)).toBe(vote);
  });
});

const T0 = '2026-01-01T10:00:00Z';
let ids = 1;
function c(author: string, body: string, at: string = T0, edited?: string): ApprovalComment {
  return { id: ids++, author, body, createdAt: at, updatedAt: edited ?? at };
}
const at = (minute: number) => `2026-01-01T10:${String(minute).padStart(2, '0')}:00Z`;
const ELIGIBLE = new Set(['alice', 'bob', 'carol', 'dave']);
const base: Omit<ApprovalDecisionInput, 'comments'> = {
  count: 2,
  isEligible: (login) => ELIGIBLE.has(login.toLowerCase()),
  excluded: ['dave', 'dave'],
  bindingAuthor: 'sd-bot',
};

describe('decideApproval: one row per rule', () => {
  test.each<[string, ApprovalComment[], Partial<ApprovalDecisionInput>, string, string[], string[]]>([
    [
      'two distinct eligible approvals approve',
      [c('alice', 'approve', at(1)), c('bob', 'lgtm', at(2))],
      {},
      'approved',
      ['alice', 'bob'],
      [],
    ],
    ['one approval of two is pending', [c('alice', 'approve', at(1))], {}, 'pending', ['alice'], []],
    [
      'the same person twice counts once',
      [c('alice', 'approve', at(1)), c('alice', 'approve', at(2))],
      {},
      'pending',
      ['alice'],
      [],
    ],
    [
      'logins match case-insensitively (one person)',
      [c('alice', 'approve', at(1)), c('ALICE', 'approve', at(2))],
      {},
      'pending',
      ['ALICE'],
      [],
    ],
    [
      'a non-eligible approval is ignored',
      [c('alice', 'approve', at(1)), c('mallory', 'approve', at(2))],
      {},
      'pending',
      ['alice'],
      [],
    ],
    [
      'the requester cannot approve their own request',
      [c('alice', 'approve', at(1)), c('dave', 'approve', at(2))],
      {},
      'pending',
      ['alice'],
      [],
    ],
    [
      'the triggering actor is excluded too',
      [c('alice', 'approve', at(1)), c('carol', 'approve', at(2))],
      { excluded: ['dave', 'Carol'] },
      'pending',
      ['alice'],
      [],
    ],
    [
      'an edited comment does not count',
      [c('alice', 'approve', at(1)), c('bob', 'approve', at(2), at(3))],
      {},
      'pending',
      ['alice'],
      [],
    ],
    [
      'any counting deny wins over approvals',
      [c('alice', 'approve', at(1)), c('bob', 'approve', at(2)), c('carol', 'deny', at(3))],
      {},
      'denied',
      ['alice', 'bob'],
      ['carol'],
    ],
    [
      'a deny from a non-eligible person is ignored',
      [c('alice', 'approve', at(1)), c('bob', 'approve', at(2)), c('mallory', 'deny', at(3))],
      {},
      'approved',
      ['alice', 'bob'],
      [],
    ],
    [
      'a deny by the requester is ignored too',
      [c('dave', 'deny', at(1)), c('alice', 'approve', at(2)), c('bob', 'approve', at(3))],
      {},
      'approved',
      ['alice', 'bob'],
      [],
    ],
    [
      'an edited deny does not count',
      [c('carol', 'deny', at(1), at(5)), c('alice', 'approve', at(2)), c('bob', 'approve', at(3))],
      {},
      'approved',
      ['alice', 'bob'],
      [],
    ],
    [
      'the latest vote per person counts: deny then approve',
      [c('carol', 'deny', at(1)), c('carol', 'approve', at(2)), c('alice', 'approve', at(3))],
      {},
      'approved',
      ['carol', 'alice'],
      [],
    ],
    [
      'the latest vote per person counts: approve then deny',
      [c('alice', 'approve', at(1)), c('bob', 'approve', at(2)), c('bob', 'deny', at(3))],
      {},
      'denied',
      ['alice'],
      ['bob'],
    ],
    [
      'other comments are ignored',
      [c('alice', 'approve', at(1)), c('bob', 'looks good to me', at(2))],
      {},
      'pending',
      ['alice'],
      [],
    ],
    [
      'the binding author (the gate itself) never votes',
      [c('sd-bot', 'approve', at(1)), c('alice', 'approve', at(2))],
      {},
      'pending',
      ['alice'],
      [],
    ],
    [
      'order of the listing does not matter',
      [c('bob', 'approve', at(3)), c('bob', 'deny', at(1)), c('alice', 'approve', at(2))],
      {},
      'approved',
      ['alice', 'bob'],
      [],
    ],
    [
      'count 3 needs three',
      [c('alice', 'approve', at(1)), c('bob', 'approve', at(2))],
      { count: 3 },
      'pending',
      ['alice', 'bob'],
      [],
    ],
    [
      'pending past the timeout is timed-out',
      [c('alice', 'approve', at(1))],
      { createdAtMs: Date.parse(at(0)), timeoutMs: 60 * 60_000, nowMs: Date.parse(at(0)) + 60 * 60_000 },
      'timed-out',
      ['alice'],
      [],
    ],
    [
      'before the timeout it is still pending',
      [c('alice', 'approve', at(1))],
      { createdAtMs: Date.parse(at(0)), timeoutMs: 60 * 60_000, nowMs: Date.parse(at(0)) + 60 * 60_000 - 1 },
      'pending',
      ['alice'],
      [],
    ],
    [
      'a decision reached in time stands past the timeout',
      [c('alice', 'approve', at(1)), c('bob', 'approve', at(2))],
      { createdAtMs: 0, timeoutMs: 1, nowMs: Date.now() },
      'approved',
      ['alice', 'bob'],
      [],
    ],
  ])('%s', (_rule, comments, overrides, status, approvers, deniers) => {
    const d = decideApproval({ ...base, ...overrides, comments });
    expect(d.status).toBe(status);
    expect(d.approvers).toEqual(approvers);
    expect(d.deniers).toEqual(deniers);
  });

  test('ignored votes say why', () => {
    const d = decideApproval({
      ...base,
      comments: [
        c('dave', 'approve', at(1)),
        c('bob', 'approve', at(2), at(4)),
        c('mallory', 'approve', at(3)),
        c('alice', 'approve', at(4)),
        c('alice', 'approve', at(5)),
      ],
    });
    expect(d.ignored.map((i) => `${i.login}:${i.reason}`)).toEqual([
      'dave:requester',
      'bob:edited',
      'mallory:not-eligible',
      'alice:replaced',
    ]);
  });

  test('300 comments with the approvals at the end', () => {
    const comments = Array.from({ length: 298 }, (_, i) => c('mallory', `comment ${i}`, at(1)));
    comments.push(c('alice', 'approve', at(2)), c('bob', 'approve', at(3)));
    expect(decideApproval({ ...base, comments }).status).toBe('approved');
  });
});

describe('listedEligible', () => {
  const policy = { count: 2, users: ['Alice', 'bob'], teams: ['acme/sre'], via: 'issue' as const };
  test.each([
    ['alice', [], true],
    ['BOB', [], true],
    ['erin', ['acme/SRE'], true],
    ['erin', [], false],
    ['erin', ['acme/other'], false],
  ])('%s with active teams %j → %s', (login, teams, expected) => {
    expect(listedEligible(policy, login, teams)).toBe(expected);
  });
});

const BINDING: ApprovalBinding = {
  service: 'blue',
  environment: 'production',
  version: '1.6.1',
  digest: `sha256:${'a'.repeat(64)}`,
  requester: 'dave',
  triggeringActor: 'erin',
  run: 'https://github.example/acme/shop/actions/runs/42',
  from: 'staging',
  requestedAt: T0,
};

describe('the binding', () => {
  const bindingComment = (over: Partial<ApprovalComment> = {}): ApprovalComment => ({
    id: 1,
    author: 'sd-bot',
    body: renderBindingComment(BINDING),
    createdAt: T0,
    updatedAt: T0,
    ...over,
  });

  test('round-trips through the first comment of the trusted author', () => {
    const found = readBinding([c('mallory', 'hi'), bindingComment()], ['sd-bot']);
    expect(found).toMatchObject({ binding: BINDING });
  });

  test.each<[string, ApprovalComment[], RegExp]>([
    [
      'no comment by the trusted author',
      [c('mallory', renderBindingComment(BINDING))],
      /no binding comment by "sd-bot"/,
    ],
    ['an edited binding comment', [bindingComment({ updatedAt: at(9) })], /was edited after it was posted/],
    ['a first trusted comment without a binding', [bindingComment({ body: 'hello' })], /carries no binding/],
    [
      'a binding that does not decode',
      [
        bindingComment({
          body: renderBindingComment(BINDING).replace(/(sd-approval-binding )\S+/, '$1AAAA'),
        }),
      ],
      /carries no binding/,
    ],
  ])('refused: %s', (_what, comments, problem) => {
    const found = readBinding(comments, ['sd-bot']);
    expect('problem' in found && found.problem).toMatch(problem);
  });

  test.each([
    [{ service: 'blue', environment: 'production', digest: BINDING.digest, version: '1.6.1' }, []],
    [{ service: 'blue', environment: 'production', digest: BINDING.digest }, []],
    [
      { service: 'blue', environment: 'production', digest: `sha256:${'b'.repeat(64)}` },
      [`it approves digest ${BINDING.digest}, not sha256:${'b'.repeat(64)}`],
    ],
    [
      { service: 'green', environment: 'staging', digest: BINDING.digest },
      ['it approves service "blue", not "green"', 'it approves environment "production", not "staging"'],
    ],
    [
      { service: 'blue', environment: 'production', digest: BINDING.digest, version: '1.7.0' },
      ['it approves version "1.6.1", not "1.7.0"'],
    ],
  ])('mismatches for %j', (expected, problems) => {
    expect(bindingMismatches(BINDING, expected)).toEqual(problems);
  });
});

describe('the approvals setting', () => {
  test.each<[string, unknown, object]>([
    ['nothing', undefined, { count: 0, users: [], teams: [], via: 'issue' }],
    ['a bare count', 2, { count: 2, users: [], teams: [], via: 'issue' }],
    [
      'the object form',
      { count: 2, approvers: ['alice', 'bob', 'acme/sre'], timeout: '24h' },
      {
        count: 2,
        users: ['alice', 'bob'],
        teams: ['acme/sre'],
        timeout: '24h',
        timeoutMs: 86_400_000,
        via: 'issue',
      },
    ],
    ['count defaults to 1', { approvers: ['alice'] }, { count: 1, users: ['alice'] }],
    ['via environment with one', { count: 1, via: 'environment' }, { count: 1, via: 'environment' }],
    ['teams make the count unknowable', { count: 5, approvers: ['alice', 'acme/sre'] }, { count: 5 }],
  ])('accepts %s', (_what, value, policy) => {
    const r = parseApprovalSetting(value);
    expect('policy' in r && r.policy).toMatchObject(policy);
  });

  test.each<[string, unknown, string]>([
    ['a negative count', -1, 'is not a whole number of approvals; expected 0..100'],
    ['a fraction', 1.5, 'is not a whole number of approvals; expected 0..100'],
    ['text', 'two', 'is not a whole number of approvals; expected 0..100'],
    ['an unknown key', { count: 1, approver: ['a'] }, 'approver: is not a known key'],
    ['approvers not a list', { approvers: 'alice' }, 'approvers: is not a list'],
    ['a bad login', { approvers: ['al ice'] }, 'approvers.0: is not a GitHub login or an org/team slug'],
    ['a listed approver twice', { approvers: ['alice', 'Alice'] }, 'approvers.1: is listed twice'],
    ['a bad timeout', { timeout: 'tomorrow' }, 'timeout: is not a duration'],
    ['an unknown via', { via: 'email' }, 'via: is not a way to approve'],
    [
      'count over the listed people',
      { count: 3, approvers: ['alice', 'bob'] },
      'count: is more approvals than the 2 listed approvers can give',
    ],
    [
      'count > 1 through an environment',
      { count: 2, via: 'environment' },
      'count: is more than one approval with via: environment',
    ],
  ])('refuses %s', (_what, value, message) => {
    const r = parseApprovalSetting(value);
    expect('problem' in r).toBe(true);
    if ('problem' in r)
      expect(`${r.problem.path.join('.')}: ${r.problem.expected}`.replace(/^: /, '')).toContain(message);
  });

  test('the config reads the object form and names the key of a bad one', async () => {
    const text = (approvals: string) =>
      `services: { blue: { path: blue } }\nenvironments:\n  staging: {}\n  production: { from: staging, approvals: ${approvals} }\n`;
    for (const fast of [true, false]) {
      const config = await parseConfig(
        text('{ count: 2, approvers: [alice, bob, acme/sre], timeout: 24h }'),
        'c.yml',
        { fast },
      );
      const env = config.environments.get('production')!;
      expect(env.approvals).toBe(2);
      expect(env.approval).toMatchObject({
        count: 2,
        users: ['alice', 'bob'],
        teams: ['acme/sre'],
        timeoutMs: 86_400_000,
      });
      expect(
        (await parseConfig(text('2'), 'c.yml', { fast })).environments.get('production')!.approval,
      ).toMatchObject({
        count: 2,
      });
      await expect(
        parseConfig(text('{ count: 3, approvers: [alice, bob] }'), 'c.yml', { fast }),
      ).rejects.toThrow(
        'c.yml: environments.production.approvals.count: 3 is more approvals than the 2 listed approvers can give',
      );
    }
  });
});

describe('texts', () => {
  test('title, body, outcomes, superseded', () => {
    expect(approvalTitle(BINDING)).toBe('Approve blue 1.6.1 for production');
    const body = renderApprovalBody({
      binding: BINDING,
      count: 2,
      approvers: ['alice', 'acme/sre'],
      currentVersion: '1.6.0',
      commits: [{ sha: 'abcdef1234567', subject: 'fix @everyone <script> bug' }],
      timeout: '24h',
    });
    expect(body).toContain(`| Digest | \`${BINDING.digest}\` |`);
    expect(body).toContain('| Approvals needed | 2 from `alice`, `acme/sre` |');
    expect(body).toContain('from **staging**');
    expect(body).toContain('`abcdef1` fix @\u200beveryone &lt;script&gt; bug');
    expect(body).toContain('Comment with only `approve`');
    const decided = { approvers: ['alice', 'bob'], deniers: [], ignored: [] };
    expect(renderOutcomeComment({ ...decided, status: 'approved' }, 2)).toBe(
      'Approved by `alice`, `bob` (2 of 2 needed). Closing this request.',
    );
    expect(
      renderOutcomeComment({ approvers: [], deniers: ['carol'], ignored: [], status: 'denied' }, 2),
    ).toMatch(/^Denied by `carol`/);
    expect(
      renderOutcomeComment({ approvers: ['alice'], deniers: [], ignored: [], status: 'timed-out' }, 2),
    ).toMatch(/^Timed out with 1 of 2 approvals \(`alice`\)/);
    expect(renderSupersededComment({ version: '1.6.2', digest: 'sha256:bb', url: 'https://x/2' })).toMatch(
      /^Superseded: a newer request asks for `1.6.2`/,
    );
  });
});

describe('commits, orphans', () => {
  test('the body lists 50 commits and counts the rest, also beyond the list it was given', () => {
    const commits = Array.from({ length: 52 }, (_, i) => ({
      sha: `${i}`.padStart(40, 'c'),
      subject: `c${i}`,
    }));
    const body = renderApprovalBody({
      binding: BINDING,
      count: 1,
      approvers: [],
      currentVersion: '1.6.0',
      commits,
    });
    expect(body).toContain('### Commits since `1.6.0`');
    expect(body).toContain(' c49\n');
    expect(body).not.toContain(' c50\n');
    expect(body).toContain('- … and 2 more');
    const capped = renderApprovalBody({
      binding: BINDING,
      count: 1,
      approvers: [],
      commits: commits.slice(0, 50),
      totalCommits: 120,
    });
    expect(capped).toContain('- … and 70 more');
    expect(
      renderApprovalBody({
        binding: BINDING,
        count: 1,
        approvers: [],
        commits: commits.slice(0, 3),
        totalCommits: 3,
      }),
    ).not.toContain('more');
  });

  test('an orphan is recognised by its title for one service and environment, any version', () => {
    expect(isApprovalTitleFor('Approve blue 1.6.1 for production', 'blue', 'production')).toBe(true);
    expect(isApprovalTitleFor('Approve blue 1.6.1 for staging', 'blue', 'production')).toBe(false);
    expect(isApprovalTitleFor('Approve blue-api 1.6.1 for production', 'blue', 'production')).toBe(false);
    expect(isApprovalTitleFor('Approve blue 1 2 for production', 'blue', 'production')).toBe(false);
    expect(renderOrphanComment()).toMatch(/no binding comment/);
    expect(renderOrphanComment({ url: 'https://x/3' })).toMatch(/the request is now https:\/\/x\/3/);
  });
});
