import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describeDestination, NOTIFY_EVENTS, parseConfig, UserError } from '../src/index.js';

const SERVICES = 'services:\n  blue: { path: projects/blue }\n';

const FULL = `${SERVICES}notify:
  slack:
    webhook: SLACK_RELEASES_URL
    events: [promoted, rolled-back, rollback-failed]
  teams: { webhook: TEAMS_WEBHOOK_URL, events: rolled-back }
  sns:
    - arn:aws:sns:eu-west-1:123456789012:releases
    - { topicArn: "arn:aws:sns:us-east-1:123456789012:pager.fifo", events: [rollback-failed, verification-failed] }
`;

const schema = JSON.parse(
  readFileSync(join(import.meta.dirname, '../schema/sd-actions.schema.json'), 'utf8'),
) as object;
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

async function error(text: string): Promise<UserError> {
  try {
    await parseConfig(text);
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  throw new Error('expected a UserError');
}

describe('notify config', () => {
  test('reads every kind, the short forms and the event filters (in event order)', async () => {
    const config = await parseConfig(FULL);
    expect(config.notify?.destinations).toEqual([
      {
        kind: 'slack',
        name: 'notify.slack',
        webhook: 'SLACK_RELEASES_URL',
        events: ['promoted', 'rolled-back', 'rollback-failed'],
      },
      { kind: 'teams', name: 'notify.teams', webhook: 'TEAMS_WEBHOOK_URL', events: ['rolled-back'] },
      {
        kind: 'sns',
        name: 'notify.sns[0]',
        topicArn: 'arn:aws:sns:eu-west-1:123456789012:releases',
        region: 'eu-west-1',
        events: [...NOTIFY_EVENTS],
      },
      {
        kind: 'sns',
        name: 'notify.sns[1]',
        topicArn: 'arn:aws:sns:us-east-1:123456789012:pager.fifo',
        region: 'us-east-1',
        events: ['verification-failed', 'rollback-failed'],
      },
    ]);
    expect(config.notify!.destinations.map(describeDestination)).toEqual([
      'notify.slack: slack to the URL in $SLACK_RELEASES_URL (promoted, rolled-back, rollback-failed)',
      'notify.teams: teams to the URL in $TEAMS_WEBHOOK_URL (rolled-back)',
      'notify.sns[0]: sns to "arn:aws:sns:eu-west-1:123456789012:releases" (all events)',
      'notify.sns[1]: sns to "arn:aws:sns:us-east-1:123456789012:pager.fifo" (verification-failed, rollback-failed)',
    ]);
    expect(validate(parse(FULL))).toBe(true);
    expect(await parseConfig(FULL, undefined, { fast: false })).toEqual(config);
  });

  test('the form of the design (slack: true) reads SLACK_WEBHOOK_URL; no notify means none', async () => {
    const text = `${SERVICES}notify: { slack: true, sns: { topicArn: "arn:aws:sns:us-east-1:123456789012:r" } }\n`;
    const config = await parseConfig(text);
    expect(
      config.notify?.destinations.map((d) => [d.name, d.kind === 'sns' ? d.topicArn : d.webhook]),
    ).toEqual([
      ['notify.slack', 'SLACK_WEBHOOK_URL'],
      ['notify.sns', 'arn:aws:sns:us-east-1:123456789012:r'],
    ]);
    expect(validate(parse(text))).toBe(true);
    expect((await parseConfig(SERVICES)).notify).toBeUndefined();
    expect('notify' in (await parseConfig(SERVICES))).toBe(false);
    expect(
      (await parseConfig(`${SERVICES}notify: { teams: true, slack: false }\n`)).notify?.destinations,
    ).toEqual([
      { kind: 'teams', name: 'notify.teams', webhook: 'TEAMS_WEBHOOK_URL', events: [...NOTIFY_EVENTS] },
    ]);
  });

  test.each([
    ['notify:\n  email: { to: a@b.c }\n', 'notify.email: unknown key; expected one of slack, teams, sns', 4],
    [
      'notify:\n  slack: { webhook: SLACK_WEBHOOK_URL, events: [promoted, rolledback] }\n',
      'notify.slack.events.1: "rolledback" is not an event (did you mean "rolled-back"?); expected one of promoted, approval-requested, approved, denied, verification-failed, rolled-back, rollback-failed',
      4,
    ],
    [
      'notify:\n  slack:\n    events: []\n',
      'notify.slack.events: [] is empty; expected some of promoted, approval-requested, approved, denied, verification-failed, rolled-back, rollback-failed (or leave it out for all)',
      5,
    ],
    [
      'notify:\n  sns: { topicArn: releases }\n',
      'notify.sns.topicArn: "releases" is not an SNS topic ARN; expected arn:aws:sns:<region>:<account-id>:<topic>',
      4,
    ],
    [
      'notify:\n  sns: true\n',
      'notify.sns: true needs a topic; expected { topicArn: arn:aws:sns:<region>:<account-id>:<topic> }',
      4,
    ],
    [
      'notify:\n  teams: { webhook: "teams url" }\n',
      'notify.teams.webhook: is not an environment variable name (value not shown); expected letters, digits and "_" like TEAMS_WEBHOOK_URL, the variable that holds the URL',
      4,
    ],
    [
      'notify:\n  slack: { url: SLACK }\n',
      'notify.slack.url: unknown key (webhook URLs are secrets: name the variable that holds it in "webhook"); expected one of webhook, events',
      4,
    ],
    [
      'notify:\n  slack: [SLACK_A, { webhook: SLACK_A, events: [denied] }]\n',
      'notify.slack.1: sends to the same webhook as notify.slack[0]; expected each destination once (put all its events in one list)',
      4,
    ],
    ['notify: [slack]\n', 'notify: ["slack"] is not a mapping; expected any of slack, teams, sns', 3],
    [
      'notify: xoxb-secret\n',
      'notify: is a text (not shown); expected a mapping with any of slack, teams, sns',
      3,
    ],
    [
      'notify:\n  teams: { webhook: 42 }\n',
      'notify.teams.webhook: 42 is not an environment variable name; expected letters, digits and "_" like TEAMS_WEBHOOK_URL, the variable that holds the URL',
      4,
    ],
  ])('%j is refused with file, key path and line', async (notify, message, line) => {
    const text = `${SERVICES}${notify}`;
    const err = await error(text);
    expect(err.message).toBe(`.github/sd-actions.yml: ${message}`);
    expect(err.line).toBe(line);
    // A repeated destination is the one rule a JSON schema cannot express.
    if (!message.includes('the same webhook')) expect(validate(parse(text))).toBe(false);
  });

  test('a webhook URL written into the config is refused without printing it', async () => {
    for (const url of [
      'https://hooks.slack.com/services/T000/B000/XXXXSECRET',
      'hooks.slack.com/services/T000/B000/XXXXSECRET',
    ]) {
      const text = `${SERVICES}notify:\n  slack: ${url}\n`;
      const err = await error(text);
      expect(err.message).toMatch(
        /^\.github\/sd-actions\.yml: notify\.slack: is a URL \(not shown\); webhook URLs are secrets: .*SLACK_WEBHOOK_URL: \$\{\{ secrets\.SLACK_WEBHOOK_URL \}\}.*rotate/,
      );
      expect(err.message).not.toMatch(/XXXXSECRET|hooks\.slack/);
      expect(err.line).toBe(4);
      expect(validate(parse(text))).toBe(false);
      const long = await error(`${SERVICES}notify:\n  slack: { webhook: "${url}" }\n`);
      expect(long.message).toMatch(/notify\.slack\.webhook: is a URL \(not shown\)/);
      expect(long.message).not.toMatch(/XXXXSECRET/);
    }
  });
});

test("the README's example parses and passes the schema", async () => {
  const readme = readFileSync(join(import.meta.dirname, '../../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Notifications'));
  const example = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
  const config = await parseConfig(`${SERVICES}${example}`);
  expect(config.notify?.destinations.map((d) => `${d.name} ${d.events.length}`)).toEqual([
    'notify.slack 3',
    'notify.teams 7',
    'notify.sns 1',
  ]);
  expect(validate(parse(`${SERVICES}${example}`))).toBe(true);
});
