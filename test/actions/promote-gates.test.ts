/**
 * promote's gates, run from the committed bundles: `[approval]` re-checked through the
 * OpenAPI-validated GitHub fake (GITHUB_API_URL) by the config's rules — requests opened by the
 * real await-approval bundle — and `[quarantine]` read from the target's manifest. Real git (a bare
 * origin) and the oci-layout registry. Every refusal leaves origin and the registry as they were,
 * and promote never writes to GitHub.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { OciLayoutRegistry } from '@sd-actions/registry';
import {
  buildImage,
  commit,
  git,
  originAndClone,
  pushImage,
  removeDir,
  runAction,
  startGitHubFake,
  tempDir,
  type ActionRun,
  type GitHubFake,
} from '@sd-actions/testkit';

const FULL = 'acme/monorepo'; // the runner emulation's GITHUB_REPOSITORY
const OTHER = `sha256:${'b'.repeat(64)}`;

function config(registryDir: string): string {
  return `registry: { type: oci-layout, url: ${registryDir} }
services:
  blue: { path: projects/blue }
environments:
  dev:        { branch: gitops/dev-auto-update, tags: [dev] }
  staging:    { from: dev, branch: gitops/staging-releases, tags: ["{version}"] }
  production: { from: staging, branch: gitops/production-releases, tags: ["{version}", prd],
                approvals: { count: 2, approvers: [alice, bob, carol, dave] } }
  envgate:    { from: staging, branch: gitops/envgate, tags: [envgate],
                approvals: { count: 1, approvers: [alice, dave], via: environment } }
  qa:         { from: staging, branch: gitops/qa, tags: [qa] }
`;
}

let gh: GitHubFake;
let root: string;
let origin: string;
let work: string;
let registry: OciLayoutRegistry;
let c1: string;
let d1: string;

async function build(sha: string): Promise<string> {
  const image = buildImage({ files: [{ path: 'srv/blue.txt', data: Buffer.from(`blue at ${sha}\n`) }] });
  return pushImage(registry, 'blue', `sha-${sha.slice(0, 7)}`, image);
}

/** promote as the runner runs it; asserts it made no write to GitHub. */
async function promote(inputs: Record<string, string>): Promise<ActionRun> {
  const start = gh.calls.length;
  const run = await runAction('promote', {
    actionDir: 'promote',
    workspace: work,
    inputs: { token: 'bot-token', deployments: 'false', ...inputs },
    event: 'workflow_dispatch',
    env: { GITHUB_API_URL: gh.url },
  });
  expect(gh.calls.slice(start).filter((c) => c.method !== 'GET')).toEqual([]);
  return run;
}

