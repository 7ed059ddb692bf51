/**
 * The notify action, run from its committed bundle the way the runner runs it, against loopback
 * webhook receivers (Slack and Teams stand-ins) and the SNS wire fake through the real SDK: the
 * event reaches every destination that wants it, secrets are masked before anything is logged and
 * never printed, a receiver answering 500 is a warning (never a failed step), and bad input fails
 * before anything is sent.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  removeDir,
  runAction,
  startAwsFakes,
  startWebhookReceiver,
  tempDir,
  type ActionRun,
  type AwsFakes,
  type WebhookReceiver,
} from '@sd-actions/testkit';

const SLACK_PATH = '/services/T0001/B0002/SlackS3cr3tXYZ';
const TEAMS_PATH = '/workflows/abc/triggers/manual/paths/invoke?sig=TeamsS3cr3tXYZ';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

let slack: WebhookReceiver;
let teams: WebhookReceiver;
let aws: AwsFakes;
let topic: string;
let workspace: string;

function writeConfig(notify: string): void {
  mkdirSync(join(workspace, '.github'), { recursive: true });
  writeFileSync(
    join(workspace, '.github', 'sd-actions.yml'),
    `registry: { type: oci, url: registry.example:5000/acme }
services:
  blue: { path: projects/blue }
environments:
  staging: { branch: gitops/staging-releases }
  production: { from: staging, branch: gitops/production-releases }
${notify}`,
  );
}

const CONFIG = () => `notify:
  slack:
    - { webhook: SLACK_WEBHOOK_URL, events: [rolled-back, rollback-failed] }
    - { webhook: SLACK_PROMOTIONS_URL, events: [promoted] }
  teams: { webhook: TEAMS_WEBHOOK_URL }
  sns: { topicArn: ${topic} }
`;

function notify(inputs: Record<string, string> = {}, env: Record<string, string> = {}): Promise<ActionRun> {
  return runAction('notify', {
    workspace,
    inputs: {
      event: 'rolled-back',
      service: 'blue',
      environment: 'production',
      'from-version': '1.7.0',
      'to-version': '1.6.1',
      digest: DIGEST,
      commit: '3b9d0c2'.padEnd(40, '0'),
      reason: 'alarm blue-5xx is in ALARM',
      'slack-webhook-url': slack.url(SLACK_PATH),
      ...inputs,
    },
    env: { ...aws.env(), TEAMS_WEBHOOK_URL: teams.url(TEAMS_PATH), ...env },
  });
}

/** Nothing the run wrote (but the masking commands) shows a webhook URL or the secret part of one. */
function expectNoSecrets(run: ActionRun): void {
  // The ::add-mask:: commands carry them to the runner, which hides them everywhere else.
  const stdout = run.stdout
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
  for (const text of [stdout, run.stderr, run.summary, JSON.stringify(run.outputs)])
    for (const secret of ['SlackS3cr3tXYZ', 'TeamsS3cr3tXYZ']) expect(text).not.toContain(secret);
}

beforeAll(async () => {
  [slack, teams, aws] = await Promise.all([startWebhookReceiver(), startWebhookReceiver(), startAwsFakes()]);
  topic = aws.sns.createTopic('releases');
});
afterAll(async () => {
  await Promise.all([slack.stop(), teams.stop(), aws.stop()]);
});
beforeEach(() => {
  slack.reset();
  teams.reset();
  aws.sns.published.length = 0;
  if (workspace) removeDir(workspace);
  workspace = tempDir('sd-notify-');
  writeConfig(CONFIG());
});

