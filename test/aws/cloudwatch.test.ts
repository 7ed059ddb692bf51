/**
 * The CloudWatch adapter with the real @aws-sdk/client-cloudwatch against the loopback fake
 * speaking what that client sends (AWS JSON 1.0, query-compatible errors), reached through
 * AWS_ENDPOINT_URL_CLOUDWATCH: metric and composite alarms, pagination, batches of 100 names,
 * missing names reported (fail closed), errors and retries.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { AwsError, CloudWatchAlarms } from '@sd-actions/aws';
import { applyEnv, startAwsFakes, type AwsFakes } from '@sd-actions/testkit';

let aws: AwsFakes;
let restore: () => void;
const sleeps: number[] = [];
const retry = { sleep: async (ms: number) => void sleeps.push(ms), random: () => 0.5 };
const cw = () => new CloudWatchAlarms({ retry });

beforeAll(async () => {
  aws = await startAwsFakes({ pageSize: 2 });
  restore = applyEnv(aws.env());
});
afterAll(async () => {
  restore();
  await aws.stop();
});
beforeEach(() => {
  sleeps.length = 0;
  aws.cloudwatch.reset();
  aws.cloudwatch.alarms.clear();
});

describe('readAlarms', () => {
  test('reads metric and composite alarms in each state, across pages, in the order asked', async () => {
    aws.cloudwatch.setAlarm('blue-5xx', 'ALARM', { reason: 'Threshold Crossed: 3 datapoints' });
    aws.cloudwatch.setAlarm('blue-latency', 'OK');
    aws.cloudwatch.setAlarm('blue-cpu', 'INSUFFICIENT_DATA');
    aws.cloudwatch.setAlarm('blue-health', 'ALARM', { type: 'CompositeAlarm' });
    aws.cloudwatch.setAlarm('green-5xx', 'ALARM');
    const out = await cw().readAlarms(['blue-latency', 'blue-5xx', 'blue-health', 'blue-cpu']);
    expect(out.missing).toEqual([]);
    expect(out.alarms.map((a) => [a.name, a.type, a.state])).toEqual([
      ['blue-latency', 'MetricAlarm', 'OK'],
      ['blue-5xx', 'MetricAlarm', 'ALARM'],
      ['blue-health', 'CompositeAlarm', 'ALARM'],
      ['blue-cpu', 'MetricAlarm', 'INSUFFICIENT_DATA'],
    ]);
    expect(out.alarms[1]).toMatchObject({
      reason: 'Threshold Crossed: 3 datapoints',
      arn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:blue-5xx',
    });
    expect(out.alarms[1]!.updatedAt).toBeInstanceOf(Date);
    const calls = aws.cloudwatch.callsOf('DescribeAlarms');
    expect(calls).toHaveLength(2);
    expect(calls[0]!.body).toMatchObject({ AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] });
    expect(calls[1]!.body.NextToken).toEqual(expect.any(String));
    expect(calls.every((c) => c.signed && c.credential?.service === 'monitoring')).toBe(true);
  });

  test('without AlarmTypes CloudWatch answers metric alarms only, so the adapter always asks for both', async () => {
    aws.cloudwatch.setAlarm('blue-health', 'ALARM', { type: 'CompositeAlarm' });
    const { CloudWatchClient, DescribeAlarmsCommand } = await import('@aws-sdk/client-cloudwatch');
    const raw = await new CloudWatchClient({}).send(
      new DescribeAlarmsCommand({ AlarmNames: ['blue-health'] }),
    );
    expect(raw.CompositeAlarms ?? []).toEqual([]);
    expect((await cw().readAlarms(['blue-health'])).alarms[0]?.state).toBe('ALARM');
  });

  test('names that do not exist are reported missing, never as fine', async () => {
    aws.cloudwatch.setAlarm('blue-5xx', 'OK');
    const out = await cw().readAlarms(['blue-5xx', 'blue-typo', 'blue-5xx']);
    expect(out.alarms.map((a) => a.name)).toEqual(['blue-5xx']);
    expect(out.missing).toEqual(['blue-typo']);
  });

  test('more than 100 names go in batches of 100', async () => {
    const names = Array.from({ length: 150 }, (_, i) => `alarm-${String(i).padStart(3, '0')}`);
    for (const n of names.slice(0, 140)) aws.cloudwatch.setAlarm(n, 'OK');
    const out = await new CloudWatchAlarms({ retry, maxPages: 100 }).readAlarms(names);
    expect(out.alarms).toHaveLength(140);
    expect(out.missing).toEqual(names.slice(140));
    const batches = aws.cloudwatch
      .callsOf('DescribeAlarms')
      .filter((c) => c.body.NextToken === undefined)
      .map((c) => (c.body.AlarmNames as string[]).length);
    expect(batches).toEqual([100, 50]);
  });

  test('no names: no call at all; bad names refused before any call', async () => {
    expect(await cw().readAlarms([])).toEqual({ alarms: [], missing: [] });
    await expect(cw().readAlarms(['ok', 'x'.repeat(256)])).rejects.toThrow(
      /alarm name 2: ".*is not a CloudWatch alarm name/,
    );
    expect(aws.cloudwatch.calls).toHaveLength(0);
  });

  test('throttling and 5xx are retried; past the bound an AwsError names the alarms', async () => {
    aws.cloudwatch.setAlarm('blue-5xx', 'OK');
    aws.cloudwatch.fail('DescribeAlarms', 'throttling', 1);
    aws.cloudwatch.fail('DescribeAlarms', '5xx', 1);
    expect((await cw().readAlarms(['blue-5xx'])).alarms[0]?.state).toBe('OK');
    expect(sleeps).toHaveLength(2);
    aws.cloudwatch.fail('DescribeAlarms', '5xx', 4);
    const err = (await cw()
      .readAlarms(['blue-5xx'])
      .catch((e: unknown) => e)) as AwsError;
    expect(err).toBeInstanceOf(AwsError);
    expect(err).toMatchObject({ awsName: 'ServiceUnavailable', httpStatus: 503, transient: true });
    expect(err.message).toMatch(/CloudWatch DescribeAlarms for alarm "blue-5xx" failed after 4 attempts/);
  });

  test('a query-compatible error keeps its name (InvalidNextToken), and access denied says what to fix', async () => {
    aws.cloudwatch.setAlarm('a', 'OK');
    aws.cloudwatch.fail('DescribeAlarms', 'InvalidNextToken', 1, {
      message: 'The service cannot decode the next token',
    });
    const bad = (await cw()
      .readAlarms(['a'])
      .catch((e: unknown) => e)) as AwsError;
    expect(bad.awsName).toBe('InvalidNextToken');
    aws.cloudwatch.fail('DescribeAlarms', 'AccessDenied', 1, {
      status: 403,
      message: 'not authorized to perform: cloudwatch:DescribeAlarms',
    });
    const denied = (await cw()
      .readAlarms(['a'])
      .catch((e: unknown) => e)) as AwsError;
    expect(denied.awsName).toBe('AccessDenied');
    expect(denied.message).toMatch(
      /not authorized to perform: cloudwatch:DescribeAlarms.*IAM policy allows this call/,
    );
    expect(sleeps).toEqual([]);
  });
});
