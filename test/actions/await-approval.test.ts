/**
 * await-approval, run from its bundle the way the runner runs it, against the OpenAPI-validated
 * GitHub fake (GITHUB_API_URL): the non-blocking request and its resume, 2-of-N with the
 * requester's own approval ignored, a deny, a blocking wait, a timeout counted from the request,
 * re-runs that reuse the request, and bad input that changes nothing. Then the cases of issue 11 that
 * were proven only at the adapter level: an outsider's, an edited, a page-3 and a team member's vote;
 * reuse and supersede; and an edited issue title/body that does not move the approvals.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import {
  commit,
  git,
  originAndClone,
  removeDir,
  runAction,
  startGitHubFake,
  tempDir,
  writeFiles,
  type ActionRun,
  type GitHubFake,
} from '@sd-actions/testkit';

const FULL = 'acme/monorepo'; // the runner emulation's GITHUB_REPOSITORY
const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
let gh: GitHubFake;
let workspace: string;

const CONFIG = `registry: { type: oci, url: registry.example:5000/acme }
services:
  blue: { path: projects/blue }
  green: { path: projects/green }
  red: { path: projects/red }
  cyan: { path: projects/cyan }
  lime: { path: projects/lime }
  pink: { path: projects/pink }
  teal: { path: projects/teal }
  gold: { path: projects/gold }
  navy: { path: projects/navy }
  plum: { path: projects/plum }
environments:
  dev: { branch: gitops/dev-auto-update, tags: [dev] }
  staging: { from: dev, branch: gitops/staging-releases, tags: ["{version}"] }
  production: { from: staging, branch: gitops/production-releases, tags: ["{version}"],
                approvals: { count: 2, approvers: [alice, bob, carol, dave], timeout: 24h } }
  teams: { from: staging, approvals: { count: 1, approvers: [acme/sre] } }
  envgate: { from: staging, approvals: { count: 1, approvers: [alice, dave], via: environment } }
`;

function run(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
  return runAction('await-approval', {
    workspace,
    inputs: { token: 'bot-token', version: '1.6.1', digest: DIGEST_A, ...inputs },
    env: { GITHUB_API_URL: gh.url, ...env },
  });
}

const issues = () => gh.repos.get(FULL)!.issues;

beforeAll(async () => {
  gh = await startGitHubFake();
  gh.addToken('bot-token', 'sd-bot');
  gh.addToken('org-token', 'sd-app[bot]');
  gh.addToken('alice-token', 'alice');
  gh.setTeamMember('acme/sre', 'erin', 'active');
  gh.setTeamMember('acme/sre', 'frank', 'pending');
  gh.addRepo(FULL, { collaborators: { alice: 'write', bob: 'write', carol: 'write', dave: 'write' } });
  // The run the runner emulation says it is (GITHUB_RUN_ID=1234): asked by dave.
  gh.addRun(FULL, { id: 1234, actor: 'dave', triggeringActor: 'dave' });
  workspace = tempDir('await-approval-');
  writeFiles(workspace, { '.github/sd-actions.yml': CONFIG });
});
afterEach(() => {
  expect(gh.violations.splice(0)).toEqual([]);
});
afterAll(async () => {
  await gh.stop();
  removeDir(workspace);
});

describe('await-approval', () => {
  test('wait: false opens the request and ends pending; a resume decides 2-of-4 without the requester', async () => {
    const first = await run({ service: 'blue', environment: 'production', wait: 'false' });
    expect(first.code).toBe(0);
    expect(first.outputs).toMatchObject({ status: 'pending', approved: 'false', approvers: '' });
    const number = Number(first.outputs['issue-number']);
    const issue = gh.issue(FULL, number);
    expect(issue).toMatchObject({
      title: 'Approve blue 1.6.1 for production',
      labels: ['sd-approval'],
      state: 'open',
    });
    expect(issue.body).toContain(DIGEST_A);
    expect(first.outputs['issue-url']).toContain(`/issues/${number}`);

    // A re-run reuses the request.
    const again = await run({ service: 'blue', environment: 'production', wait: 'false' });
    expect(again.outputs['issue-number']).toBe(String(number));
    expect(issues().filter((i) => i.state === 'open')).toHaveLength(1);

    gh.addComment(FULL, number, 'dave', 'approve'); // the requester
    gh.addComment(FULL, number, 'mallory', 'approve'); // not an approver
    gh.addComment(FULL, number, 'alice', 'Approve.');
    const pending = await run({
      service: 'blue',
      environment: 'production',
      wait: 'false',
      issue: String(number),
    });
    expect(pending.outputs).toMatchObject({ status: 'pending', approvers: 'alice' });
    expect(pending.stdout).toMatch(/ignored dave \(requester\), mallory \(not-eligible\)/);

    gh.addComment(FULL, number, 'bob', 'lgtm');
    // A resumed run started by a comment (another actor) does not change who asked.
    const done = await run(
      { service: 'blue', environment: 'production', wait: 'false', issue: `#${number}` },
      { GITHUB_ACTOR: 'bob' },
    );
    expect(done.code).toBe(0);
    expect(done.outputs).toMatchObject({ status: 'approved', approved: 'true', approvers: 'alice,bob' });
    expect(gh.issue(FULL, number)).toMatchObject({ state: 'closed', stateReason: 'completed' });
    expect(gh.issue(FULL, number).comments.at(-1)!.body).toBe(
      'Approved by `alice`, `bob` (2 of 2 needed). Closing this request.',
    );
    // Re-running once decided reports the same and writes nothing more.
    const comments = gh.issue(FULL, number).comments.length;
    const rerun = await run({ service: 'blue', environment: 'production', issue: String(number) });
    expect(rerun.outputs).toMatchObject({ status: 'approved', approvers: 'alice,bob' });
    expect(gh.issue(FULL, number).comments.length).toBe(comments);
  });

  test('a deny wins and fails the step; the issue closes as not planned', async () => {
    const first = await run({ service: 'green', environment: 'production', wait: 'false' });
    const number = Number(first.outputs['issue-number']);
    gh.addComment(FULL, number, 'alice', 'approve');
    gh.addComment(FULL, number, 'carol', 'deny');
    const r = await run({ service: 'green', environment: 'production', issue: String(number) });
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ status: 'denied', approved: 'false', approvers: 'alice' });
    expect(r.annotations.map((a) => a.message)).toContain(`Approval request #${number} was denied by carol`);
    expect(gh.issue(FULL, number)).toMatchObject({ state: 'closed', stateReason: 'not_planned' });
  });

  test('wait: true polls until the approvals arrive', async () => {
    let settled = false;
    const running = run({ service: 'red', environment: 'production', 'poll-interval': '1s' }).finally(
      () => (settled = true),
    );
    let issue: ReturnType<typeof issues>[number] | undefined;
    while (!(issue = issues().find((i) => i.title.startsWith('Approve red') && i.comments.length > 0))) {
      if (settled) throw new Error(`the action ended before opening its request: ${(await running).stdout}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    gh.addComment(FULL, issue.number, 'alice', 'approve');
    gh.addComment(FULL, issue.number, 'carol', '/approve');
    const r = await running;
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ status: 'approved', approvers: 'alice,carol' });
    expect(gh.issue(FULL, issue.number).state).toBe('closed');
  });

  test('a timeout counts from the request, closes it, and fails the step', async () => {
    const first = await run({
      service: 'blue',
      environment: 'production',
      wait: 'false',
      digest: DIGEST_B,
      version: '1.7.0',
    });
    const number = Number(first.outputs['issue-number']);
    gh.addComment(FULL, number, 'alice', 'approve');
    const later = new Date(Date.now() + 25 * 3600_000).toISOString();
    const r = await run(
      { service: 'blue', environment: 'production', issue: String(number), digest: DIGEST_B },
      { SD_ACTIONS_TEST_NOW: later },
    );
    expect(r.stdout).toMatch(/timed-out/);
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ status: 'timed-out', approvers: 'alice' });
    expect(gh.issue(FULL, number)).toMatchObject({ state: 'closed', stateReason: 'not_planned' });
    expect(gh.issue(FULL, number).comments.at(-1)!.body).toMatch(/^Timed out with 1 of 2 approvals/);
  });

  test('via: environment checks who released the job: eligible, and not the requester', async () => {
    const runState = gh.repos.get(FULL)!.runs.get(1234)!;
    const review = (user: string, state: 'approved' | 'rejected', environments = ['envgate']) => ({
      user,
      state,
      comment: '',
      environments,
    });
    try {
      runState.approvals = [review('alice', 'approved'), review('bob', 'approved', ['other'])];
      const ok = await run({ service: 'blue', environment: 'envgate' });
      expect(ok.code).toBe(0);
      expect(ok.outputs).toMatchObject({
        status: 'approved',
        approved: 'true',
        approvers: 'alice',
        'issue-number': '',
      });

      runState.approvals = [review('dave', 'approved')]; // the run's own actor
      const self = await run({ service: 'blue', environment: 'envgate' });
      expect(self.code).toBe(1);
      expect(self.outputs).toMatchObject({ status: 'denied', approvers: '' });
      expect(self.annotations.map((a) => a.message).join('\n')).toMatch(/dave \(requester\)/);

      runState.approvals = [review('carol', 'approved')]; // a writer, but not listed
      expect((await run({ service: 'blue', environment: 'envgate' })).outputs.status).toBe('denied');

      runState.approvals = [];
      const none = await run({ service: 'blue', environment: 'envgate' });
      expect(none.code).toBe(1);
      expect(none.annotations.map((a) => a.message).join('\n')).toMatch(
        /has no review for environment "envgate"/,
      );
    } finally {
      runState.approvals = [];
    }
  });

  test.each([
    [{ 'minimum-approvals': 'two' }, /Input "minimum-approvals": "two"/],
    [
      { 'minimum-approvals': '5' },
      /Input "minimum-approvals": 5 is more approvals than the 4 listed approvers can give/,
    ],
    [{ 'poll-interval': '10ms' }, /Input "poll-interval": "10ms" is not valid/],
    [{ digest: 'sha256:nope' }, /digest/],
    [{ issue: 'abc' }, /Input "issue": "abc" is not valid/],
    [
      { environment: 'teams' },
      /no membership-token was given: the workflow GITHUB_TOKEN cannot read organisation teams/,
    ],
    [{ environment: 'staging' }, /requires no approvals/],
  ])('bad input %j is refused and changes nothing', async (inputs, message) => {
    const before = JSON.stringify(issues());
    const r = await run({ service: 'blue', environment: 'production', wait: 'false', ...inputs });
    expect(r.code).toBe(1);
    expect(r.annotations.map((a) => a.message).join('\n')).toMatch(message);
    expect(JSON.stringify(issues())).toBe(before);
  });
});

describe('await-approval: deciding a request through the bundle', () => {
  const vote = (number: number, login: string, body: string) => gh.addComment(FULL, number, login, body);
  const open = async (service: string, extra: Record<string, string> = {}) => {
    const r = await run({ service, environment: 'production', wait: 'false', ...extra });
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ status: 'pending', approvers: '' });
    return Number(r.outputs['issue-number']);
  };
  const resume = (service: string, number: number, extra: Record<string, string> = {}) =>
    run({ service, environment: 'production', wait: 'false', issue: String(number), ...extra });

  test('a non-approver is ignored: 2 of 3 approve with one outsider', async () => {
    const number = await open('cyan');
    vote(number, 'alice', 'approve');
    vote(number, 'mallory', 'approve');
    const pending = await resume('cyan', number);
    expect(pending.outputs).toMatchObject({
      status: 'pending',
      approvers: 'alice',
      'issue-number': String(number),
    });
    expect(pending.stdout).toMatch(/mallory \(not-eligible\)/);
    vote(number, 'carol', 'approve');
    const done = await resume('cyan', number);
    expect(done.code).toBe(0);
    expect(done.outputs).toMatchObject({
      status: 'approved',
      approved: 'true',
      approvers: 'alice,carol',
      'issue-number': String(number),
    });
  });

  test('an edited approve comment is ignored', async () => {
    const number = await open('lime');
    vote(number, 'alice', 'approve');
    const edited = vote(number, 'bob', 'deny');
    gh.editComment(FULL, edited.id, 'approve');
    const pending = await resume('lime', number);
    expect(pending.code).toBe(0);
    expect(pending.outputs).toMatchObject({
      status: 'pending',
      approvers: 'alice',
      'issue-number': String(number),
    });
    expect(gh.issue(FULL, number).state).toBe('open');
  });

  test('an approval on page 3 counts', async () => {
    const number = await open('pink');
    for (let i = 0; i < 230; i++) vote(number, 'mallory', `chatter ${i}`);
    vote(number, 'alice', 'approve');
    for (let i = 0; i < 20; i++) vote(number, 'carol', `more ${i}`);
    vote(number, 'bob', '/approve');
    const done = await resume('pink', number);
    expect(done.code).toBe(0);
    expect(done.outputs).toMatchObject({
      status: 'approved',
      approvers: 'alice,bob',
      'issue-number': String(number),
    });
  });

  test('a pending team member is ignored, an active one counts (org/team with membership-token)', async () => {
    const first = await run({
      service: 'teal',
      environment: 'teams',
      wait: 'false',
      'membership-token': 'org-token',
    });
    expect(first.code).toBe(0);
    expect(first.outputs).toMatchObject({ status: 'pending', approvers: '' });
    const number = Number(first.outputs['issue-number']);
    vote(number, 'frank', 'approve'); // pending member of acme/sre
    const pending = await run({
      service: 'teal',
      environment: 'teams',
      wait: 'false',
      issue: String(number),
      'membership-token': 'org-token',
    });
    expect(pending.code).toBe(0);
    expect(pending.outputs).toMatchObject({
      status: 'pending',
      approvers: '',
      'issue-number': String(number),
    });
    expect(pending.stdout).toMatch(/frank \(not-eligible\)/);
    vote(number, 'erin', 'approve'); // active member
    const done = await run({
      service: 'teal',
      environment: 'teams',
      wait: 'false',
      issue: String(number),
      'membership-token': 'org-token',
    });
    expect(done.code).toBe(0);
    expect(done.outputs).toMatchObject({
      status: 'approved',
      approvers: 'erin',
      'issue-number': String(number),
    });
  });

  test('a re-run reuses the open request: same issue number, no second issue', async () => {
    const number = await open('gold');
    vote(number, 'alice', 'approve');
    const again = await run({ service: 'gold', environment: 'production', wait: 'false' });
    expect(again.code).toBe(0);
    expect(again.outputs).toMatchObject({
      status: 'pending',
      approvers: 'alice',
      'issue-number': String(number),
    });
    expect(issues().filter((i) => i.title.startsWith('Approve gold'))).toHaveLength(1);
    expect(gh.issue(FULL, number).state).toBe('open');
  });

  test('a new digest supersedes the open request: the old one is closed with a comment', async () => {
    const old = await open('navy');
    vote(old, 'alice', 'approve');
    const next = await run({
      service: 'navy',
      environment: 'production',
      wait: 'false',
      version: '1.6.2',
      digest: DIGEST_B,
    });
    expect(next.code).toBe(0);
    const number = Number(next.outputs['issue-number']);
    expect(number).not.toBe(old);
    expect(next.outputs).toMatchObject({ status: 'pending', approvers: '', digest: DIGEST_B });
    expect(gh.issue(FULL, old)).toMatchObject({ state: 'closed', stateReason: 'not_planned' });
    expect(gh.issue(FULL, old).comments.at(-1)!.body).toMatch(
      /^Superseded: a newer request asks for `1.6.2`/,
    );
    expect(gh.issue(FULL, number)).toMatchObject({
      state: 'open',
      title: 'Approve navy 1.6.2 for production',
    });
    expect(issues().filter((i) => i.title.startsWith('Approve navy') && i.state === 'open')).toHaveLength(1);
  });

  test("editing the issue's title and body to another digest does not move approvals", async () => {
    const number = await open('plum');
    vote(number, 'alice', 'approve');
    vote(number, 'bob', 'approve');
    const res = await fetch(`${gh.url}/repos/${FULL}/issues/${number}`, {
      method: 'PATCH',
      headers: {
        authorization: 'token alice-token',
        'content-type': 'application/json',
        accept: 'application/vnd.github+json',
      },
      body: JSON.stringify({ title: 'Approve plum 9.9.9 for production', body: `digest: ${DIGEST_B}` }),
    });
    expect(res.status).toBe(200);
    await res.text();
    expect(gh.issue(FULL, number)).toMatchObject({ title: 'Approve plum 9.9.9 for production' });
    expect(gh.issue(FULL, number).body).toContain(DIGEST_B);
    const done = await resume('plum', number);
    expect(done.code).toBe(0);
    expect(done.outputs).toMatchObject({
      status: 'approved',
      approvers: 'alice,bob',
      'issue-number': String(number),
      version: '1.6.1',
      digest: DIGEST_A,
    });
  });
});

describe('await-approval without digest: what promote would take', () => {
  let root: string;
  let work: string;
  beforeAll(() => {
    root = tempDir('await-approval-git-');
    ({ work } = originAndClone(root));
    commit(work, 'config', { '.github/sd-actions.yml': CONFIG });
    git(work, 'push', '-q', 'origin', 'HEAD:main');
    git(work, 'checkout', '-q', '--orphan', 'gitops/staging-releases');
    git(work, 'rm', '-q', '-r', '--cached', '.');
    commit(work, 'staging', {
      'release-manifests/staging.yaml': `environment: staging
services:
  blue:
    version: 1.6.1
    image: registry.example:5000/acme/blue
    digest: ${DIGEST_B}
    commit: ${'c'.repeat(40)}
`,
    });
    git(work, 'push', '-q', 'origin', 'HEAD:gitops/staging-releases');
    git(work, 'checkout', '-q', 'main');
  });
  afterAll(() => removeDir(root));

  test("the request binds the from environment's digest and version", async () => {
    const r = await runAction('await-approval', {
      workspace: work,
      inputs: { token: 'bot-token', service: 'blue', environment: 'production', wait: 'false' },
      env: { GITHUB_API_URL: gh.url },
    });
    expect(r.code).toBe(0);
    const issue = gh.issue(FULL, Number(r.outputs['issue-number']));
    expect(issue.title).toBe('Approve blue 1.6.1 for production');
    expect(issue.body).toContain(DIGEST_B);
    const r2 = await runAction('await-approval', {
      workspace: work,
      inputs: { token: 'bot-token', service: 'green', environment: 'production', wait: 'false' },
      env: { GITHUB_API_URL: gh.url },
    });
    expect(r2.code).toBe(1);
    expect(r2.annotations.map((a) => a.message).join('\n')).toMatch(
      /green is not deployed in staging, so there is nothing to approve for production/,
    );
  });
});
