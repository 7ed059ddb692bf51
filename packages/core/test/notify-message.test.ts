import { describe, expect, test } from '@jest/globals';
import {
  NOTIFY_EVENTS,
  notifySubject,
  notifySummary,
  notifyText,
  notifyTitle,
  rolledBackEvent,
  slackEscape,
  slackEscapeWithin,
  slackPayload,
  teamsPayload,
  verificationFailedEvent,
  type NotifyEvent,
} from '../src/index.js';

const DIGEST = `sha256:${'4f1c'.repeat(16)}`;
const COMMIT = '3b9d0c2a'.repeat(5);
const ROLLBACK: NotifyEvent = {
  kind: 'rolled-back',
  service: 'blue',
  environment: 'production',
  fromVersion: '1.7.0',
  toVersion: '1.6.1',
  digest: DIGEST,
  commit: COMMIT,
  who: 'github-actions[bot]',
  why: 'alarm blue-5xx is ALARM (Threshold Crossed: 1 datapoint [12.0] > 5.0)',
  runUrl: 'https://github.com/acme/shop/actions/runs/42',
};

describe('titles', () => {
  test.each([
    ['promoted', 'blue 1.6.1 promoted to production'],
    ['approval-requested', 'Approval requested: blue 1.6.1 to production'],
    ['approved', 'blue 1.6.1 approved for production'],
    ['denied', 'blue 1.6.1 denied for production'],
    ['verification-failed', 'Verification failed: blue 1.6.1 in production'],
    ['rolled-back', 'blue rolled back in production from 1.7.0 to 1.6.1'],
    ['rollback-failed', 'Rollback failed: blue in production (1.7.0)'],
  ] as const)('%s', (kind, title) => {
    expect(notifyTitle({ ...ROLLBACK, kind })).toBe(title);
  });
});

describe('slack', () => {
  test('blocks: a header, the facts, why, and the run link', () => {
    const p = slackPayload(ROLLBACK);
    expect(p.text).toBe(':leftwards_arrow_with_hook: blue rolled back in production from 1.7.0 to 1.6.1');
    expect(p.blocks).toEqual([
      {
        type: 'header',
        text: { type: 'plain_text', text: 'blue rolled back in production from 1.7.0 to 1.6.1', emoji: true },
      },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Service*\nblue' },
          { type: 'mrkdwn', text: '*Environment*\nproduction' },
          { type: 'mrkdwn', text: '*Version*\n`1.7.0 → 1.6.1`' },
          { type: 'mrkdwn', text: '*Digest*\n`sha256:4f1c4f1c4f1c`' },
          { type: 'mrkdwn', text: '*Commit*\n`3b9d0c2`' },
          { type: 'mrkdwn', text: '*By*\ngithub-actions[bot]' },
        ],
      },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: '*Why*\nalarm blue-5xx is ALARM (Threshold Crossed: 1 datapoint [12.0] &gt; 5.0)',
        },
      },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: '<https://github.com/acme/shop/actions/runs/42|Workflow run>' }],
      },
    ]);
  });

  test('values cannot mention a channel, form a link or close a code span', () => {
    const p = slackPayload({
      ...ROLLBACK,
      kind: 'verification-failed',
      toVersion: '1.7.0`<!here>',
      who: '<@U123> & @channel',
      why: 'check <!channel> failed: see <https://evil.example|the fix> @here',
      runUrl: 'javascript:alert(1)',
    });
    // The header is plain_text, which Slack never parses for mentions or links; the rest is mrkdwn.
    expect(p.blocks[0]).toMatchObject({ text: { type: 'plain_text' } });
    const text = JSON.stringify([p.text, ...p.blocks.slice(1)]);
    expect(text).not.toMatch(/<!|<@|<https:\/\/evil|@channel|@here|javascript:/);
    expect(slackEscape('a & <b> @Channel')).toBe('a &amp; &lt;b&gt; @\u200bChannel');
    const fields = (p.blocks[1] as { fields: { text: string }[] }).fields;
    expect(fields[2]!.text).toBe("*Version*\n`1.7.0 → 1.7.0'&lt;!here&gt;`");
    expect(p.blocks).toHaveLength(3); // no context block: the run link was not http(s)
  });
  test('a why made of characters that grow when escaped still fits a section (3000)', () => {
    const p = slackPayload({ ...ROLLBACK, why: '<&>'.repeat(2000) });
    const section = p.blocks[2] as { text: { text: string } };
    expect(section.text.text.length).toBeLessThanOrEqual(3000);
    expect(section.text.text).toMatch(/^\*Why\*\n(&lt;&amp;&gt;)+(&lt;|&amp;)?…$/);
    expect(slackEscapeWithin('a<b', 5)).toBe('a…');
    expect(slackEscapeWithin('a<bc', 6)).toBe('a&lt;…');
  });
});

