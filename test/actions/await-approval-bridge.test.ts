/**
 * await-approval's CodePipeline bridge, its request body and orphan requests, run from the bundle
 * against the OpenAPI-validated GitHub fake and the CodePipeline fake (AWS JSON 1.1, reached by
 * the real SDK client through AWS_ENDPOINT_URL_CODEPIPELINE):
 *   - forward: an approved request approves the pipeline's pending manual approval, a denied one
 *     rejects it; no pending approval, an invalid token and an already decided approval each fail
 *     clearly and leave the request open; a re-run after success converges;
 *   - gate (`via: codepipeline`): approved, denied, pending with `wait: false`, polled, timed out;
 *   - the request body lists the commits since the version running in the target;
 *   - an orphan request (no binding comment) is closed as not planned and a fresh one opened.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import {
  commit,
  git,
  originAndClone,
  removeDir,
  runAction,
  startAwsFakes,
  startGitHubFake,
  tempDir,
  writeFiles,
  type ActionRun,
  type AwsFakes,
  type GitHubFake,
} from '@sd-actions/testkit';

const FULL = 'acme/monorepo'; // the runner emulation's GITHUB_REPOSITORY
const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const PIPE = { 'pipeline-name': 'blue-prod', 'stage-name': 'Approve', 'action-name': 'ManualApproval' };
let gh: GitHubFake;
let aws: AwsFakes;
let workspace: string;

const CONFIG = `registry: { type: oci, url: registry.example:5000/acme }
services:
  blue: { path: projects/blue }
  green: { path: projects/green }
environments:
  dev: { branch: gitops/dev-auto-update, tags: [dev] }
  staging: { from: dev, branch: gitops/staging-releases, tags: ["{version}"] }
  production: { from: staging, branch: gitops/production-releases, tags: ["{version}"],
                approvals: { count: 1, approvers: [alice, bob, carol] } }
  pipegate: { from: staging, branch: gitops/pipegate, approvals: { via: codepipeline, timeout: 1h } }
`;

function run(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
  return runAction('await-approval', {
    workspace,
    inputs: { token: 'bot-token', version: '1.6.1', digest: DIGEST_A, ...inputs },
    env: { GITHUB_API_URL: gh.url, ...aws.env(), ...env },
  });
}

const messages = (r: ActionRun) => r.annotations.map((a) => a.message).join('\n');
const cp = () => aws.codepipeline;

beforeAll(async () => {
  gh = await startGitHubFake();
  aws = await startAwsFakes();
  gh.addToken('bot-token', 'sd-bot');
  gh.addRepo(FULL, { collaborators: { alice: 'write', bob: 'write', carol: 'write', dave: 'write' } });
  gh.addRun(FULL, { id: 1234, actor: 'dave', triggeringActor: 'dave' });
  workspace = tempDir('await-approval-bridge-');
  writeFiles(workspace, { '.github/sd-actions.yml': CONFIG });
});
beforeEach(() => {
  cp().reset();
  cp().addPipeline('blue-prod', [
    { name: 'Source', actions: ['Source'] },
    { name: 'Approve', actions: [{ name: 'ManualApproval', category: 'Approval' }] },
    { name: 'Deploy', actions: ['Deploy'] },
  ]);
});
afterEach(() => {
  expect(gh.violations.splice(0)).toEqual([]);
  // Only open issues of one test at a time: close what a test left open.
  for (const i of gh.repos.get(FULL)!.issues) i.state = 'closed';
});
afterAll(async () => {
  await gh.stop();
  await aws.stop();
  removeDir(workspace);
});

/** Open a request (wait: false) and answer it; returns its number. */
async function answered(service: string, login: string, answer: string): Promise<number> {
  const first = await run({ service, environment: 'production', wait: 'false', ...PIPE });
  expect(first.code).toBe(0);
  expect(first.outputs.status).toBe('pending');
  expect(cp().callsOf('PutApprovalResult')).toHaveLength(0); // nothing is forwarded while pending
  const number = Number(first.outputs['issue-number']);
  gh.addComment(FULL, number, login, answer);
  return number;
}