function ok(run: ActionRun): ActionRun {
  if (run.code !== 0) throw new Error(`promote failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
  return run;
}

/**
 * Open a fresh request with the real await-approval bundle (asked by dave: run 1234's actor). The
 * earlier tests' requests are closed first, as if decided, so that each test has its own.
 */
async function request(digest: string, version: string, extra: Record<string, string> = {}): Promise<number> {
  for (const issue of gh.repos.get(FULL)!.issues) issue.state = 'closed';
  const r = await runAction('await-approval', {
    workspace: work,
    inputs: {
      token: 'bot-token',
      service: 'blue',
      environment: 'production',
      digest,
      version,
      wait: 'false',
      ...extra,
    },
    env: { GITHUB_API_URL: gh.url },
  });
  if (r.code !== 0) throw new Error(`await-approval failed:\n${r.stdout}`);
  return Number(r.outputs['issue-number']);
}

/** Everything a promotion can change: origin's refs and every registry tag. */
async function snapshot(): Promise<string> {
  const refs = git(origin, 'for-each-ref', '--format=%(refname) %(objectname)');
  const tags: string[] = [];
  for (const tag of (await registry.listTags('blue')).sort())
    tags.push(`${tag}=${(await registry.resolve('blue', tag))?.digest}`);
  return `${refs}\n${tags.join('\n')}`;
}

const messages = (run: ActionRun) => run.annotations.map((a) => a.message).join('\n');
const lastMessage = (branch: string) => git(origin, 'log', '-1', '--format=%B', branch);

/** Expect a refusal that names `pattern` and changes nothing. */
async function refused(inputs: Record<string, string>, pattern: RegExp): Promise<ActionRun> {
  const before = await snapshot();
  const run = await promote(inputs);
  expect(run.code).toBe(1);
  expect(messages(run)).toMatch(/refused, nothing was changed/);
  expect(messages(run)).toMatch(pattern);
  expect(await snapshot()).toBe(before);
  return run;
}

beforeAll(async () => {
  gh = await startGitHubFake();
  gh.addToken('bot-token', 'sd-bot');
  gh.addRepo(FULL, {
    collaborators: { alice: 'write', bob: 'write', carol: 'write', dave: 'write', mallory: 'write' },
  });
  gh.addRun(FULL, { id: 1234, actor: 'dave', triggeringActor: 'dave' });
  root = tempDir('promote-gates-');
  const registryDir = join(root, 'registry');
  registry = new OciLayoutRegistry(registryDir, { baseDir: root });
  ({ origin, work } = originAndClone(root));
  c1 = commit(work, 'feat: first', {
    '.github/sd-actions.yml': config(registryDir),
    'projects/blue/app.txt': 'blue 1\n',
  });
  git(work, 'push', '-q', 'origin', 'main');
  d1 = await build(c1);
  ok(await promote({ service: 'blue', to: 'dev', digest: d1, 'source-commit': c1 }));
  ok(await promote({ service: 'blue', to: 'staging', version: '1.6.0' }));
});
afterEach(() => {
  expect(gh.violations.splice(0)).toEqual([]);
});
afterAll(async () => {
  await gh.stop();
  removeDir(root);
});

describe('promote [approval], via: issue', () => {
  test('refused without an approval input; a dry run says what it would check', async () => {
    await refused(
      { service: 'blue', to: 'production' },
      /\[approval\] production requires 2 approvals from alice, bob, carol, dave \(via issue\); pass the approval request as input "approval"/,
    );
    const before = await snapshot();
    const dry = ok(await promote({ service: 'blue', to: 'production', 'dry-run': 'true' }));
    expect(dry.summary).toMatch(/\| Approval \| would check an approval request: 2 approvals/);
    expect(await snapshot()).toBe(before);
  });

  test('refused with a denied request', async () => {
    const number = await request(d1, '1.6.0');
    gh.addComment(FULL, number, 'alice', 'approve');
    gh.addComment(FULL, number, 'bob', 'approve');
    gh.addComment(FULL, number, 'carol', 'deny');
    await refused(
      { service: 'blue', to: 'production', approval: String(number) },
      new RegExp(`\\[approval\\] approval request #${number} \\(.*\\) was denied by carol`),
    );
  });

  test('refused with a request approved for another digest', async () => {
    const number = await request(OTHER, '1.6.0');
    gh.addComment(FULL, number, 'alice', 'approve');
    gh.addComment(FULL, number, 'bob', 'approve');
    await refused(
      { service: 'blue', to: 'production', approval: `#${number}` },
      new RegExp(`does not approve this promotion: it approves digest ${OTHER}, not ${d1}`),
    );
  });

  test("refused with too few eligible approvers, whatever await-approval's overrides said", async () => {
    // The request was opened with minimum-approvals: 1; promote counts by the config (2).
    const number = await request(d1, '1.6.0', { 'minimum-approvals': '1' });
    gh.addComment(FULL, number, 'alice', 'approve');
    gh.addComment(FULL, number, 'mallory', 'approve'); // a writer, but not a listed approver
    await refused(
      { service: 'blue', to: 'production', approval: String(number) },
      /has 1 of 2 eligible approvals \(alice\); production requires 2 approvals .*not counted: mallory \(not an eligible approver\)/,
    );
    // A dry run checks the same and says a real run would refuse, changing nothing.
    const before = await snapshot();
    const dry = ok(
      await promote({ service: 'blue', to: 'production', approval: String(number), 'dry-run': 'true' }),
    );
    expect(
      dry.annotations.some(
        (a) => a.level === 'warning' && /a real run would refuse: .*1 of 2/.test(a.message),
      ),
    ).toBe(true);
    expect(dry.summary).toMatch(/\| Approval \| a real run would refuse: /);
    expect(await snapshot()).toBe(before);
  });

  test("the requester's own approval does not count", async () => {
    const number = await request(d1, '1.6.0');
    gh.addComment(FULL, number, 'dave', 'approve'); // run 1234's actor asked for it
    gh.addComment(FULL, number, 'alice', 'lgtm');
    await refused(
      { service: 'blue', to: 'production', approval: String(number) },
      /has 1 of 2 eligible approvals \(alice\).*not counted: dave \(asked for it\)/,
    );
  });

  test('an unknown issue or a foreign URL is refused', async () => {
    await refused(
      { service: 'blue', to: 'production', approval: '9999' },
      /\[approval\] issue #9999 was not found in acme\/monorepo/,
    );
    const before = await snapshot();
    const r = await promote({
      service: 'blue',
      to: 'production',
      approval: 'https://github.example/evil/repo/issues/1',
    });
    expect(r.code).toBe(1);
    expect(messages(r)).toMatch(/Input "approval": .* is an issue of evil\/repo, not of acme\/monorepo/);
    expect(await snapshot()).toBe(before);
  });

  test('lands with a good approval (by URL, the issue still open) and records it in trailers', async () => {
    const number = await request(d1, '1.6.0');
    gh.addComment(FULL, number, 'alice', 'approve');
    gh.addComment(FULL, number, 'bob', 'Approved!');
    const url =
      gh.issue(FULL, number).state === 'open' ? `https://github.example/${FULL}/issues/${number}` : '';
    const run = ok(await promote({ service: 'blue', to: 'production', approval: url }));
    expect(run.outputs).toMatchObject({ version: '1.6.0', digest: d1, changed: 'true' });
    expect((await registry.resolve('blue', 'prd'))?.digest).toBe(d1);
    const message = lastMessage('gitops/production-releases');
    expect(message).toMatch(/^promote\(blue\): 1\.6\.0 to production/);
    expect(message).toContain('\nSd-Approved-By: alice, bob\n');
    expect(message).toMatch(new RegExp(`^Sd-Approval: https?://\\S+/acme/monorepo/issues/${number}$`, 'm'));
    expect(run.summary).toMatch(/\| Approval \| alice, bob \(2 of 2 needed\)/);
    // promote judged the comments, and left the request as it was.
    expect(gh.issue(FULL, number).state).toBe('open');
  });
});

