/**
 * The CodePipeline adapter with the real @aws-sdk/client-codepipeline against the loopback fake
 * speaking AWS JSON 1.1 (reached through AWS_ENDPOINT_URL_CODEPIPELINE): the approval bridge, the
 * execution searches with pagination, stage rollback, every named exception, retries.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { AwsError, CodePipeline } from '@sd-actions/aws';
import { applyEnv, startAwsFakes, type AwsFakes } from '@sd-actions/testkit';

let aws: AwsFakes;
let restore: () => void;
const sleeps: number[] = [];
const retry = { sleep: async (ms: number) => void sleeps.push(ms), random: () => 0.5 };
const cp = () => new CodePipeline({ retry });

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
  aws.codepipeline.reset();
  aws.codepipeline.addPipeline('blue-prod', [
    { name: 'Source', actions: ['Source'] },
    { name: 'Approve', actions: ['ManualApproval'] },
    { name: 'Deploy', actions: ['Deploy'] },
  ]);
});

async function rejection(p: Promise<unknown>): Promise<AwsError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AwsError);
  return err as AwsError;
}

describe('approval bridge', () => {
  test('reads the pending token and approves it, signed for codepipeline', async () => {
    const token = aws.codepipeline.requestApproval(
      'blue-prod',
      'Approve',
      'ManualApproval',
      'approve blue 1.6.1',
    );
    const pending = await cp().pendingApproval('blue-prod', 'Approve', 'ManualApproval');
    expect(pending.token).toBe(token);
    expect(pending.summary).toBe('approve blue 1.6.1');
    const out = await cp().putApprovalResult({
      pipeline: 'blue-prod',
      stage: 'Approve',
      action: 'ManualApproval',
      token,
      decision: 'Approved',
      summary: 'Approved by alice, bob in https://github.com/acme/shop/issues/7',
    });
    expect(out.approvedAt).toBeInstanceOf(Date);
    const action = aws.codepipeline.action('blue-prod', 'Approve', 'ManualApproval');
    expect(action.latest?.status).toBe('Succeeded');
    expect(action.latest?.summary).toContain('alice, bob');
    const put = aws.codepipeline.callsOf('PutApprovalResult')[0]!;
    expect(put.body).toEqual({
      pipelineName: 'blue-prod',
      stageName: 'Approve',
      actionName: 'ManualApproval',
      token,
      result: {
        status: 'Approved',
        summary: 'Approved by alice, bob in https://github.com/acme/shop/issues/7',
      },
    });
    expect(aws.codepipeline.calls.every((c) => c.signed)).toBe(true);
    expect(put.credential).toEqual({
      accessKeyId: 'AKIDFAKEEXAMPLE',
      region: 'us-east-1',
      service: 'codepipeline',
    });
  });

  test('rejects, and a long summary is cut to the 512 characters CodePipeline takes', async () => {
    const token = aws.codepipeline.requestApproval('blue-prod', 'Approve', 'ManualApproval');
    await cp().putApprovalResult({
      pipeline: 'blue-prod',
      stage: 'Approve',
      action: 'ManualApproval',
      token,
      decision: 'Rejected',
      summary: 'x'.repeat(600),
    });
    const action = aws.codepipeline.action('blue-prod', 'Approve', 'ManualApproval');
    expect(action.latest?.status).toBe('Failed');
    expect(action.latest?.summary).toHaveLength(512);
  });

  test('no pending approval: a clear error, nothing sent', async () => {
    const err = await rejection(cp().pendingApproval('blue-prod', 'Approve', 'ManualApproval'));
    expect(err.awsName).toBe('NoPendingApproval');
    expect(err.message).toMatch(
      /pipeline "blue-prod" stage "Approve" action "ManualApproval" has no pending manual approval: it has not run yet/,
    );
    aws.codepipeline.requestApproval('blue-prod', 'Approve', 'ManualApproval');
    aws.codepipeline.decideApproval('blue-prod', 'Approve', 'ManualApproval', 'Succeeded');
    const again = await rejection(cp().pendingApproval('blue-prod', 'Approve', 'ManualApproval'));
    expect(again.message).toMatch(/its latest execution is Succeeded/);
    expect(aws.codepipeline.callsOf('PutApprovalResult')).toHaveLength(0);
  });

  test('InvalidApprovalTokenException and ApprovalAlreadyCompletedException each say what happened', async () => {
    const stale = aws.codepipeline.requestApproval('blue-prod', 'Approve', 'ManualApproval');
    aws.codepipeline.requestApproval('blue-prod', 'Approve', 'ManualApproval'); // a retried approval: new token
    const input = {
      pipeline: 'blue-prod',
      stage: 'Approve',
      action: 'ManualApproval',
      decision: 'Approved' as const,
      summary: 's',
    };
    const invalid = await rejection(cp().putApprovalResult({ ...input, token: stale }));
    expect(invalid.awsName).toBe('InvalidApprovalTokenException');
    expect(invalid.message).toMatch(/approval token is no longer valid/);
    const token = (await cp().pendingApproval('blue-prod', 'Approve', 'ManualApproval')).token;
    aws.codepipeline.decideApproval('blue-prod', 'Approve', 'ManualApproval', 'Failed');
    const done = await rejection(cp().putApprovalResult({ ...input, token }));
    expect(done.awsName).toBe('ApprovalAlreadyCompletedException');
    expect(done.message).toMatch(/already decided in CodePipeline.*Approved was not recorded/);
  });

  test('pipeline, stage and action not found are named', async () => {
    const input = {
      stage: 'Approve',
      action: 'ManualApproval',
      token: 't',
      decision: 'Approved' as const,
      summary: 's',
    };
    const pipeline = await rejection(cp().putApprovalResult({ ...input, pipeline: 'nope' }));
    expect(pipeline.awsName).toBe('PipelineNotFoundException');
    expect(pipeline.message).toMatch(/no pipeline "nope"/);
    const stage = await rejection(cp().putApprovalResult({ ...input, pipeline: 'blue-prod', stage: 'Gate' }));
    expect(stage.awsName).toBe('StageNotFoundException');
    expect(stage.message).toMatch(/no stage "Gate"; check stage-name/);
    const action = await rejection(
      cp().putApprovalResult({ ...input, pipeline: 'blue-prod', action: 'Nod' }),
    );
    expect(action.awsName).toBe('ActionNotFoundException');
    expect(action.message).toMatch(/no action "Nod"; check action-name/);
    // Read through GetPipelineState too: named before any approval is attempted.
    expect((await rejection(cp().pendingApproval('nope', 'Approve', 'ManualApproval'))).awsName).toBe(
      'PipelineNotFoundException',
    );
    const s = await rejection(cp().pendingApproval('blue-prod', 'Gate', 'ManualApproval'));
    expect(s.message).toMatch(/has no stage "Gate"; its stages are "Source", "Approve", "Deploy"/);
    const a = await rejection(cp().approvalOutcome('blue-prod', 'Approve', 'Nod'));
    expect(a.message).toMatch(/has no action "Nod"; its actions are "ManualApproval"/);
  });

  test('bad names are refused before any call', async () => {
    const calls = aws.codepipeline.calls.length;
    await expect(cp().pendingApproval('blue prod', 'Approve', 'A')).rejects.toThrow(
      /pipeline-name: "blue prod" is not a CodePipeline name/,
    );
    await expect(cp().rollbackStage('blue-prod', 'Deploy', 'abc')).rejects.toThrow(
      /target execution id: "abc" is not a pipeline execution id/,
    );
    expect(aws.codepipeline.calls.length).toBe(calls);
  });

  test('approvalOutcome follows the action: InProgress, then Succeeded or Failed', async () => {
    expect((await cp().approvalOutcome('blue-prod', 'Approve', 'ManualApproval')).status).toBe('InProgress');
    aws.codepipeline.requestApproval('blue-prod', 'Approve', 'ManualApproval');
    expect((await cp().approvalOutcome('blue-prod', 'Approve', 'ManualApproval')).status).toBe('InProgress');
    aws.codepipeline.decideApproval(
      'blue-prod',
      'Approve',
      'ManualApproval',
      'Succeeded',
      'arn:aws:iam::123456789012:user/carol',
    );
    expect(await cp().approvalOutcome('blue-prod', 'Approve', 'ManualApproval')).toMatchObject({
      status: 'Succeeded',
      actionStatus: 'Succeeded',
      decidedBy: 'arn:aws:iam::123456789012:user/carol',
    });
    aws.codepipeline.requestApproval('blue-prod', 'Approve', 'ManualApproval');
    aws.codepipeline.decideApproval('blue-prod', 'Approve', 'ManualApproval', 'Failed');
    expect((await cp().approvalOutcome('blue-prod', 'Approve', 'ManualApproval')).status).toBe('Failed');
    aws.codepipeline.requestApproval('blue-prod', 'Approve', 'ManualApproval');
    aws.codepipeline.decideApproval('blue-prod', 'Approve', 'ManualApproval', 'Abandoned');
    expect(await cp().approvalOutcome('blue-prod', 'Approve', 'ManualApproval')).toMatchObject({
      status: 'Failed',
      actionStatus: 'Abandoned',
    });
  });
});

describe('approval binding', () => {
  test('approvalOutcome bound to one approval reports a replaced approval, never an older decision', async () => {
    aws.codepipeline.requestApproval('blue-prod', 'Approve', 'ManualApproval');
    const first = await cp().pendingApproval('blue-prod', 'Approve', 'ManualApproval');
    const bound = { actionExecutionId: first.actionExecutionId };
    expect(await cp().approvalOutcome('blue-prod', 'Approve', 'ManualApproval', bound)).toMatchObject({
      status: 'InProgress',
      actionExecutionId: first.actionExecutionId,
    });
    aws.codepipeline.requestApproval('blue-prod', 'Approve', 'ManualApproval'); // the stage ran again
    aws.codepipeline.decideApproval('blue-prod', 'Approve', 'ManualApproval', 'Succeeded');
    expect(await cp().approvalOutcome('blue-prod', 'Approve', 'ManualApproval', bound)).toMatchObject({
      status: 'Failed',
      actionStatus: 'Succeeded',
      replaced: true,
    });
  });
});

describe('executions', () => {
  test('findExecution pages newest first to the one with the source revision; each status comes through', async () => {
    const statuses = ['Succeeded', 'Failed', 'Stopped', 'Cancelled', 'Superseded', 'InProgress'] as const;
    const ids = statuses.map((status, i) =>
      aws.codepipeline.addExecution('blue-prod', { status, revision: `rev-${i}` }),
    );
    for (const [i, status] of statuses.entries()) {
      const found = await cp().findExecution('blue-prod', `rev-${i}`);
      expect(found).toMatchObject({ pipelineExecutionId: ids[i], status });
      expect(found?.sourceRevisions[0]).toMatchObject({ actionName: 'Source', revisionId: `rev-${i}` });
    }
    // rev-0 is the oldest of six: three pages of two.
    aws.codepipeline.calls.length = 0;
    await cp().findExecution('blue-prod', 'rev-0');
    const lists = aws.codepipeline.callsOf('ListPipelineExecutions');
    expect(lists).toHaveLength(3);
    expect(lists[0]!.body.nextToken).toBeUndefined();
    expect(lists[1]!.body.nextToken).toEqual(expect.any(String));
    expect(await cp().findExecution('blue-prod', 'never-ran')).toBeUndefined();
  });

  test('a newer execution of the same revision wins', async () => {
    aws.codepipeline.addExecution('blue-prod', { status: 'Failed', revision: 'abc' });
    const newer = aws.codepipeline.addExecution('blue-prod', { status: 'Succeeded', revision: 'abc' });
    aws.codepipeline.addExecution('blue-prod', { status: 'Succeeded', revision: 'def' });
    expect((await cp().findExecution('blue-prod', 'abc'))?.pipelineExecutionId).toBe(newer);
  });

  test('latestSucceededExecution filters on the stage and pages', async () => {
    const good = aws.codepipeline.addExecution('blue-prod', { status: 'Succeeded', revision: 'aaa' });
    aws.codepipeline.addExecution('blue-prod', {
      status: 'Failed',
      revision: 'aaa',
      stages: { Source: 'Succeeded', Approve: 'Succeeded', Deploy: 'Failed' },
    });
    for (let i = 0; i < 5; i++)
      aws.codepipeline.addExecution('blue-prod', { status: 'Succeeded', revision: `other-${i}` });
    const found = await cp().latestSucceededExecution('blue-prod', 'Deploy', 'aaa');
    expect(found?.pipelineExecutionId).toBe(good);
    const lists = aws.codepipeline.callsOf('ListPipelineExecutions');
    expect(lists[0]!.body.filter).toEqual({ succeededInStage: { stageName: 'Deploy' } });
    expect(lists.length).toBeGreaterThan(1);
    expect(await cp().latestSucceededExecution('blue-prod', 'Deploy', 'zzz')).toBeUndefined();
  });

  test('getExecution reads one, and a missing one is named', async () => {
    const id = aws.codepipeline.addExecution('blue-prod', { status: 'Superseded', revision: 'r1' });
    expect(await cp().getExecution('blue-prod', id)).toMatchObject({
      pipelineExecutionId: id,
      status: 'Superseded',
      sourceRevisions: [{ revisionId: 'r1' }],
    });
    const err = await rejection(cp().getExecution('blue-prod', '00000000-0000-4000-8000-000000000000'));
    expect(err.awsName).toBe('PipelineExecutionNotFoundException');
  });
});

describe('rollbackStage', () => {
  test('rolls the stage back to an execution that succeeded there', async () => {
    const target = aws.codepipeline.addExecution('blue-prod', { status: 'Succeeded', revision: 'good' });
    aws.codepipeline.addExecution('blue-prod', { status: 'Succeeded', revision: 'bad' });
    const id = await cp().rollbackStage('blue-prod', 'Deploy', target);
    const execution = aws.codepipeline.pipelines
      .get('blue-prod')!
      .executions.find((e) => e.pipelineExecutionId === id)!;
    expect(execution).toMatchObject({ executionType: 'ROLLBACK', rollbackTargetPipelineExecutionId: target });
    expect(aws.codepipeline.callsOf('RollbackStage')[0]!.body).toEqual({
      pipelineName: 'blue-prod',
      stageName: 'Deploy',
      targetPipelineExecutionId: target,
    });
  });

  test('ConflictException and UnableToRollbackStageException each end in a clear error', async () => {
    const target = aws.codepipeline.addExecution('blue-prod', { status: 'Succeeded', revision: 'good' });
    const failed = aws.codepipeline.addExecution('blue-prod', { status: 'Failed', revision: 'bad' });
    const unable = await rejection(cp().rollbackStage('blue-prod', 'Deploy', failed));
    expect(unable.awsName).toBe('UnableToRollbackStageException');
    expect(unable.message).toMatch(/cannot roll the stage back to that execution/);
    aws.codepipeline.pipelines.get('blue-prod')!.stages[2]!.inProgressExecutionId = failed;
    const conflict = await rejection(cp().rollbackStage('blue-prod', 'Deploy', target));
    expect(conflict.awsName).toBe('ConflictException');
    expect(conflict.message).toMatch(
      /RollbackStage for pipeline "blue-prod" stage "Deploy" to execution ".*": the stage has an execution in progress/,
    );
  });
});

describe('retries', () => {
  test('throttling and 5xx are retried with backoff through the injected sleep', async () => {
    aws.codepipeline.addExecution('blue-prod', { status: 'Succeeded', revision: 'r' });
    aws.codepipeline.fail('ListPipelineExecutions', 'throttling', 2);
    aws.codepipeline.fail('ListPipelineExecutions', '5xx', 1);
    const retries: string[] = [];
    const found = await new CodePipeline({
      retry: { ...retry, onRetry: (i) => retries.push(i.reason) },
    }).findExecution('blue-prod', 'r');
    expect(found?.status).toBe('Succeeded');
    expect(sleeps).toEqual([375, 750, 1500]);
    expect(retries[0]).toMatch(/^ThrottlingException \(HTTP 400\): Rate exceeded/);
    expect(retries[2]).toMatch(/HTTP 503/);
  });

  test('bounded: after the last attempt the failure is an AwsError saying so', async () => {
    aws.codepipeline.fail('GetPipelineState', 'throttling', 10);
    const err = await rejection(
      new CodePipeline({ retry: { ...retry, attempts: 3 } }).approvalOutcome(
        'blue-prod',
        'Approve',
        'ManualApproval',
      ),
    );
    expect(err).toMatchObject({
      awsName: 'ThrottlingException',
      transient: true,
      operation: 'GetPipelineState',
    });
    expect(err.message).toMatch(
      /CodePipeline GetPipelineState for pipeline "blue-prod" failed after 3 attempts: ThrottlingException/,
    );
    expect(aws.codepipeline.callsOf('GetPipelineState')).toHaveLength(3);
  });

  test('a named exception is not retried', async () => {
    aws.codepipeline.fail('RollbackStage', 'ConflictException', 1);
    const err = await rejection(
      cp().rollbackStage('blue-prod', 'Deploy', '00000000-0000-4000-8000-000000000000'),
    );
    expect(err.awsName).toBe('ConflictException');
    expect(sleeps).toEqual([]);
  });
});

describe('settings', () => {
  test('no region and no credentials each end in an error saying how to set them', async () => {
    const unset = (names: string[]) => {
      const saved = names.map((n) => [n, process.env[n]] as const);
      for (const n of names) delete process.env[n];
      return () =>
        saved.forEach(([n, v]) => (v === undefined ? delete process.env[n] : (process.env[n] = v)));
    };
    let put = unset(['AWS_REGION', 'AWS_DEFAULT_REGION']);
    try {
      const err = await rejection(cp().approvalOutcome('blue-prod', 'Approve', 'ManualApproval'));
      expect(err.message).toMatch(/Region is missing.*Set AWS_REGION/);
    } finally {
      put();
    }
    put = unset(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']);
    try {
      const err = await rejection(cp().approvalOutcome('blue-prod', 'Approve', 'ManualApproval'));
      expect(err.message).toMatch(/Configure AWS credentials first/);
    } finally {
      put();
    }
    expect(aws.codepipeline.calls).toHaveLength(0);
  });
});
