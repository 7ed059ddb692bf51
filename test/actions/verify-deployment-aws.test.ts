/**
 * verify-deployment with CloudWatch alarms and a CodePipeline execution, run from its committed
 * bundle against the wire-level AWS fakes (the real SDK clients inside the bundle reach them
 * through AWS_ENDPOINT_URL_*), a real bare origin for the ledger: critical, warning, missing and
 * INSUFFICIENT_DATA alarms, composite alarms, an API that keeps failing, and every pipeline
 * execution status, matched by the environment commit that put the version in place.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { parseVerificationMessage, promotionMessage, rollbackMessage } from '@sd-actions/core';
import {
  checkoutClone,
  commit,
  git,
  originAndClone,
  removeDir,
  runAction,
  startAwsFakes,
  tempDir,
  type ActionRun,
  type AwsFakes,
} from '@sd-actions/testkit';

const BRANCH = 'gitops/production-releases';
const DIGEST = `sha256:${'5'.repeat(64)}`;
let root: string;
let origin: string;
let workspace: string;
let work: string;
let aws: AwsFakes;
/** The environment commits that put 1.6.0 and 1.6.1 in place (the pipeline's source revisions). */
const placed: Record<string, string> = {};

// The production environment names its pipeline the DESIGN.md way: directly under the environment.
const CONFIG = `registry: { type: oci, url: registry.example:5000/acme }
services:
  blue: { path: projects/blue }
environments:
  staging: { branch: gitops/staging-releases }
  production:
    from: staging
    branch: ${BRANCH}
    verify: { interval: 100ms, count: 3, rolloutTimeout: 1s }
    codepipeline: { pipeline: '{service}-prod', stage: Deploy }
`;

const MANIFEST = (version: string) => `environment: production
services:
  blue:
    version: ${version}
    image: registry.example:5000/acme/blue
    digest: ${DIGEST}
`;