describe('forward: the decision goes to the pipeline', () => {
  test('an approved request approves the pending approval, naming approvers and issue; a re-run converges', async () => {
    const token = cp().requestApproval('blue-prod', 'Approve', 'ManualApproval', 'promote blue?');
    const number = await answered('blue', 'alice', 'approve');
    const r = await run({ service: 'blue', environment: 'production', issue: String(number), ...PIPE });
    expect(messages(r)).toBe('');
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ status: 'approved', approvers: 'alice' });
    const url = r.outputs['issue-url']!;
    const put = cp().callsOf('PutApprovalResult');
    expect(put).toHaveLength(1);
    expect(put[0]!.body).toMatchObject({
      pipelineName: 'blue-prod',
      stageName: 'Approve',
      actionName: 'ManualApproval',
      token,
      result: { status: 'Approved' },
    });
    const summary = (put[0]!.body.result as { summary: string }).summary;
    expect(summary).toContain('alice');
    expect(summary).toContain(url);
    expect(cp().action('blue-prod', 'Approve', 'ManualApproval').latest?.status).toBe('Succeeded');
    const issue = gh.issue(FULL, number);
    expect(issue).toMatchObject({ state: 'closed', stateReason: 'completed' });
    expect(issue.comments.at(-1)!.body).toContain(
      'Sent to CodePipeline blue-prod/Approve/ManualApproval as Approved.',
    );

    const again = await run({ service: 'blue', environment: 'production', issue: String(number), ...PIPE });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already has this request's approval/);
    expect(cp().callsOf('PutApprovalResult')).toHaveLength(1);
  });

  test('a denied request rejects the pending approval', async () => {
    cp().requestApproval('blue-prod', 'Approve', 'ManualApproval');
    const number = await answered('green', 'bob', 'deny');
    const r = await run({ service: 'green', environment: 'production', issue: String(number), ...PIPE });
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('denied');
    const put = cp().callsOf('PutApprovalResult');
    expect(put).toHaveLength(1);
    expect(put[0]!.body.result).toMatchObject({ status: 'Rejected' });
    expect((put[0]!.body.result as { summary: string }).summary).toMatch(
      /^Rejected in GitHub by bob: green 1.6.1/,
    );
    expect(cp().action('blue-prod', 'Approve', 'ManualApproval').latest?.status).toBe('Failed');
    expect(gh.issue(FULL, number)).toMatchObject({ state: 'closed', stateReason: 'not_planned' });
  });

  test('a timed-out request rejects the pending approval', async () => {
    cp().requestApproval('blue-prod', 'Approve', 'ManualApproval');
    const number = await answered('blue', 'alice', 'looks fine, will approve later');
    const later = new Date(Date.now() + 2 * 3600_000).toISOString();
    const r = await run(
      { service: 'blue', environment: 'production', issue: String(number), timeout: '1h', ...PIPE },
      { SD_ACTIONS_TEST_NOW: later },
    );
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('timed-out');
    const put = cp().callsOf('PutApprovalResult');
    expect(put).toHaveLength(1);
    expect(put[0]!.body.result).toMatchObject({ status: 'Rejected' });
    expect((put[0]!.body.result as { summary: string }).summary).toMatch(
      /^Timed out in GitHub with 0 of 1 approvals/,
    );
    expect(gh.issue(FULL, number)).toMatchObject({ state: 'closed', stateReason: 'not_planned' });
  });

  test.each([
    ['no pending approval', undefined, /has no pending manual approval: it has not run yet/],
    [
      'InvalidApprovalTokenException',
      'InvalidApprovalTokenException',
      /the approval token is no longer valid/,
    ],
    [
      'ApprovalAlreadyCompletedException',
      'ApprovalAlreadyCompletedException',
      /the approval was already decided in CodePipeline/,
    ],
  ])('%s: a clear error, and the request stays open for a re-run', async (_name, failure, message) => {
    if (failure) {
      cp().requestApproval('blue-prod', 'Approve', 'ManualApproval');
      cp().fail('PutApprovalResult', failure);
    }
    const number = await answered('blue', 'carol', 'approve');
    const r = await run({ service: 'blue', environment: 'production', issue: String(number), ...PIPE });
    expect(r.code).toBe(1);
    expect(messages(r)).toMatch(message);
    expect(messages(r)).toMatch(/blue-prod/);
    expect(gh.issue(FULL, number).state).toBe('open');
    expect(cp().action('blue-prod', 'Approve', 'ManualApproval').latest?.status ?? 'none').not.toBe(
      'Succeeded',
    );
  });

  test('the pipeline inputs go together, and a bad one changes nothing', async () => {
    const before = gh.repos.get(FULL)!.issues.length;
    const partial = await run({ service: 'blue', environment: 'production', 'pipeline-name': 'blue-prod' });
    expect(partial.code).toBe(1);
    expect(messages(partial)).toMatch(/"pipeline-name" given without "stage-name", "action-name"/);
    const bad = await run({
      service: 'blue',
      environment: 'production',
      ...PIPE,
      'stage-name': 'no such/stage',
    });
    expect(messages(bad)).toMatch(/Input "stage-name": "no such\/stage" is not a CodePipeline name/);
    expect(gh.repos.get(FULL)!.issues.length).toBe(before);
    expect(cp().calls).toHaveLength(0);
  });
});