describe('notify action', () => {
  test('sends to every destination that wants the event, masks the webhook URLs first, lists what it did', async () => {
    const run = await notify();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.outputs).toEqual({
      sent: 'notify.slack[0],notify.teams,notify.sns',
      skipped: 'notify.slack[1]',
      failed: '',
    });
    // Slack got blocks naming the versions, the reason and this run.
    expect(slack.requests).toHaveLength(1);
    expect(slack.requests[0]!.path).toBe(SLACK_PATH);
    const slackBody = slack.requests[0]!.body;
    expect(slackBody).toContain('blue rolled back in production from 1.7.0 to 1.6.1');
    expect(slackBody).toContain('alarm blue-5xx is in ALARM');
    expect(slackBody).toContain('https://github.example/acme/monorepo/actions/runs/1234');
    expect(teams.requests).toHaveLength(1);
    expect(teams.requests[0]!.body).toContain('AdaptiveCard');
    expect(aws.sns.published).toHaveLength(1);
    expect(aws.sns.published[0]!.topicArn).toBe(topic);
    expect([...aws.sns.published[0]!.subject!].length).toBeLessThan(100);
    expect(aws.sns.published[0]!.message).toContain('octo-tester');
    // Masked before anything else was written.
    expect(run.masked).toEqual(expect.arrayContaining([slack.url(SLACK_PATH), teams.url(TEAMS_PATH)]));
    const firstMask = run.stdout.indexOf('::add-mask::');
    expect(firstMask).toBeGreaterThanOrEqual(0);
    expect(run.stdout.slice(0, firstMask).trim()).toBe('');
    expectNoSecrets(run);
    expect(run.summary).toContain('### Notification: rolled-back');
    expect(run.summary).toMatch(/notify\.slack\[1\].*skipped/);
    expect(run.summary).toContain('the URL in $SLACK_WEBHOOK_URL');
    expect(run.annotations).toEqual([]);
  });

  test('a receiver answering 500 is a warning after bounded retries, never a failed step; the others still get it', async () => {
    slack.script({ status: 500, body: `oops ${SLACK_PATH}` }, { status: 500 }, { status: 500 });
    const run = await notify();
    expect(run.code).toBe(0);
    expect(slack.requests).toHaveLength(3);
    expect(teams.requests).toHaveLength(1);
    expect(aws.sns.published).toHaveLength(1);
    expect(run.outputs.failed).toBe('notify.slack[0]');
    expect(run.outputs.sent).toBe('notify.teams,notify.sns');
    const warnings = run.annotations.filter((a) => a.level === 'warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/notify\.slack\[0\].*500.*does not change the outcome/);
    expect(run.summary).toMatch(/notify\.slack\[0\].*failed/);
    expectNoSecrets(run);
  }, 60_000);

  test('a webhook the config names but nobody set is a warning that says how to pass it', async () => {
    const run = await notify({ event: 'promoted', 'slack-webhook-url': '' });
    expect(run.code).toBe(0);
    // notify.slack[1] wants promoted; SLACK_PROMOTIONS_URL is not set and the input is empty.
    expect(run.outputs.failed).toBe('notify.slack[1]');
    expect(run.annotations.map((a) => a.message).join('\n')).toContain(
      'SLACK_PROMOTIONS_URL is not set; pass the webhook secret',
    );
    expect(slack.requests).toHaveLength(0);
    expect(teams.requests).toHaveLength(1);
  });

  test('dry run shows what would be sent and sends nothing', async () => {
    const run = await notify({ 'dry-run': 'true' });
    expect(run.code).toBe(0);
    expect(slack.requests).toHaveLength(0);
    expect(teams.requests).toHaveLength(0);
    expect(aws.sns.published).toHaveLength(0);
    expect(run.outputs.skipped).toBe('notify.slack[1]');
    expect(run.stdout).toContain('Would send to notify.sns (sns)');
    expect(run.summary).toContain('dry run, nothing sent');
    expectNoSecrets(run);
  });

  test('no notify block: nothing to send, the step succeeds', async () => {
    writeConfig('');
    const run = await notify();
    expect(run.code).toBe(0);
    expect(run.outputs).toEqual({ sent: '', skipped: '', failed: '' });
    expect(run.summary).toContain('No destinations');
  });

  test.each([
    [{ event: 'deployed' }, 'Input "event": "deployed" is not an event; expected one of promoted'],
    [{ service: 'purple' }, 'purple'],
    [{ digest: 'sha256:nothex' }, 'sha256:nothex'],
  ])('bad input %p fails before anything is sent', async (inputs, message) => {
    const run = await notify(inputs);
    expect(run.code).toBe(1);
    expect(
      run.annotations
        .filter((a) => a.level === 'error')
        .map((a) => a.message)
        .join('\n'),
    ).toContain(message);
    expect(slack.requests).toHaveLength(0);
    expect(teams.requests).toHaveLength(0);
    expect(aws.sns.published).toHaveLength(0);
    expectNoSecrets(run);
  });
});