function verify(inputs: Record<string, string> = {}, env: Record<string, string> = {}): Promise<ActionRun> {
  return runAction('verify-deployment', {
    workspace,
    inputs: { service: 'blue', environment: 'production', ...inputs },
    env: { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', ...aws.env(), ...env },
  });
}

const tip = () => git(origin, 'rev-parse', BRANCH);
const errorsOf = (run: ActionRun) => run.annotations.filter((a) => a.level === 'error').map((a) => a.message);
const alarmChecks = (alarms: string, extra = '') => `count: 2\n${extra}alarms: ${alarms}\n`;

beforeAll(async () => {
  aws = await startAwsFakes();
  root = tempDir('verify-aws-');
  ({ origin, work } = originAndClone(root));
  commit(work, 'initial', { '.github/sd-actions.yml': CONFIG, 'projects/blue/app.js': '1' });
  git(work, 'push', '-q', 'origin', 'main');
  git(work, 'checkout', '-q', '--orphan', BRANCH);
  git(work, 'rm', '-rq', '--cached', '.');
  for (const [version, previousVersion] of [
    ['1.6.0', undefined],
    ['1.6.1', '1.6.0'],
  ] as const) {
    placed[version] = commit(
      work,
      promotionMessage({
        service: 'blue',
        environment: 'production',
        version,
        previousVersion,
        digest: DIGEST,
        fromEnvironment: 'staging',
      }),
      { 'release-manifests/production.yaml': MANIFEST(version) },
    );
  }
  // Another commit after the promotion: the placing commit is found in the ledger, not the tip.
  commit(work, 'docs: a note', { 'NOTES.md': 'x' });
  git(work, 'push', '-q', 'origin', BRANCH);
  workspace = checkoutClone(origin, join(root, 'checkout'), { depth: 1 });
});

afterAll(async () => {
  await aws.stop();
  removeDir(root);
});

beforeEach(() => {
  aws.cloudwatch.reset();
  aws.cloudwatch.alarms.clear();
  aws.codepipeline.reset();
  aws.codepipeline.pipelines.clear();
  aws.codepipeline.addPipeline('blue-prod', [
    { name: 'Source', actions: [{ name: 'Source', category: 'Source' }] },
    { name: 'Deploy', actions: [{ name: 'Deploy', category: 'Deploy' }] },
    { name: 'Test', actions: [{ name: 'Smoke', category: 'Test' }] },
  ]);
});

describe('verify-deployment: CloudWatch alarms', () => {
  test('every alarm OK (metric and composite): healthy, one DescribeAlarms per measurement, SDK signed', async () => {
    aws.cloudwatch.setAlarm('blue-5xx', 'OK');
    aws.cloudwatch.setAlarm('blue-health', 'OK', { type: 'CompositeAlarm' });
    aws.cloudwatch.setAlarm('blue-cpu', 'OK');
    const run = await verify({
      checks: alarmChecks('{ critical: [blue-5xx, blue-health], warning: [blue-cpu] }'),
      record: 'false',
    });
    if (run.code !== 0) throw new Error(`${run.stdout}\n${run.stderr}`);
    expect(run.outputs).toMatchObject({ result: 'healthy', healthy: 'true', commit: '' });
    // Three names fit one request, but the fake answers pages of two: every page is read.
    const calls = aws.cloudwatch.callsOf('DescribeAlarms');
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls.every((c) => c.signed && c.credential?.region === 'us-east-1')).toBe(true);
    expect(calls[0]!.body).toMatchObject({
      AlarmNames: ['blue-5xx', 'blue-health', 'blue-cpu'],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    });
    const report = JSON.parse(run.outputs.report!);
    expect(report.checks[0].measurements.map((m: { kind: string }) => m.kind)).toEqual([
      'success',
      'success',
    ]);
  });

  test('a critical alarm in ALARM: unhealthy at the first measurement, recorded', async () => {
    aws.cloudwatch.setAlarm('blue-5xx', 'ALARM');
    aws.cloudwatch.setAlarm('blue-cpu', 'OK');
    const before = tip();
    const run = await verify({
      checks: `count: 6\nalarms: { critical: ['{service}-5xx'], warning: [blue-cpu] }\n`,
    });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ result: 'unhealthy', healthy: 'false' });
    expect(run.outputs.reason).toBe('alarms blue-5xx, blue-cpu: critical alarm blue-5xx is in ALARM');
    expect(JSON.parse(run.outputs.report!).checks[0].measurements).toHaveLength(1);
    expect(errorsOf(run)).toEqual([`unhealthy: ${run.outputs.reason}`]);
    expect(git(origin, 'rev-parse', `${tip()}^`)).toBe(before);
    expect(parseVerificationMessage(git(origin, 'log', '-1', '--format=%B', BRANCH))).toMatchObject({
      version: '1.6.1',
      verification: 'unhealthy',
    });
  });

  test('a composite critical alarm in ALARM is read and judged like a metric alarm', async () => {
    aws.cloudwatch.setAlarm('blue-health', 'ALARM', { type: 'CompositeAlarm' });
    const run = await verify({ checks: alarmChecks('{ critical: [blue-health] }'), record: 'false' });
    expect(run.code).toBe(1);
    expect(run.outputs.reason).toBe('alarms blue-health: critical alarm blue-health is in ALARM');
  });

  test('a warning alarm in ALARM: inconclusive (exit 1), never unhealthy', async () => {
    aws.cloudwatch.setAlarm('blue-5xx', 'OK');
    aws.cloudwatch.setAlarm('blue-cpu', 'ALARM');
    const run = await verify({
      checks: alarmChecks('{ critical: [blue-5xx], warning: [blue-cpu] }'),
      record: 'false',
    });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ result: 'inconclusive', healthy: 'false' });
    expect(run.outputs.reason).toContain('warning alarm blue-cpu is in ALARM');
    expect(errorsOf(run)).toEqual([`inconclusive: ${run.outputs.reason}`]);
  });

  test('INSUFFICIENT_DATA fails a critical alarm by default, and is ignored with insufficientData: ignore', async () => {
    aws.cloudwatch.setAlarm('blue-5xx', 'INSUFFICIENT_DATA');
    const failing = await verify({ checks: alarmChecks('{ critical: [blue-5xx] }'), record: 'false' });
    expect(failing.code).toBe(1);
    expect(failing.outputs.result).toBe('unhealthy');
    expect(failing.outputs.reason).toContain('critical alarm blue-5xx has INSUFFICIENT_DATA');

    const ignoring = await verify({
      checks: alarmChecks('{ critical: [blue-5xx], insufficientData: ignore }'),
      record: 'false',
    });
    if (ignoring.code !== 0) throw new Error(`${ignoring.stdout}\n${ignoring.stderr}`);
    expect(ignoring.outputs.result).toBe('healthy');
  });

  test('an alarm name CloudWatch does not have: unhealthy (fail closed), naming it', async () => {
    aws.cloudwatch.setAlarm('blue-5xx', 'OK');
    const run = await verify({
      checks: alarmChecks('{ critical: [blue-5xx, blue-latency] }'),
      record: 'false',
    });
    expect(run.code).toBe(1);
    expect(run.outputs.result).toBe('unhealthy');
    expect(run.outputs.reason).toContain('critical alarm blue-latency does not exist');
  });

  test('DescribeAlarms failing beyond the retries: unhealthy (fail closed), naming the error', async () => {
    aws.cloudwatch.setAlarm('blue-5xx', 'OK');
    aws.cloudwatch.fail('DescribeAlarms', '5xx', 4);
    const run = await verify({ checks: alarmChecks('{ critical: [blue-5xx] }'), record: 'false' });
    expect(run.code).toBe(1);
    expect(run.outputs.result).toBe('unhealthy');
    expect(run.outputs.reason).toMatch(
      /could not read the alarms: CloudWatch DescribeAlarms for alarm "blue-5xx" failed after 4 attempts: .*HTTP 503/,
    );
    expect(aws.cloudwatch.callsOf('DescribeAlarms')).toHaveLength(4);
    expect(run.stdout).toMatch(/AWS DescribeAlarms: attempt 1 failed .*; retrying in \d+ ms/);
  });

  test('a transient failure within the retries changes nothing', async () => {
    aws.cloudwatch.setAlarm('blue-5xx', 'OK');
    aws.cloudwatch.fail('DescribeAlarms', 'throttling', 1);
    const run = await verify({ checks: alarmChecks('{ critical: [blue-5xx] }'), record: 'false' });
    if (run.code !== 0) throw new Error(`${run.stdout}\n${run.stderr}`);
    expect(run.outputs.result).toBe('healthy');
  });
});