describe('gate: via: codepipeline waits for the decision in AWS', () => {
  const gate = (inputs: Record<string, string> = {}, env: Record<string, string> = {}) =>
    run({ service: 'blue', environment: 'pipegate', ...PIPE, ...inputs }, env);

  test('pending with wait: false, then approved; nothing is written to GitHub or AWS', async () => {
    const before = gh.calls.length;
    cp().requestApproval('blue-prod', 'Approve', 'ManualApproval');
    cp().action('blue-prod', 'Approve', 'ManualApproval').latest!.lastStatusChange = new Date();
    const pending = await gate({ wait: 'false' });
    expect(pending.code).toBe(0);
    expect(pending.outputs).toMatchObject({ status: 'pending', approved: 'false', 'issue-number': '' });
    cp().decideApproval(
      'blue-prod',
      'Approve',
      'ManualApproval',
      'Succeeded',
      'arn:aws:iam::123456789012:user/alice',
    );
    const r = await gate();
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({
      status: 'approved',
      approved: 'true',
      approvers: 'arn:aws:iam::123456789012:user/alice',
    });
    expect(gh.calls.length).toBe(before);
    expect(cp().calls.map((c) => c.operation)).toEqual(['GetPipelineState', 'GetPipelineState']);
  });

  test('polls until the approval is rejected: denied, exit 1', async () => {
    cp().requestApproval('blue-prod', 'Approve', 'ManualApproval');
    cp().action('blue-prod', 'Approve', 'ManualApproval').latest!.lastStatusChange = new Date();
    let settled = false;
    const running = gate({ 'poll-interval': '1s' }).finally(() => (settled = true));
    while (cp().callsOf('GetPipelineState').length < 1) {
      if (settled) throw new Error(`the gate ended before reading the pipeline: ${(await running).stdout}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    cp().decideApproval(
      'blue-prod',
      'Approve',
      'ManualApproval',
      'Failed',
      'arn:aws:iam::123456789012:user/bob',
    );
    const r = await running;
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ status: 'denied', approved: 'false', approvers: '' });
    expect(messages(r)).toMatch(
      /CodePipeline approval denied: blue-prod\/Approve\/ManualApproval ended Failed by arn:aws:iam::123456789012:user\/bob/,
    );
  });

  test('the timeout counts from when the approval started waiting', async () => {
    cp().requestApproval('blue-prod', 'Approve', 'ManualApproval');
    cp().action('blue-prod', 'Approve', 'ManualApproval').latest!.lastStatusChange = new Date();
    const later = new Date(Date.now() + 2 * 3600_000).toISOString();
    const r = await gate({}, { SD_ACTIONS_TEST_NOW: later });
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('timed-out');
    expect(messages(r)).toMatch(/CodePipeline approval timed out: .* longer than 1h/);
  });

  test('an environment without approvals, given the pipeline inputs, gates on the pipeline too', async () => {
    cp().requestApproval('blue-prod', 'Approve', 'ManualApproval');
    const r = await run({ service: 'blue', environment: 'staging', ...PIPE, wait: 'false' });
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ status: 'pending', 'issue-number': '' });
    expect(cp().calls.map((c) => c.operation)).toEqual(['GetPipelineState']);
  });

  test('via: codepipeline without the pipeline inputs is refused', async () => {
    const r = await run({ service: 'blue', environment: 'pipegate' });
    expect(r.code).toBe(1);
    expect(messages(r)).toMatch(
      /approvals.via is "codepipeline", but the inputs pipeline-name, stage-name and action-name are not given/,
    );
  });
});

describe('orphan requests', () => {
  test('an issue left without its binding is closed as not planned, and a fresh request opened', async () => {
    const repo = gh.repos.get(FULL)!;
    const t = new Date().toISOString();
    const orphan = {
      number: repo.issues.length + 1,
      id: 900_000 + repo.issues.length,
      title: 'Approve blue 1.6.1 for production',
      body: 'the body the crashed run wrote',
      user: 'sd-bot',
      state: 'open' as const,
      stateReason: null,
      labels: ['sd-approval'],
      comments: [],
      createdAt: t,
      updatedAt: t,
      closedAt: null,
    };
    repo.issues.push(orphan);
    // Within the grace period it may still be getting its binding: left alone.
    const young = await run({ service: 'blue', environment: 'production', wait: 'false' });
    expect(young.code).toBe(0);
    expect(gh.issue(FULL, orphan.number).state).toBe('open');
    gh.issue(FULL, Number(young.outputs['issue-number'])).state = 'closed';

    const later = new Date(Date.now() + 10 * 60_000).toISOString();
    const r = await run(
      { service: 'blue', environment: 'production', wait: 'false' },
      { SD_ACTIONS_TEST_NOW: later },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Closed #${orphan.number}: it was left without its binding comment`));
    const closed = gh.issue(FULL, orphan.number);
    expect(closed).toMatchObject({ state: 'closed', stateReason: 'not_planned' });
    expect(closed.comments.at(-1)!.body).toMatch(/has no binding comment/);
    const fresh = Number(r.outputs['issue-number']);
    expect(fresh).not.toBe(orphan.number);
    expect(gh.issue(FULL, fresh).comments[0]!.body).toContain('sd-approval-binding');
  });
});