describe('teams', () => {
  test('a workflow-webhook message with an Adaptive Card; values only in TextRuns', () => {
    const p = teamsPayload({
      ...ROLLBACK,
      why: '[click](https://evil.example) **now** {{DATE(2026-01-01T00:00:00Z)}}',
    });
    expect(p.type).toBe('message');
    const [attachment] = p.attachments as { contentType: string; content: Record<string, unknown> }[];
    expect(attachment!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = attachment!.content;
    expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    const body = card.body as { type: string; inlines: { type: string; text: string }[] }[];
    expect(
      body.every((b) => b.type === 'RichTextBlock' && b.inlines.every((i) => i.type === 'TextRun')),
    ).toBe(true);
    const lines = body.map((b) => b.inlines.map((i) => i.text).join(''));
    expect(lines).toEqual([
      'blue rolled back in production from 1.7.0 to 1.6.1',
      'Service: blue',
      'Environment: production',
      'Version: 1.7.0 → 1.6.1',
      'Digest: sha256:4f1c4f1c4f1c',
      'Commit: 3b9d0c2',
      'By: github-actions[bot]',
      'Why: [click](https://evil.example) **now** {\u200b{DATE(2026-01-01T00:00:00Z)}}',
    ]);
    expect(body[0]!.inlines[0]).toMatchObject({ weight: 'Bolder', color: 'Warning' });
    expect(card.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Workflow run', url: 'https://github.com/acme/shop/actions/runs/42' },
    ]);
  });
});

describe('sns', () => {
  test('subject: one line under 100 characters for every event, however long the values', () => {
    for (const kind of NOTIFY_EVENTS) {
      const subject = notifySubject({
        ...ROLLBACK,
        kind,
        service: `svc-${'x'.repeat(60)}`,
        environment: 'production\nInjected: header',
        toVersion: `1.2.3-${'rc.'.repeat(30)}1`,
      });
      expect([...subject].length).toBeLessThan(100);
      expect(subject).not.toMatch(/[\n\r]/);
      expect(subject.startsWith('[sd-actions] ')).toBe(true);
    }
    expect(notifySubject(ROLLBACK)).toBe('[sd-actions] blue rolled back in production from 1.7.0 to 1.6.1');
  });

  test('text body: the title and one fact a line', () => {
    expect(notifyText({ ...ROLLBACK, why: 'alarm blue-5xx\nand blue-latency' })).toBe(
      [
        'blue rolled back in production from 1.7.0 to 1.6.1',
        '',
        'Service:     blue',
        'Environment: production',
        'Version:     1.7.0 → 1.6.1',
        'Digest:      sha256:4f1c4f1c4f1c',
        'Commit:      3b9d0c2',
        'By:          github-actions[bot]',
        'Why:         alarm blue-5xx',
        '             and blue-latency',
        'Run:         https://github.com/acme/shop/actions/runs/42',
        '',
      ].join('\n'),
    );
    expect(
      notifySummary({ kind: 'promoted', service: 'red', environment: 'dev', toVersion: 'sha-abc1234' }),
    ).toBe('red sha-abc1234 promoted to dev');
  });
});

describe('events from records', () => {
  test('a verification report names every check that was not healthy, the unhealthy first', () => {
    const check = (name: string, outcome: 'healthy' | 'unhealthy' | 'inconclusive', reason: string) => ({
      kind: 'http' as const,
      name,
      target: name,
      limits: '',
      measurements: [],
      outcome,
      reason,
    });
    const event = verificationFailedEvent(
      {
        service: 'blue',
        environment: 'staging',
        version: '1.7.0',
        digest: DIGEST,
        result: 'unhealthy',
        healthy: false,
        reason: 'alarms blue-5xx: in ALARM',
        startedAt: '',
        finishedAt: '',
        checks: [
          check('http blue/health', 'inconclusive', 'no answer 4 times in a row'),
          check('command ./smoke.sh', 'healthy', 'exit 0'),
          check('alarms blue-5xx', 'unhealthy', 'in ALARM'),
        ],
      },
      { runUrl: ROLLBACK.runUrl },
    );
    expect(event).toEqual({
      kind: 'verification-failed',
      service: 'blue',
      environment: 'staging',
      toVersion: '1.7.0',
      digest: DIGEST,
      why: 'alarms blue-5xx: in ALARM\nhttp blue/health: no answer 4 times in a row',
      runUrl: ROLLBACK.runUrl,
    });
  });

  test('a rollback record', () => {
    expect(
      rolledBackEvent({
        service: 'blue',
        environment: 'production',
        version: '1.6.1',
        previousVersion: '1.7.0',
        digest: DIGEST,
        sourceCommit: COMMIT,
        reason: 'verification unhealthy: alarms blue-5xx',
        actor: 'github-actions[bot]',
      }),
    ).toEqual({
      kind: 'rolled-back',
      service: 'blue',
      environment: 'production',
      fromVersion: '1.7.0',
      toVersion: '1.6.1',
      digest: DIGEST,
      commit: COMMIT,
      who: 'github-actions[bot]',
      why: 'verification unhealthy: alarms blue-5xx',
    });
  });
});