describe('verify-deployment: CodePipeline', () => {
  const addExecution = (status: Parameters<AwsFakes['codepipeline']['addExecution']>[1]['status']) =>
    aws.codepipeline.addExecution('blue-prod', { status, revision: placed['1.6.1'] });

  test('the configured pipeline (environments.production.codepipeline) Succeeded for the placing commit: healthy, recorded', async () => {
    // A newer execution for another revision does not count.
    const id = addExecution('Succeeded');
    aws.codepipeline.addExecution('blue-prod', { status: 'Failed', revision: 'f'.repeat(40) });
    const before = tip();
    const run = await verify();
    if (run.code !== 0) throw new Error(`${run.stdout}\n${run.stderr}`);
    expect(run.outputs.result).toBe('healthy');
    expect(run.outputs.commit).toBe(tip());
    expect(git(origin, 'rev-parse', `${tip()}^`)).toBe(before);
    expect(parseVerificationMessage(git(origin, 'log', '-1', '--format=%B', BRANCH))).toMatchObject({
      version: '1.6.1',
      verification: 'healthy',
    });
    expect(run.outputs.reason).toContain('codepipeline blue-prod');
    const report = JSON.parse(run.outputs.report!);
    expect(report.checks[0].reason).toBe(`execution ${id} for ${placed['1.6.1']!.slice(0, 12)} Succeeded`);
    expect(aws.codepipeline.callsOf('ListPipelineExecutions')[0]!.body).toMatchObject({
      pipelineName: 'blue-prod',
    });
    // No alarms configured: CloudWatch is never called.
    expect(aws.cloudwatch.calls).toHaveLength(0);
  });

  test('still InProgress but Succeeded in the configured stage (Deploy): healthy', async () => {
    aws.codepipeline.addExecution('blue-prod', {
      status: 'InProgress',
      revision: placed['1.6.1'],
      stages: { Source: 'Succeeded', Deploy: 'Succeeded', Test: 'InProgress' },
    });
    const run = await verify({ record: 'false' });
    if (run.code !== 0) throw new Error(`${run.stdout}\n${run.stderr}`);
    expect(run.outputs.result).toBe('healthy');
  });

  test.each([
    ['Failed', 'unhealthy'],
    ['Stopped', 'unhealthy'],
    ['Cancelled', 'unhealthy'],
    ['Superseded', 'inconclusive'],
  ] as const)('an execution that ended %s: %s', async (status, result) => {
    const id = addExecution(status);
    const run = await verify({ checks: 'codepipeline: { pipeline: blue-prod }\n', record: 'false' });
    expect(run.code).toBe(1);
    expect(run.outputs.result).toBe(result);
    expect(run.outputs.reason).toBe(
      `codepipeline blue-prod: execution ${id} for ${placed['1.6.1']!.slice(0, 12)} ${status}`,
    );
  });

  test('an older version is matched by the commit that put it in place', async () => {
    aws.codepipeline.addExecution('blue-prod', { status: 'Succeeded', revision: placed['1.6.0'] });
    addExecution('Failed');
    const run = await verify({
      version: '1.6.0',
      checks: 'codepipeline: { pipeline: blue-prod }\n',
      record: 'false',
    });
    if (run.code !== 0) throw new Error(`${run.stdout}\n${run.stderr}`);
    expect(run.outputs.result).toBe('healthy');
  });

  test('no execution for the commit within the rolloutTimeout: unhealthy', async () => {
    aws.codepipeline.addExecution('blue-prod', { status: 'Succeeded', revision: placed['1.6.0'] });
    const run = await verify({
      checks: 'rolloutTimeout: 300ms\ncodepipeline: { pipeline: blue-prod }\n',
      record: 'false',
    });
    expect(run.code).toBe(1);
    expect(run.outputs.result).toBe('unhealthy');
    expect(run.outputs.reason).toBe(
      `codepipeline blue-prod: no execution of blue-prod for ${placed['1.6.1']!.slice(0, 12)} within 300ms`,
    );
  });

  test('a manifest edited by hand (no ledger trailers): the manifest history names the commit', async () => {
    // Earlier tests recorded verdicts on the branch: start from its tip.
    git(work, 'fetch', '-q', 'origin', BRANCH);
    git(work, 'reset', '-q', '--hard', 'FETCH_HEAD');
    const edited = commit(work, 'hand edit: blue 1.7.0', {
      'release-manifests/production.yaml': MANIFEST('1.7.0'),
    });
    commit(work, 'docs: another note', { 'NOTES.md': 'y' });
    git(work, 'push', '-q', 'origin', BRANCH);
    aws.codepipeline.addExecution('blue-prod', { status: 'Failed', revision: placed['1.6.1'] });
    const id = aws.codepipeline.addExecution('blue-prod', { status: 'Succeeded', revision: edited });
    const run = await verify({ checks: 'codepipeline: { pipeline: blue-prod }\n', record: 'false' });
    if (run.code !== 0) throw new Error(`${run.stdout}\n${run.stderr}`);
    expect(run.outputs).toMatchObject({ result: 'healthy', version: '1.7.0' });
    expect(JSON.parse(run.outputs.report!).checks[0].reason).toBe(
      `execution ${id} for ${edited.slice(0, 12)} Succeeded`,
    );
  });

  test('a version put back by a rollback is matched by the rollback commit, not its old promotion', async () => {
    git(work, 'fetch', '-q', 'origin', BRANCH);
    git(work, 'reset', '-q', '--hard', 'FETCH_HEAD');
    const rollback = commit(
      work,
      rollbackMessage({
        service: 'blue',
        environment: 'production',
        version: '1.6.1',
        previousVersion: '1.7.0',
        digest: DIGEST,
        reason: 'verify-deployment: unhealthy',
      }),
      { 'release-manifests/production.yaml': MANIFEST('1.6.1') },
    );
    git(work, 'push', '-q', 'origin', BRANCH);
    aws.codepipeline.addExecution('blue-prod', { status: 'Failed', revision: placed['1.6.1'] });
    const id = aws.codepipeline.addExecution('blue-prod', {
      status: 'Succeeded',
      revision: rollback,
      at: new Date(0),
    });
    const run = await verify({ checks: 'codepipeline: { pipeline: blue-prod }\n', record: 'false' });
    if (run.code !== 0) throw new Error(`${run.stdout}\n${run.stderr}`);
    expect(run.outputs).toMatchObject({ result: 'healthy', version: '1.6.1' });
    expect(JSON.parse(run.outputs.report!).checks[0].reason).toBe(
      `execution ${id} for ${rollback.slice(0, 12)} Succeeded`,
    );
  });

  test('ListPipelineExecutions failing beyond the retries: unhealthy (fail closed), naming the error', async () => {
    addExecution('Succeeded');
    aws.codepipeline.fail('ListPipelineExecutions', 'throttling', 4);
    const run = await verify({ checks: 'codepipeline: { pipeline: blue-prod }\n', record: 'false' });
    expect(run.code).toBe(1);
    expect(run.outputs.result).toBe('unhealthy');
    expect(run.outputs.reason).toMatch(
      /^codepipeline blue-prod: could not read pipeline blue-prod: CodePipeline ListPipelineExecutions for pipeline "blue-prod" failed after 4 attempts: ThrottlingException/,
    );
    expect(aws.codepipeline.callsOf('ListPipelineExecutions')).toHaveLength(4);
  });

  test('a pipeline that does not exist: unhealthy, naming it', async () => {
    const run = await verify({ checks: 'codepipeline: { pipeline: green-prod }\n', record: 'false' });
    expect(run.code).toBe(1);
    expect(run.outputs.result).toBe('unhealthy');
    expect(run.outputs.reason).toContain('there is no pipeline "green-prod"');
  });
});

