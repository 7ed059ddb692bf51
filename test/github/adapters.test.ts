/**
 * The GitHub adapters with the real Octokit client (`@actions/github`) against the loopback GitHub
 * fake, whose every request and response is checked against GitHub's OpenAPI description.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import {
  APPROVAL_LABEL,
  addComment,
  authenticatedLogin,
  closeIssue,
  collaboratorPermission,
  createDeployment,
  createGitHubClient,
  createIssue,
  ensureLabel,
  getIssue,
  getRun,
  listAllComments,
  listLabelledIssues,
  runApprovals,
  setDeploymentStatus,
  teamMembership,
  type Clock,
  type GitHubClient,
  type RepoRef,
} from '@sd-actions/github';
import { startGitHubFake, type GitHubFake } from '@sd-actions/testkit';

let gh: GitHubFake;
const REPO: RepoRef = { owner: 'acme', repo: 'shop' };
const FULL = 'acme/shop';

/** A clock that only moves when asked to sleep. */
function fakeClock(): Clock & { slept: number[] } {
  let t = Date.now();
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
    },
  };
}

function client(token = 'bot-token', clock: Clock = fakeClock()): GitHubClient {
  return createGitHubClient({ token, baseUrl: gh.url, clock });
}

beforeAll(async () => {
  gh = await startGitHubFake();
  gh.addToken('bot-token', 'sd-bot');
  gh.addToken('gh-token', 'github-actions[bot]', { orgRead: false, userRead: false });
  gh.addToken('alice-token', 'alice');
  gh.addRepo(FULL, { collaborators: { alice: 'write', bob: 'maintain', carol: 'read', dave: 'admin' } });
});
afterEach(() => {
  expect(gh.violations.splice(0)).toEqual([]);
});
afterAll(async () => {
  await gh.stop();
});

