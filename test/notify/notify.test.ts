/**
 * Sending notifications to real HTTP receivers on loopback (Slack and Teams stand-ins) and to the
 * SNS wire fake through the real @aws-sdk/client-sns: payloads, the event filter, retries on 5xx
 * and 429 (Retry-After honoured) on a test clock, a receiver that never answers, and failures
 * that come back as warnings with the webhook URL masked, never as exceptions.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { parseConfig, redact, type NotifyConfig, type NotifyEvent } from '@sd-actions/core';
import {
  notifySecrets,
  previewNotifications,
  retryAfterMs,
  sendNotifications,
  type NotifyClock,
  type NotifyOptions,
} from '@sd-actions/notify';
import {
  applyEnv,
  startAwsFakes,
  startWebhookReceiver,
  type AwsFakes,
  type WebhookReceiver,
} from '@sd-actions/testkit';

const SECRET_PATH = '/services/T0001/B0002/S3cr3tT0k3nXYZ';

/** A clock that moves only when something sleeps; timeouts fire when the test says so. */
function testClock() {
  let now = Date.parse('2026-01-20T10:00:00Z');
  const sleeps: number[] = [];
  const timeouts: { ms: number; controller: AbortController }[] = [];
  const clock: NotifyClock & { sleeps: number[]; timeouts: typeof timeouts; expire(): void } = {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    timeout(ms) {
      const entry = { ms, controller: new AbortController() };
      timeouts.push(entry);
      return {
        signal: entry.controller.signal,
        dispose: () => void timeouts.splice(timeouts.indexOf(entry), 1),
      };
    },
    /** Let every pending request time out now. */
    expire() {
      for (const t of [...timeouts]) t.controller.abort(new Error('timeout'));
    },
    sleeps,
    timeouts,
  };
  return clock;
}

const EVENT: NotifyEvent = {
  kind: 'rolled-back',
  service: 'blue',
  environment: 'production',
  fromVersion: '1.7.0',
  toVersion: '1.6.1',
  digest: `sha256:${'ab'.repeat(32)}`,
  commit: '3b9d0c2'.padEnd(40, '0'),
  who: 'github-actions[bot]',
  why: 'alarm blue-5xx is in ALARM',
  runUrl: 'https://github.com/acme/shop/actions/runs/42',
};

let slack: WebhookReceiver;
let teams: WebhookReceiver;
let aws: AwsFakes;
let restore: () => void;
let topic: string;

beforeAll(async () => {
  [slack, teams, aws] = await Promise.all([startWebhookReceiver(), startWebhookReceiver(), startAwsFakes()]);
  restore = applyEnv(aws.env());
  topic = aws.sns.createTopic('releases');
});
afterAll(async () => {
  restore();
  await Promise.all([slack.stop(), teams.stop(), aws.stop()]);
});
beforeEach(() => {
  slack.reset();
  teams.reset();
  aws.sns.reset();
  aws.sns.published.length = 0;
});

async function config(notify: string): Promise<NotifyConfig> {
  return (await parseConfig(`services: { blue: { path: blue } }\nnotify:\n${notify}`)).notify!;
}

function env(): Record<string, string> {
  return {
    SLACK_WEBHOOK_URL: slack.url(SECRET_PATH),
    TEAMS_WEBHOOK_URL: teams.url('/workflows/abc?sig=S1GNATURE0'),
  };
}

function options(extra: Partial<NotifyOptions> = {}) {
  const clock = testClock();
  return { clock, opts: { env: env(), clock, random: () => 0.5, ...extra } satisfies NotifyOptions };
}