describe('the request body: commits since the version running in the target', () => {
  let root: string;
  let work: string;
  beforeAll(() => {
    root = tempDir('await-approval-body-');
    ({ work } = originAndClone(root));
    const base = commit(work, 'config', { '.github/sd-actions.yml': CONFIG, 'projects/blue/v': '0' });
    for (let i = 1; i <= 53; i++) {
      commit(work, `blue change ${i}`, { 'projects/blue/v': String(i) });
      if (i === 20) commit(work, 'green only', { 'projects/green/v': '1' });
    }
    const head = git(work, 'rev-parse', 'HEAD');
    git(work, 'push', '-q', 'origin', 'HEAD:main');
    const manifest = (env: string, version: string, digest: string, sha: string) => `environment: ${env}
services:
  blue:
    version: ${version}
    image: registry.example:5000/acme/blue
    digest: ${digest}
    commit: ${sha}
`;
    for (const [env, branch, version, digest, sha] of [
      ['staging', 'gitops/staging-releases', '1.6.1', DIGEST_B, head],
      ['production', 'gitops/production-releases', '1.5.0', DIGEST_A, base],
    ] as const) {
      git(work, 'checkout', '-q', '--orphan', branch);
      git(work, 'rm', '-q', '-r', '--cached', '.');
      commit(work, env, { [`release-manifests/${env}.yaml`]: manifest(env, version, digest, sha) });
      git(work, 'push', '-q', 'origin', `HEAD:${branch}`);
      git(work, 'checkout', '-q', '-f', 'main');
    }
  });
  afterAll(() => removeDir(root));

  test('lists the first 50 commits of the service path since the running version, and counts the rest', async () => {
    const r = await runAction('await-approval', {
      workspace: work,
      inputs: { token: 'bot-token', service: 'blue', environment: 'production', wait: 'false' },
      env: { GITHUB_API_URL: gh.url },
    });
    expect(messages(r)).toBe('');
    const body = gh.issue(FULL, Number(r.outputs['issue-number'])).body!;
    expect(body).toContain('(now `1.5.0`)');
    expect(body).toContain('### Commits since `1.5.0`');
    expect(body).toContain(DIGEST_B);
    expect(body).toContain('blue change 53');
    expect(body).toContain('blue change 4');
    expect(body).not.toContain('blue change 3\n');
    expect(body).not.toContain('green only');
    expect(body).toContain('- … and 3 more');
  });
});

describe('resuming with only issue: (the issue_comment caller)', () => {
  test("service, environment and version come from the request's record, and are outputs", async () => {
    const first = await run({ service: 'green', environment: 'production', wait: 'false' });
    const number = Number(first.outputs['issue-number']);
    // Editing the title does not change what the request approves.
    gh.issue(FULL, number).title = 'Approve blue 9.9.9 for production';
    gh.addComment(FULL, number, 'alice', 'approve');
    const r = await runAction('await-approval', {
      workspace,
      inputs: { token: 'bot-token', issue: String(number), wait: 'false' },
      env: { GITHUB_API_URL: gh.url, GITHUB_ACTOR: 'alice' },
    });
    expect(messages(r)).toBe('');
    expect(r.outputs).toMatchObject({
      status: 'approved',
      service: 'green',
      environment: 'production',
      version: '1.6.1',
      digest: DIGEST_A,
      'issue-url': first.outputs['issue-url'],
    });
    const none = await runAction('await-approval', {
      workspace,
      inputs: { token: 'bot-token', wait: 'false' },
      env: { GITHUB_API_URL: gh.url },
    });
    expect(none.code).toBe(1);
    expect(messages(none)).toMatch(/Input "service": required \(it may be left out only with issue:/);
  });
});