describe('approval request issues', () => {
  test('create, find by label (not search), read, comment, close with a reason', async () => {
    const c = client();
    expect(await ensureLabel(c, REPO, APPROVAL_LABEL, { description: 'sd-actions approval request' })).toBe(
      'created',
    );
    expect(await ensureLabel(c, REPO, APPROVAL_LABEL)).toBe('exists');
    const issue = await createIssue(c, REPO, { title: 'Approve blue 1.6.1 for production', body: 'body' });
    await createIssue(c, REPO, { title: 'unrelated', body: 'x', labels: ['bug'] });
    expect(issue.author).toBe('sd-bot');
    expect(issue.labels).toEqual([APPROVAL_LABEL]);
    const open = await listLabelledIssues(c, REPO);
    expect(open.map((i) => i.title)).toEqual(['Approve blue 1.6.1 for production']);
    const comment = await addComment(c, REPO, issue.number, 'binding');
    expect(comment.author).toBe('sd-bot');
    expect(comment.updatedAt).toBe(comment.createdAt);
    const closed = await closeIssue(c, REPO, issue.number, 'not_planned');
    expect(closed).toMatchObject({ state: 'closed', stateReason: 'not_planned' });
    expect((await getIssue(c, REPO, issue.number)).state).toBe('closed');
    expect(await listLabelledIssues(c, REPO)).toEqual([]);
    expect((await listLabelledIssues(c, REPO, { state: 'all' })).length).toBe(1);
    await expect(getIssue(c, REPO, 999)).rejects.toThrow(/issue #999 was not found in acme\/shop/);
  });

  test('all 300 comments are read over pages, edits show in updated_at', async () => {
    const c = client();
    const issue = await createIssue(c, REPO, { title: 'many', body: '' });
    for (let i = 0; i < 300; i++) gh.addComment(FULL, issue.number, i % 2 ? 'alice' : 'bob', `comment ${i}`);
    const target = gh.issue(FULL, issue.number).comments[250]!;
    gh.editComment(FULL, target.id, 'approve');
    const before = gh.calls.length;
    const comments = await listAllComments(c, REPO, issue.number);
    expect(comments).toHaveLength(300);
    expect(comments[299]!.body).toBe('comment 299');
    expect(comments[250]!.body).toBe('approve');
    expect(comments[250]!.updatedAt > comments[250]!.createdAt).toBe(true);
    const pages = gh.calls.slice(before);
    expect(pages.map((p) => new URLSearchParams(p.query).get('page') ?? '1')).toEqual(['1', '2', '3']);
  });

  test('an unchanged poll is answered by 304s that do not count against the rate limit', async () => {
    const c = client();
    const issue = await createIssue(c, REPO, { title: 'poll', body: '' });
    for (let i = 0; i < 150; i++) gh.addComment(FULL, issue.number, 'alice', `c${i}`);
    await listAllComments(c, REPO, issue.number);
    expect(c.stats.notModified).toBe(0);
    const counted = c.stats.counted;
    const fakeCounted = gh.countedRequests();
    for (let i = 0; i < 5; i++) {
      const again = await listAllComments(c, REPO, issue.number);
      expect(again).toHaveLength(150);
    }
    expect(c.stats.notModified).toBe(10);
    expect(c.stats.counted).toBe(counted);
    expect(gh.countedRequests()).toBe(fakeCounted);
    expect(gh.calls.slice(-10).every((x) => x.status === 304 && !x.counted)).toBe(true);
    gh.addComment(FULL, issue.number, 'bob', 'approve');
    const changed = await listAllComments(c, REPO, issue.number);
    expect(changed.at(-1)!.body).toBe('approve');
    expect(c.stats.counted).toBe(counted + 1); // page 1 still 304, page 2 changed
  });

  test('a 429 with Retry-After and a 403 at the rate limit wait on the clock, then succeed', async () => {
    const clock = fakeClock();
    const c = client('bot-token', clock);
    gh.failNext({ status: 429, retryAfter: 7, path: /\/issues$/ });
    gh.failNext({ status: 403, resetAfter: 60, path: /\/issues$/ });
    await listLabelledIssues(c, REPO);
    expect(clock.slept[0]).toBe(7000);
    // Until the reset the 403 names (60 s after it was sent, 7 s after our clock's start), plus a
    // second of margin.
    expect(clock.slept[0]! + clock.slept[1]!).toBeGreaterThanOrEqual(59_000);
    expect(clock.slept[0]! + clock.slept[1]!).toBeLessThanOrEqual(62_000);
    expect(c.stats.rateLimitWaits).toBe(2);
  });

  test('a plain 403 (no rate limit) is not retried', async () => {
    const clock = fakeClock();
    const c = client('bot-token', clock);
    gh.failNext({ status: 403, path: /\/issues$/ });
    await expect(listLabelledIssues(c, REPO)).rejects.toMatchObject({ status: 403 });
    expect(clock.slept).toEqual([]);
  });

  test('an unknown token is refused with 401', async () => {
    await expect(listLabelledIssues(client('nope'), REPO)).rejects.toMatchObject({ status: 401 });
  });
});

describe('eligibility', () => {
  test('team membership: active, pending, none; a GITHUB_TOKEN fails closed', async () => {
    gh.setTeamMember('acme/sre', 'erin', 'active');
    gh.setTeamMember('acme/sre', 'frank', 'pending');
    gh.addUser('gina');
    const c = client();
    expect(await teamMembership(c, 'acme/sre', 'erin')).toBe('active');
    expect(await teamMembership(c, 'acme/sre', 'frank')).toBe('pending');
    expect(await teamMembership(c, 'acme/sre', 'gina')).toBe('none');
    await expect(teamMembership(client('gh-token'), 'acme/sre', 'erin')).rejects.toThrow(
      /GITHUB_TOKEN cannot read organisation teams/,
    );
  });

  test('collaborator permissions', async () => {
    const c = client();
    expect(await collaboratorPermission(c, REPO, 'alice')).toBe('write');
    expect(await collaboratorPermission(c, REPO, 'bob')).toBe('maintain');
    expect(await collaboratorPermission(c, REPO, 'carol')).toBe('read');
    expect(await collaboratorPermission(c, REPO, 'dave')).toBe('admin');
    gh.addUser('mallory');
    expect(await collaboratorPermission(c, REPO, 'mallory')).toBe('none');
    expect(await collaboratorPermission(c, REPO, 'ghost-user')).toBe('none');
  });

  test('the token user; GITHUB_TOKEN may not ask', async () => {
    expect(await authenticatedLogin(client())).toBe('sd-bot');
    expect(await authenticatedLogin(client('gh-token'))).toBeUndefined();
  });

  test('a run: actor and triggering actor; its environment approvals', async () => {
    gh.addRun(FULL, {
      id: 42,
      actor: 'alice',
      triggeringActor: 'bob',
      approvals: [{ user: 'dave', state: 'approved', comment: 'ok', environments: ['production'] }],
    });
    const c = client();
    expect(await getRun(c, REPO, 42)).toMatchObject({ id: 42, actor: 'alice', triggeringActor: 'bob' });
    expect(await runApprovals(c, REPO, 42)).toEqual([
      { user: 'dave', state: 'approved', comment: 'ok', environments: ['production'] },
    ]);
  });
});

describe('deployments', () => {
  test('a deployment with statuses in_progress, success, inactive', async () => {
    const c = client();
    const d = await createDeployment(c, REPO, {
      ref: 'a'.repeat(40),
      environment: 'production',
      payload: { service: 'blue', version: '1.6.1', digest: `sha256:${'b'.repeat(64)}` },
    });
    for (const state of ['in_progress', 'success', 'inactive'] as const)
      await setDeploymentStatus(c, REPO, d.id, {
        state,
        environmentUrl: 'https://blue.example.com',
        logUrl: `${gh.url}/acme/shop/actions/runs/42`,
        description: `blue 1.6.1 ${state}`,
      });
    const stored = gh.repos.get(FULL)!.deployments.find((x) => x.id === d.id)!;
    expect(stored.payload).toEqual({ service: 'blue', version: '1.6.1', digest: `sha256:${'b'.repeat(64)}` });
    expect(stored.statuses.map((s) => s.state)).toEqual(['in_progress', 'success', 'inactive']);
  });
});

describe('the OpenAPI check', () => {
  test('a request GitHub would not accept is flagged', async () => {
    const c = client();
    const before = gh.violations.length;
    // An unknown query parameter, a body field of the wrong type, and a path GitHub does not have.
    await c.octokit.request('GET /repos/{owner}/{repo}/issues', { ...REPO, colour: 'red' });
    await c.octokit
      .request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', {
        ...REPO,
        issue_number: 1,
        state: 'shut' as 'closed',
      })
      .catch(() => undefined);
    await c.octokit.request('GET /repos/{owner}/{repo}/approvalz', { ...REPO }).catch(() => undefined);
    const found = gh.violations.splice(before);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringContaining('GitHub has no query parameter "colour"'),
        expect.stringMatching(
          /PATCH \/repos\/\{owner\}\/\{repo\}\/issues\/\{issue_number\}: request body\/state/,
        ),
        expect.stringContaining('GitHub has no such path'),
      ]),
    );
  });
});