describe('webhooks', () => {
  test('Slack and Teams receive their payloads; SNS gets subject and text; each once', async () => {
    const cfg = await config(`  slack: true\n  teams: true\n  sns: { topicArn: "${topic}" }\n`);
    const { opts } = options();
    const report = await sendNotifications(cfg, EVENT, opts);
    expect(report.warnings).toEqual([]);
    expect(report.results.map((r) => [r.destination, r.status, r.attempts])).toEqual([
      ['notify.slack', 'sent', 1],
      ['notify.teams', 'sent', 1],
      ['notify.sns', 'sent', 1],
    ]);
    expect(slack.requests).toHaveLength(1);
    const s = slack.requests[0]!;
    expect([s.method, s.path, s.headers['content-type']]).toEqual([
      'POST',
      SECRET_PATH,
      'application/json; charset=utf-8',
    ]);
    expect(s.json).toMatchObject({
      text: ':leftwards_arrow_with_hook: blue rolled back in production from 1.7.0 to 1.6.1',
      blocks: [
        { type: 'header' },
        {
          type: 'section',
          fields: expect.arrayContaining([{ type: 'mrkdwn', text: '*Version*\n`1.7.0 → 1.6.1`' }]),
        },
        { type: 'section', text: { type: 'mrkdwn', text: '*Why*\nalarm blue-5xx is in ALARM' } },
        { type: 'context' },
      ],
    });
    expect(teams.requests).toHaveLength(1);
    expect(teams.requests[0]!.path).toBe('/workflows/abc?sig=S1GNATURE0');
    expect(teams.requests[0]!.json).toMatchObject({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          content: { type: 'AdaptiveCard', actions: [{ url: EVENT.runUrl }] },
        },
      ],
    });
    expect(aws.sns.published).toEqual([
      {
        topicArn: topic,
        subject: '[sd-actions] blue rolled back in production from 1.7.0 to 1.6.1',
        message: expect.stringContaining('Why:         alarm blue-5xx is in ALARM'),
        messageId: report.results[2]!.messageId,
      },
    ]);
  });

  test('the events filter: a destination only gets what it lists', async () => {
    const cfg = await config(
      `  slack: { events: [promoted] }\n  teams: { events: [rolled-back, rollback-failed] }\n`,
    );
    const { opts } = options();
    const report = await sendNotifications(cfg, EVENT, opts);
    expect(report.results.map((r) => [r.destination, r.status])).toEqual([
      ['notify.slack', 'skipped'],
      ['notify.teams', 'sent'],
    ]);
    expect(slack.requests).toHaveLength(0);
    expect(teams.requests).toHaveLength(1);
    expect(previewNotifications(cfg, EVENT).map((p) => p.destination)).toEqual(['notify.teams']);
    expect(await sendNotifications(undefined, EVENT, opts)).toEqual({ results: [], warnings: [] });
  });

  test('a 500 is retried with backoff; a receiver that keeps answering 500 becomes a warning', async () => {
    const cfg = await config('  slack: true\n');
    slack.script({ status: 500, body: 'boom' }, { status: 503 });
    const first = options();
    const ok = await sendNotifications(cfg, EVENT, first.opts);
    expect(ok.results[0]).toMatchObject({ status: 'sent', attempts: 3 });
    expect(first.clock.sleeps).toEqual([750, 1500]);
    expect(slack.requests).toHaveLength(3);

    slack.reset();
    slack.script(
      ...Array.from({ length: 5 }, () => ({ status: 500, body: `internal error at ${SECRET_PATH}` })),
    );
    const retries: number[] = [];
    const reasons: string[] = [];
    const second = options({
      onRetry: (i) => {
        retries.push(i.attempt);
        reasons.push(i.reason);
      },
    });
    const report = await sendNotifications(cfg, EVENT, second.opts);
    expect(slack.requests).toHaveLength(3);
    expect(retries).toEqual([1, 2]);
    expect(reasons[0]).toBe('answered HTTP 500 (internal error at ***)');
    expect(report.results[0]).toMatchObject({ status: 'failed', attempts: 3 });
    expect(report.warnings).toEqual([
      'Notification not sent to notify.slack (Slack): the webhook in SLACK_WEBHOOK_URL answered HTTP 500 (internal error at ***) 3 times; gave up. This does not change the outcome of the run.',
    ]);
  });

  test('429 waits as long as Retry-After says (seconds or a date); too long a wait is not waited', async () => {
    const cfg = await config('  teams: true\n');
    teams.script({ status: 429, headers: { 'retry-after': '7' } });
    const a = options();
    expect((await sendNotifications(cfg, EVENT, a.opts)).results[0]).toMatchObject({
      status: 'sent',
      attempts: 2,
    });
    expect(a.clock.sleeps).toEqual([7000]);

    const b = options();
    teams.script({ status: 429, headers: { 'retry-after': new Date(b.clock.now() + 12_000).toUTCString() } });
    await sendNotifications(cfg, EVENT, b.opts);
    expect(b.clock.sleeps).toEqual([12_000]);

    teams.reset();
    teams.script({ status: 429, headers: { 'retry-after': '3600' }, body: 'slow down' });
    const c = options();
    const report = await sendNotifications(cfg, EVENT, c.opts);
    expect(c.clock.sleeps).toEqual([]);
    expect(teams.requests).toHaveLength(1);
    expect(report.warnings[0]).toBe(
      'Notification not sent to notify.teams (Teams): the webhook in TEAMS_WEBHOOK_URL answered HTTP 429 (slow down) and asked to retry after 3600s, longer than the 30s a notification waits; gave up. This does not change the outcome of the run.',
    );
    expect(retryAfterMs('x', 0)).toBeUndefined();
  });

  test('the total budget bounds retries', async () => {
    const cfg = await config('  slack: true\n');
    slack.script({ status: 502 }, { status: 502 }, { status: 502 });
    const { clock, opts } = options({ attempts: 10, totalMs: 2_000 });
    const report = await sendNotifications(cfg, EVENT, opts);
    expect(clock.sleeps).toEqual([750]);
    expect(report.warnings[0]).toMatch(/answered HTTP 502; no time left to retry; gave up/);
  });

  test('a receiver that never answers: the request times out once, not retried, and is a warning', async () => {
    const cfg = await config('  slack: true\n  teams: true\n');
    slack.script('hang');
    const { clock, opts } = options();
    const sending = sendNotifications(cfg, EVENT, opts);
    await slack.received(1);
    await teams.received(1);
    // Teams answered; only the Slack request is still waiting.
    while (clock.timeouts.length > 1) await new Promise((r) => setImmediate(r));
    expect(clock.timeouts.map((t) => t.ms)).toEqual([10_000]);
    clock.expire();
    const report = await sending;
    expect(report.results.map((r) => r.status)).toEqual(['failed', 'sent']);
    expect(slack.requests).toHaveLength(1);
    expect(report.warnings).toEqual([
      'Notification not sent to notify.slack (Slack): the webhook in SLACK_WEBHOOK_URL did not answer within 10s (not retried: the message may have arrived). This does not change the outcome of the run.',
    ]);
  });

  test('with the real clock a short timeout ends the wait', async () => {
    const cfg = await config('  slack: true\n');
    slack.script('hang');
    const report = await sendNotifications(cfg, EVENT, { env: env(), timeoutMs: 200 });
    expect(report.warnings[0]).toMatch(/did not answer within 0\.2s/);
  });

  test('a huge error body is read only in part and shown as one short line', async () => {
    const cfg = await config('  slack: true\n');
    slack.script({ status: 400, body: `invalid_payload\n::error::x ${'y'.repeat(2_000_000)}` });
    const report = await sendNotifications(cfg, EVENT, options().opts);
    expect(report.warnings[0]).toMatch(
      /answered HTTP 400 \(invalid_payload ::error::x y+\.\.\.\); not retried/,
    );
    expect(report.warnings[0]!.length).toBeLessThan(400);
  });

  test('a 4xx is not retried; missing or bad URLs are warnings that never show the value', async () => {
    const cfg = await config('  slack: true\n  teams: { webhook: MY_TEAMS_HOOK }\n');
    slack.script({ status: 404, body: 'no_service' });
    const { opts } = options({
      env: { SLACK_WEBHOOK_URL: slack.url(SECRET_PATH), MY_TEAMS_HOOK: `http://example.com${SECRET_PATH}` },
    });
    const report = await sendNotifications(cfg, EVENT, opts);
    expect(report.warnings).toEqual([
      'Notification not sent to notify.slack (Slack): the webhook in SLACK_WEBHOOK_URL answered HTTP 404 (no_service); not retried. This does not change the outcome of the run.',
      'Notification not sent to notify.teams (Teams): the value of MY_TEAMS_HOOK is not an https URL (not shown); expected the webhook URL. This does not change the outcome of the run.',
    ]);
    const unset = await sendNotifications(cfg, EVENT, { ...opts, env: {} });
    expect(unset.warnings[1]).toBe(
      'Notification not sent to notify.teams (Teams): MY_TEAMS_HOOK is not set; pass the webhook secret to this step as env MY_TEAMS_HOOK: ${{ secrets.MY_TEAMS_HOOK }}. This does not change the outcome of the run.',
    );
  });

  test('connection failures are warnings, the URL masked wherever it would appear', async () => {
    const cfg = await config('  slack: true\n');
    const dead = await startWebhookReceiver();
    const url = dead.url(SECRET_PATH);
    await dead.stop();
    const report = await sendNotifications(cfg, EVENT, { env: { SLACK_WEBHOOK_URL: url } });
    expect(report.results[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(report.warnings[0]).toMatch(
      /^Notification not sent to notify.slack \(Slack\): the webhook in SLACK_WEBHOOK_URL could not be reached: fetch failed/,
    );
    expect(report.warnings[0]).not.toContain('S3cr3t');
    expect(notifySecrets(cfg, { SLACK_WEBHOOK_URL: url })).toEqual([url, SECRET_PATH]);
    const thrown = redact(
      `TypeError: Failed to parse URL from ${url}`,
      notifySecrets(cfg, { SLACK_WEBHOOK_URL: url }),
    );
    expect(thrown).toBe('TypeError: Failed to parse URL from ***');
  });
});