describe('verify-deployment: AWS settings are checked before anything runs', () => {
  test.each([
    [
      'no region anywhere',
      {},
      { AWS_REGION: '', AWS_DEFAULT_REGION: '' },
      /alarms checks need an AWS region: set the aws-region input, or AWS_REGION/,
    ],
    [
      'an aws-region that is not one',
      { 'aws-region': 'us east' },
      {},
      /^Input "aws-region": "us east" is not an AWS region/,
    ],
  ])('%s → a clear error, no AWS call, nothing recorded', async (_name, inputs, env, error) => {
    const before = tip();
    const run = await verify({ checks: alarmChecks('{ critical: [blue-5xx] }'), ...inputs }, env);
    expect(run.code).toBe(1);
    expect(errorsOf(run)).toHaveLength(1);
    expect(errorsOf(run)[0]).toMatch(error);
    expect(run.outputs.result).toBeUndefined();
    expect(aws.cloudwatch.calls).toHaveLength(0);
    expect(tip()).toBe(before);
  });

  test('the aws-region input wins over AWS_REGION', async () => {
    aws.cloudwatch.setAlarm('blue-5xx', 'OK');
    const run = await verify(
      { checks: alarmChecks('{ critical: [blue-5xx] }'), 'aws-region': 'eu-west-1', record: 'false' },
      { AWS_REGION: 'us-east-1' },
    );
    if (run.code !== 0) throw new Error(`${run.stdout}\n${run.stderr}`);
    expect(aws.cloudwatch.calls[0]!.credential?.region).toBe('eu-west-1');
  });
});
