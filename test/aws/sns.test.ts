/**
 * The SNS publisher with the real @aws-sdk/client-sns against the loopback fake speaking the
 * query protocol (form-encoded requests, XML answers), reached through AWS_ENDPOINT_URL_SNS:
 * subjects fitted to SNS's rules, the fake refusing what AWS refuses, errors and retries.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { AwsError, SnsPublisher, snsSubject } from '@sd-actions/aws';
import { applyEnv, startAwsFakes, type AwsFakes } from '@sd-actions/testkit';

let aws: AwsFakes;
let restore: () => void;
let topic: string;
const sleeps: number[] = [];
const retry = { sleep: async (ms: number) => void sleeps.push(ms), random: () => 0.5 };
const sns = () => new SnsPublisher({ retry });

beforeAll(async () => {
  aws = await startAwsFakes();
  restore = applyEnv(aws.env());
  topic = aws.sns.createTopic('releases');
});
afterAll(async () => {
  restore();
  await aws.stop();
});
beforeEach(() => {
  sleeps.length = 0;
  aws.sns.reset();
  aws.sns.published.length = 0;
});

describe('publish', () => {
  test('publishes subject and message; the request is the query protocol, signed for sns', async () => {
    const message = 'blue 1.6.1 → production\n<digest> & "quotes"';
    const out = await sns().publish(topic, 'blue 1.6.1 promoted to production', message);
    expect(aws.sns.published).toEqual([
      { topicArn: topic, subject: 'blue 1.6.1 promoted to production', message, messageId: out.messageId },
    ]);
    const call = aws.sns.callsOf('Publish')[0]!;
    expect(call.body).toEqual({
      TopicArn: topic,
      Subject: 'blue 1.6.1 promoted to production',
      Message: message,
    });
    expect(call.signed).toBe(true);
    expect(call.credential?.service).toBe('sns');
  });

  test('a long or multi-line subject is fitted under 100 characters; the fake enforces the limit like AWS', async () => {
    const long = `rolled back ${'blue-service-with-a-long-name '.repeat(5)}\nfrom 1.7.0 to 1.6.1`;
    await sns().publish(topic, long, 'm');
    const subject = aws.sns.published[0]!.subject!;
    expect([...subject].length).toBeLessThan(100);
    expect(subject).not.toMatch(/\n/);
    expect(subject.endsWith('...')).toBe(true);
    expect(snsSubject('  \t- ok')).toBe('- ok');
    expect(snsSubject('x'.repeat(99))).toHaveLength(99);
    expect(snsSubject('x'.repeat(100))).toHaveLength(99);
    // The raw SDK shows what AWS would answer for a subject of 100 characters.
    const { SNSClient, PublishCommand } = await import('@aws-sdk/client-sns');
    const raw = await new SNSClient({ maxAttempts: 1 })
      .send(new PublishCommand({ TopicArn: topic, Subject: 'x'.repeat(100), Message: 'm' }))
      .catch((e: unknown) => e as Error);
    expect(raw).toMatchObject({ name: 'InvalidParameterException', message: 'Invalid parameter: Subject' });
  });

  test('bad topic ARN and empty message refused before any call', async () => {
    await expect(sns().publish('releases', 's', 'm')).rejects.toThrow(
      /sns topicArn: "releases" is not an SNS topic ARN; expected arn:aws:sns:/,
    );
    await expect(sns().publish(topic, 's', '  ')).rejects.toThrow(/SNS message for ".*releases" is empty/);
    await expect(sns().publish(topic, 's', 'x'.repeat(262145))).rejects.toThrow(
      /262145 bytes; SNS takes at most 262144/,
    );
    expect(aws.sns.calls).toHaveLength(0);
  });

  test('a topic that does not exist is named', async () => {
    const err = (await sns()
      .publish('arn:aws:sns:us-east-1:123456789012:nope', 's', 'm')
      .catch((e: unknown) => e)) as AwsError;
    expect(err).toBeInstanceOf(AwsError);
    expect(err.awsName).toBe('NotFoundException');
    expect(err.message).toMatch(
      /SNS Publish to "arn:aws:sns:us-east-1:123456789012:nope": the topic does not exist/,
    );
  });

  test('throttling (429) and 5xx are retried, then it publishes once', async () => {
    aws.sns.fail('Publish', 'throttling', 1);
    aws.sns.fail('Publish', '5xx', 1);
    await sns().publish(topic, 's', 'm');
    expect(aws.sns.published).toHaveLength(1);
    expect(sleeps).toHaveLength(2);
    expect(aws.sns.callsOf('Publish').map((c) => c.status)).toEqual([429, 503, 200]);
  });

  test('authorization errors are not retried and say what permission is missing', async () => {
    aws.sns.fail('Publish', 'AuthorizationError', 1, {
      status: 403,
      message: 'User is not authorized to perform: SNS:Publish',
    });
    const err = (await sns()
      .publish(topic, 's', 'm')
      .catch((e: unknown) => e)) as AwsError;
    expect(err.awsName).toBe('AuthorizationErrorException');
    expect(err.message).toMatch(/the role needs sns:Publish/);
    expect(sleeps).toEqual([]);
  });
});