describe('promote [approval], via: environment', () => {
  test("the run's environment review: the initiator's refused, an eligible one recorded", async () => {
    const runState = gh.repos.get(FULL)!.runs.get(1234)!;
    const review = (user: string) => ({
      user,
      state: 'approved' as const,
      comment: '',
      environments: ['envgate'],
    });
    try {
      runState.approvals = [];
      await refused(
        { service: 'blue', to: 'envgate' },
        /\[approval\] run 1234 has no review for the GitHub environment "envgate"/,
      );
      runState.approvals = [review('dave')];
      await refused(
        { service: 'blue', to: 'envgate' },
        /run 1234 was released without an eligible approval \(dave \(started the run\)\)/,
      );
      runState.approvals = [review('carol')]; // a writer, not listed
      await refused({ service: 'blue', to: 'envgate' }, /carol \(not an eligible approver\)/);
      runState.approvals = [review('alice')];
      ok(await promote({ service: 'blue', to: 'envgate' }));
      const message = lastMessage('gitops/envgate');
      expect(message).toContain('\nSd-Approved-By: alice\n');
      expect(message).toMatch(
        /^Sd-Approval: https:\/\/github\.example\/acme\/monorepo\/actions\/runs\/1234$/m,
      );
    } finally {
      runState.approvals = [];
    }
  });
});

describe('promote [quarantine]', () => {
  beforeAll(() => {
    // qa found 1.6.0 bad earlier (as rollback-service records it).
    git(work, 'checkout', '-q', '--orphan', 'gitops/qa');
    git(work, 'rm', '-q', '-r', '--cached', '.');
    commit(work, 'qa: quarantine', {
      'release-manifests/qa.yaml': `environment: qa
services: {}
quarantine:
  blue:
    1.6.0:
      digest: ${d1}
      at: 2026-11-20T10:00:00Z
      reason: 'verify-deployment: 3 of 6 health checks failed'
      by: alice
`,
    });
    git(work, 'push', '-q', 'origin', 'HEAD:gitops/qa');
    git(work, 'checkout', '-q', '-f', 'main');
  });

  test('a quarantined digest is refused, naming when, why and by whom', async () => {
    await refused(
      { service: 'blue', to: 'qa' },
      new RegExp(
        `\\[quarantine\\] blue 1\\.6\\.0 \\(${d1}\\) was quarantined in qa at 2026-11-20T10:00:00Z by alice: verify-deployment: 3 of 6 health checks failed.*allow-quarantined`,
      ),
    );
  });

  test('allow-quarantined promotes it with a warning, on the record', async () => {
    const run = ok(await promote({ service: 'blue', to: 'qa', 'allow-quarantined': 'true' }));
    expect(run.outputs).toMatchObject({ version: '1.6.0', changed: 'true' });
    expect(
      run.annotations.some((a) => a.level === 'warning' && /was quarantined in qa/.test(a.message)),
    ).toBe(true);
    expect(run.summary).toMatch(/Quarantined digest promoted on purpose/);
    expect(lastMessage('gitops/qa')).toContain('\nSd-Override: quarantine\n');
    // The quarantine record stays in the manifest.
    expect(git(origin, 'show', 'gitops/qa:release-manifests/qa.yaml')).toMatch(
      /quarantine:\n {2}blue:\n {4}1\.6\.0:/,
    );
  });

  test('a newer version promotes normally', async () => {
    const c2 = commit(work, 'fix(blue): the health check', { 'projects/blue/app.txt': 'blue 2\n' });
    git(work, 'push', '-q', 'origin', 'main');
    const d2 = await build(c2);
    ok(await promote({ service: 'blue', to: 'dev', digest: d2, 'source-commit': c2 }));
    ok(await promote({ service: 'blue', to: 'staging', version: '1.6.1' }));
    const run = ok(await promote({ service: 'blue', to: 'qa' }));
    expect(run.outputs).toMatchObject({ version: '1.6.1', digest: d2, changed: 'true' });
    expect(run.annotations.filter((a) => /quarantine/.test(a.message))).toEqual([]);
    expect(lastMessage('gitops/qa')).not.toContain('Sd-Override');
  });
});