describe('sns', () => {
  test('an SNS endpoint that never answers ends within the budget, as a warning', async () => {
    const cfg = await config(`  sns: "${topic}"\n`);
    const hanging = await startWebhookReceiver('hang');
    const back = applyEnv({ AWS_ENDPOINT_URL_SNS: hanging.url() });
    try {
      const { clock, opts } = options();
      const sending = sendNotifications(cfg, EVENT, opts);
      await hanging.received(1);
      expect(clock.timeouts.map((t) => t.ms)).toEqual([60_000]);
      clock.expire();
      const report = await sending;
      expect(report.warnings).toEqual([
        `Notification not sent to notify.sns (SNS): publishing to ${topic} did not finish within 60s. This does not change the outcome of the run.`,
      ]);
      expect(hanging.requests[0]!.body).toContain('Action=Publish');
    } finally {
      back();
      await hanging.stop();
    }
  });

  test('5xx and throttling are retried by the SNS adapter on the same clock, then it publishes', async () => {
    const cfg = await config(`  sns: "${topic}"\n`);
    aws.sns.fail('Publish', '5xx', 1);
    aws.sns.fail('Publish', 'throttling', 1);
    const { clock, opts } = options();
    const report = await sendNotifications(cfg, { ...EVENT, kind: 'promoted' }, opts);
    expect(report.results[0]).toMatchObject({ status: 'sent', attempts: 3 });
    expect(clock.sleeps).toHaveLength(2);
    expect(aws.sns.published.map((m) => m.subject)).toEqual([
      '[sd-actions] blue 1.6.1 promoted to production',
    ]);
  });

  test('a topic that does not exist, or a failing service, is a warning', async () => {
    const cfg = await config('  sns: arn:aws:sns:us-east-1:123456789012:missing\n');
    const { opts } = options();
    const report = await sendNotifications(cfg, EVENT, opts);
    expect(report.warnings).toEqual([
      'Notification not sent to notify.sns (SNS): SNS Publish to "arn:aws:sns:us-east-1:123456789012:missing": the topic does not exist in this account and region; check notify.sns.topicArn. This does not change the outcome of the run.',
    ]);
    const always = await config(`  sns: "${topic}"\n`);
    aws.sns.fail('Publish', '5xx', 10);
    const failed = await sendNotifications(always, EVENT, options().opts);
    expect(failed.results[0]).toMatchObject({ status: 'failed', attempts: 3 });
    expect(failed.warnings[0]).toMatch(/SNS Publish to .* failed after 3 attempts/);
  });
});
