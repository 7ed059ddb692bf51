/**
 * The adapters load each AWS SDK client on first use only (checked in a fresh Node process, whose
 * module cache shows what was loaded), and the fakes hold clients to the wire protocol: an
 * unsigned request, a wrong content type or target is refused as AWS would refuse it.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startAwsFakes, type AwsFakes } from '@sd-actions/testkit';

let aws: AwsFakes;
beforeAll(async () => {
  aws = await startAwsFakes();
});
afterAll(async () => {
  await aws.stop();
});

const SCRIPT = `
import { createRequire } from 'node:module';
const req = createRequire(process.cwd() + '/package.json');
const loaded = () =>
  [...new Set(Object.keys(req.cache).map((k) => /@aws-sdk[\\\\/](client-[a-z]+)[\\\\/]/.exec(k)?.[1]).filter(Boolean))].sort();
const aws = await import('@sd-actions/aws');
const steps = { imported: loaded() };
const cp = new aws.CodePipeline();
const cw = new aws.CloudWatchAlarms();
const sns = new aws.SnsPublisher();
steps.constructed = loaded();
steps.flags = [cp.sdkLoaded, cw.sdkLoaded, sns.sdkLoaded];
await cw.readAlarms([]);
steps.noAlarmsAsked = loaded();
steps.missing = (await cw.readAlarms(['blue-5xx'])).missing;
steps.afterCloudWatch = loaded();
steps.execution = (await cp.findExecution('blue-prod', 'abc')) ?? null;
steps.afterCodePipeline = loaded();
steps.message = (await sns.publish(process.env.TOPIC, 'subject', 'message')).messageId ? 'sent' : 'none';
steps.afterSns = loaded();
console.log(JSON.stringify(steps));
`;

describe('lazy loading', () => {
  test('no SDK client is loaded until an adapter makes its first call', async () => {
    aws.codepipeline.addPipeline('blue-prod', [{ name: 'Deploy', actions: ['Deploy'] }]);
    const topic = aws.sns.createTopic('releases');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--no-warnings', '--import', 'tsx', '--input-type=module', '-e', SCRIPT],
      { cwd: process.cwd(), env: { ...process.env, ...aws.env(), TOPIC: topic, NODE_OPTIONS: '' } },
    );
    const steps = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(steps).toEqual({
      imported: [],
      constructed: [],
      flags: [false, false, false],
      noAlarmsAsked: [],
      missing: ['blue-5xx'],
      afterCloudWatch: ['client-cloudwatch'],
      execution: null,
      afterCodePipeline: ['client-cloudwatch', 'client-codepipeline'],
      message: 'sent',
      afterSns: ['client-cloudwatch', 'client-codepipeline', 'client-sns'],
    });
  });
});

describe('the fakes hold clients to the protocol', () => {
  test('an unsigned request is refused with MissingAuthenticationToken', async () => {
    const res = await fetch(aws.codepipeline.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'CodePipeline_20150709.GetPipelineState',
      },
      body: JSON.stringify({ name: 'blue-prod' }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ __type: 'MissingAuthenticationToken' });
    expect(aws.codepipeline.calls.at(-1)).toMatchObject({
      operation: 'GetPipelineState',
      signed: false,
      status: 403,
    });
  });

  test('the wrong JSON version or target is refused; SNS answers XML errors', async () => {
    const cw = await fetch(aws.cloudwatch.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'GraniteServiceVersion20100801.DescribeAlarms',
      },
      body: '{}',
    });
    expect(cw.status).toBe(400);
    expect(cw.headers.get('x-amzn-query-error')).toBe('UnknownOperationException;Sender');
    const sns = await fetch(aws.sns.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=Publish&Version=2010-03-31&TopicArn=x&Message=m',
    });
    expect(sns.status).toBe(403);
    expect(await sns.text()).toMatch(
      /^<ErrorResponse xmlns="http:\/\/sns.amazonaws.com\/doc\/2010-03-31\/"><Error><Type>Sender<\/Type><Code>MissingAuthenticationToken<\/Code>/,
    );
  });

  test('awsTestEnv points each client at its fake, with dummy credentials and no outside config', () => {
    const env = aws.env();
    expect(env).toMatchObject({
      AWS_ENDPOINT_URL_CODEPIPELINE: aws.codepipeline.endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH: aws.cloudwatch.endpoint,
      AWS_ENDPOINT_URL_SNS: aws.sns.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    // Dummy credentials the fakes accept, never real ones from the machine running the tests.
    expect(env).toMatchObject({
      AWS_ACCESS_KEY_ID: 'AKIDFAKEEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'fake-secret-access-key',
    });
  });
});
