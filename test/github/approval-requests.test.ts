/**
 * Approval requests end to end through the real Octokit client and the OpenAPI-validated fake:
 * one request per digest, reuse on re-run, supersede on a new digest, and the decision rules
 * applied to what GitHub returns (eligibility through permissions and team memberships).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import type { ApprovalBinding, ApprovalPolicy } from '@sd-actions/core';
import {
  closeIssue,
  createGitHubClient,
  ensureRequest,
  gateLogin,
  readRequest,
  type GitHubClient,
  type RepoRef,
} from '@sd-actions/github';
import { startGitHubFake, type GitHubFake } from '@sd-actions/testkit';

let gh: GitHubFake;
let repoCounter = 0;
let REPO: RepoRef;
let FULL: string;
const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;

const client = (token: string): GitHubClient => createGitHubClient({ token, baseUrl: gh.url });

function binding(over: Partial<ApprovalBinding> = {}): ApprovalBinding {
  return {
    service: 'blue',
    environment: 'production',
    version: '1.6.1',
    digest: DIGEST_A,
    requester: 'dave',
    triggeringActor: 'dave',
    run: `${gh.url}/${FULL}/actions/runs/7`,
    from: 'staging',
    requestedAt: new Date().toISOString(),
    ...over,
  };
}

const policy = (over: Partial<ApprovalPolicy> = {}): ApprovalPolicy => ({
  count: 2,
  users: ['alice', 'bob', 'carol', 'dave'],
  teams: [],
  via: 'issue',
  ...over,
});

async function open(b: ApprovalBinding = binding()) {
  return ensureRequest(client('bot-token'), REPO, {
    binding: b,
    body: { count: 2, approvers: ['alice', 'bob', 'acme/sre'] },
    gateLogin: 'sd-bot',
  });
}

const read = (number: number, p: ApprovalPolicy = policy(), membership = true) =>
  readRequest(
    { repo: client('bot-token'), ...(membership ? { membership: client('org-token') } : {}) },
    REPO,
    number,
    { policy: p, gateLogin: 'sd-bot' },
  );

beforeAll(async () => {
  gh = await startGitHubFake();
  gh.addToken('bot-token', 'sd-bot');
  gh.addToken('org-token', 'sd-app[bot]');
  gh.addToken('gh-token', 'github-actions[bot]', { orgRead: false, userRead: false });
  for (const u of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'mallory']) gh.addToken(`${u}-token`, u);
  gh.setTeamMember('acme/sre', 'erin', 'active');
  gh.setTeamMember('acme/sre', 'frank', 'pending');
});
beforeEach(() => {
  repoCounter++;
  FULL = `acme/shop${repoCounter}`;
  REPO = { owner: 'acme', repo: `shop${repoCounter}` };
  gh.addRepo(FULL, {
    collaborators: { alice: 'write', bob: 'admin', carol: 'maintain', dave: 'write', mallory: 'read' },
  });
});
afterEach(() => {
  expect(gh.violations.splice(0)).toEqual([]);
});
afterAll(async () => {
  await gh.stop();
});

describe('opening requests', () => {
  test('the gate login: the token user', async () => {
    expect(await gateLogin(client('bot-token'))).toBe('sd-bot');
    expect(await gateLogin(client('gh-token'))).toBe('github-actions[bot]');
  });

  test('a GITHUB_TOKEN gate opens and reads requests as github-actions[bot]', async () => {
    const bot = client('gh-token');
    const login = await gateLogin(bot);
    const made = await ensureRequest(bot, REPO, {
      binding: binding(),
      body: { count: 2, approvers: [] },
      gateLogin: login,
    });
    expect(made.issue.author).toBe('github-actions[bot]');
    gh.addComment(FULL, made.issue.number, 'alice', 'approve');
    gh.addComment(FULL, made.issue.number, 'bob', 'approve');
    const r = await readRequest({ repo: bot }, REPO, made.issue.number, {
      policy: policy(),
      gateLogin: login,
    });
    expect(r.decision).toMatchObject({ status: 'approved', approvers: ['alice', 'bob'] });
  });

  test('one request per digest: a re-run reuses it; a new digest supersedes it', async () => {
    const first = await open();
    expect(first.created).toBe(true);
    expect(first.issue.title).toBe('Approve blue 1.6.1 for production');
    expect(first.issue.labels).toEqual(['sd-approval']);
    const again = await open(binding({ requestedAt: '2030-01-01T00:00:00Z' }));
    expect(again).toMatchObject({ created: false, superseded: [] });
    expect(again.issue.number).toBe(first.issue.number);
    // The binding of the first request stands (its requestedAt, for the timeout).
    expect(again.binding.requestedAt).toBe(first.binding.requestedAt);
    // Another service or environment is another request.
    const green = await open(binding({ service: 'green' }));
    expect(green.created).toBe(true);
    const next = await open(binding({ version: '1.6.2', digest: DIGEST_B }));
    expect(next.created).toBe(true);
    expect(next.superseded).toEqual([first.issue.number]);
    const old = gh.issue(FULL, first.issue.number);
    expect(old).toMatchObject({ state: 'closed', stateReason: 'not_planned' });
    expect(old.comments.at(-1)!.body).toMatch(/^Superseded: a newer request asks for `1.6.2`/);
    expect(gh.issue(FULL, green.issue.number).state).toBe('open');
  });

  test('a labelled issue opened by someone else is not taken for a request', async () => {
    const mallory = client('mallory-token');
    const fake = await mallory.octokit.rest.issues.create({
      ...REPO,
      title: 'Approve blue 1.6.1 for production',
      labels: ['sd-approval'],
    });
    const made = await open();
    expect(made.created).toBe(true);
    expect(made.issue.number).not.toBe(fake.data.number);
    await expect(read(fake.data.number)).rejects.toThrow(
      /cannot be trusted as an approval request: it was opened by "mallory", not by the gate.s "sd-bot"/,
    );
  });
});

describe('deciding requests', () => {
  const vote = (number: number, login: string, body: string) => gh.addComment(FULL, number, login, body);

  test('2 of 3 approve; the requester is ignored; a non-collaborator is ignored', async () => {
    const { issue } = await open();
    vote(issue.number, 'dave', 'approve');
    vote(issue.number, 'mallory', 'approve');
    vote(issue.number, 'alice', 'approve');
    expect((await read(issue.number)).decision).toMatchObject({ status: 'pending', approvers: ['alice'] });
    vote(issue.number, 'bob', 'LGTM!');
    const r = await read(issue.number);
    expect(r.decision).toMatchObject({ status: 'approved', approvers: ['alice', 'bob'] });
    expect(r.decision.ignored.map((i) => `${i.login}:${i.reason}`)).toEqual([
      'dave:requester',
      'mallory:not-eligible',
    ]);
  });

  test('with a bare count, writers are eligible and readers are not', async () => {
    const { issue } = await open();
    vote(issue.number, 'mallory', 'approve'); // read permission
    vote(issue.number, 'carol', 'approve'); // maintain
    vote(issue.number, 'bob', 'approve'); // admin
    const r = await read(issue.number, policy({ users: [] }));
    expect(r.decision).toMatchObject({ status: 'approved', approvers: ['carol', 'bob'] });
  });

  test('a deny wins; an edited comment is ignored', async () => {
    const { issue } = await open();
    vote(issue.number, 'alice', 'approve');
    const edited = vote(issue.number, 'bob', 'deny');
    gh.editComment(FULL, edited.id, 'approve');
    expect((await read(issue.number)).decision).toMatchObject({ status: 'pending', approvers: ['alice'] });
    vote(issue.number, 'carol', 'deny');
    expect((await read(issue.number)).decision).toMatchObject({ status: 'denied', deniers: ['carol'] });
  });

  test('an approval on page 3 counts', async () => {
    const { issue } = await open();
    for (let i = 0; i < 230; i++) vote(issue.number, 'mallory', `chatter ${i}`);
    vote(issue.number, 'alice', 'approve');
    for (let i = 0; i < 20; i++) vote(issue.number, 'erin', `more ${i}`);
    vote(issue.number, 'bob', '/approve');
    expect((await read(issue.number)).decision).toMatchObject({
      status: 'approved',
      approvers: ['alice', 'bob'],
    });
  });

  test('an active team member counts, a pending one does not; a token without org access fails closed', async () => {
    const { issue } = await open();
    const teamPolicy = policy({ users: ['alice'], teams: ['acme/sre'] });
    vote(issue.number, 'frank', 'approve');
    vote(issue.number, 'alice', 'approve');
    expect((await read(issue.number, teamPolicy)).decision).toMatchObject({
      status: 'pending',
      approvers: ['alice'],
    });
    vote(issue.number, 'erin', 'approve');
    expect((await read(issue.number, teamPolicy)).decision).toMatchObject({
      status: 'approved',
      approvers: ['alice', 'erin'],
    });
    await expect(read(issue.number, teamPolicy, false)).rejects.toThrow(
      /no token that can read organisation teams/,
    );
    await expect(
      readRequest({ repo: client('bot-token'), membership: client('gh-token') }, REPO, issue.number, {
        policy: teamPolicy,
        gateLogin: 'sd-bot',
      }),
    ).rejects.toThrow(/GITHUB_TOKEN cannot read organisation teams/);
  });

  test('editing the issue body or title does not move approvals to another digest', async () => {
    const { issue } = await open();
    vote(issue.number, 'alice', 'approve');
    vote(issue.number, 'bob', 'approve');
    await client('alice-token').octokit.rest.issues.update({
      ...REPO,
      issue_number: issue.number,
      title: 'Approve blue 9.9.9 for production',
      body: `digest: ${DIGEST_B}`,
    });
    const r = await read(issue.number);
    expect(r.decision.status).toBe('approved');
    expect(r.binding).toMatchObject({ version: '1.6.1', digest: DIGEST_A });
  });

  test('an edited binding comment makes the request untrustworthy', async () => {
    const { issue } = await open();
    const bindingComment = gh.issue(FULL, issue.number).comments[0]!;
    gh.editComment(FULL, bindingComment.id, bindingComment.body);
    await expect(read(issue.number)).rejects.toThrow(/binding comment \d+ was edited/);
  });

  test('a timeout counts from the request, not from the run that reads it', async () => {
    const { issue } = await open(binding({ requestedAt: '2026-01-01T00:00:00Z' }));
    vote(issue.number, 'alice', 'approve');
    const r = await readRequest({ repo: client('bot-token') }, REPO, issue.number, {
      policy: policy({ timeoutMs: 3_600_000 }),
      gateLogin: 'sd-bot',
      nowMs: Date.parse('2026-01-01T01:00:00Z'),
    });
    expect(r.decision).toMatchObject({ status: 'timed-out', approvers: ['alice'] });
    await closeIssue(client('bot-token'), REPO, issue.number, 'not_planned');
  });

  test('a plain issue without the label is refused', async () => {
    const plain = await client('bot-token').octokit.rest.issues.create({ ...REPO, title: 'x' });
    await expect(read(plain.data.number)).rejects.toThrow(
      /is not an approval request \(it has no sd-approval label\)/,
    );
  });

  test('an idle poll costs no rate limit once everything is cached', async () => {
    const { issue } = await open();
    for (let i = 0; i < 120; i++) vote(issue.number, 'mallory', `chatter ${i}`);
    vote(issue.number, 'alice', 'approve');
    const poller = client('bot-token');
    const once = () =>
      readRequest({ repo: poller }, REPO, issue.number, { policy: policy(), gateLogin: 'sd-bot' });
    await once();
    const counted = poller.stats.counted;
    for (let i = 0; i < 10; i++) expect((await once()).decision.status).toBe('pending');
    expect(poller.stats.counted).toBe(counted);
    expect(poller.stats.notModified).toBeGreaterThanOrEqual(30);
  });
});
