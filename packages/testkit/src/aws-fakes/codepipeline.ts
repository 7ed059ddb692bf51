/**
 * A loopback AWS CodePipeline speaking AWS JSON 1.1 (`X-Amz-Target: CodePipeline_20150709.<Op>`),
 * so the real `@aws-sdk/client-codepipeline` runs against it (AWS_ENDPOINT_URL_CODEPIPELINE).
 * Holds pipelines with stages, actions (a manual approval's latest execution and token) and
 * executions (status, source revisions, per-stage results). Implements GetPipelineState,
 * PutApprovalResult, ListPipelineExecutions (paginated, `succeededInStage` filter),
 * GetPipelineExecution and RollbackStage, with the exceptions AWS answers.
 */
import { randomUUID } from 'node:crypto';
import {
  decodeJson,
  epochSeconds,
  FakeAwsError,
  pageOffset,
  pageToken,
  requireString,
  startFakeService,
  type FakeAwsControls,
} from './common.js';

export type FakeActionStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Abandoned';
export type FakeExecutionStatus =
  'InProgress' | 'Stopping' | 'Stopped' | 'Succeeded' | 'Failed' | 'Cancelled' | 'Superseded';

export interface FakeActionExecution {
  actionExecutionId: string;
  status: FakeActionStatus;
  /** The approval token while a manual approval waits. */
  token?: string;
  summary?: string;
  lastUpdatedBy?: string;
  lastStatusChange: Date;
}

export interface FakeAction {
  name: string;
  category: 'Approval' | 'Source' | 'Build' | 'Deploy' | 'Test' | 'Invoke';
  latest?: FakeActionExecution;
}

export interface FakeStage {
  name: string;
  actions: FakeAction[];
  /** The execution running in this stage now, if any (RollbackStage answers ConflictException). */
  inProgressExecutionId?: string;
}

export interface FakeSourceRevision {
  actionName: string;
  revisionId: string;
  revisionSummary?: string;
  revisionUrl?: string;
}

export interface FakeExecution {
  pipelineExecutionId: string;
  status: FakeExecutionStatus;
  startTime: Date;
  lastUpdateTime: Date;
  sourceRevisions: FakeSourceRevision[];
  /** Each stage's result in this execution. */
  stages: Record<string, FakeExecutionStatus>;
  executionType: 'STANDARD' | 'ROLLBACK';
  rollbackTargetPipelineExecutionId?: string;
  /** The pipeline version it ran with (RollbackStage refuses a target from another version). */
  pipelineVersion: number;
}

export interface FakePipeline {
  name: string;
  version: number;
  stages: FakeStage[];
  /** Oldest first; listings answer newest first. */
  executions: FakeExecution[];
}

export interface FakeCodePipeline extends FakeAwsControls {
  pipelines: Map<string, FakePipeline>;
  /** Create (or replace) a pipeline: stages with their action names (`approve` actions are approvals). */
  addPipeline(
    name: string,
    stages: { name: string; actions: (string | { name: string; category: FakeAction['category'] })[] }[],
  ): FakePipeline;
  /** Record an execution; `at` orders the listing (default: after every other). Returns its id. */
  addExecution(
    pipeline: string,
    execution: {
      status: FakeExecutionStatus;
      revision?: string;
      sourceRevisions?: FakeSourceRevision[];
      stages?: Record<string, FakeExecutionStatus>;
      at?: Date;
      id?: string;
    },
  ): string;
  /** Put a manual approval action in waiting state with a fresh token; returns the token. */
  requestApproval(pipeline: string, stage: string, action: string, summary?: string): string;
  /** Decide an approval the way a person in the console would. */
  decideApproval(
    pipeline: string,
    stage: string,
    action: string,
    status: 'Succeeded' | 'Failed' | 'Abandoned',
    by?: string,
  ): void;
  action(pipeline: string, stage: string, action: string): FakeAction;
}

const TARGET = 'CodePipeline_20150709.';

export async function startFakeCodePipeline(
  options: { pageSize?: number; region?: string } = {},
): Promise<FakeCodePipeline> {
  const pageSize = options.pageSize ?? 2;
  const pipelines = new Map<string, FakePipeline>();
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const tick = () => new Date((clock += 1000));

  const pipelineOf = (input: Record<string, unknown>, member = 'pipelineName'): FakePipeline => {
    const name = requireString(input, member);
    const p = pipelines.get(name);
    if (!p)
      throw new FakeAwsError(
        'PipelineNotFoundException',
        `Account '123456789012' does not have a pipeline with name '${name}'`,
      );
    return p;
  };
  const stageOf = (p: FakePipeline, name: string, code = 'StageNotFoundException'): FakeStage => {
    const s = p.stages.find((x) => x.name === name);
    if (!s) throw new FakeAwsError(code, `Stage '${name}' not found in pipeline '${p.name}'`);
    return s;
  };
  const actionOf = (p: FakePipeline, s: FakeStage, name: string): FakeAction => {
    const a = s.actions.find((x) => x.name === name);
    if (!a)
      throw new FakeAwsError(
        'ActionNotFoundException',
        `Action '${name}' not found in stage '${s.name}' of pipeline '${p.name}'`,
      );
    return a;
  };
  const newestFirst = (p: FakePipeline) =>
    [...p.executions].sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
  const summaryOut = (e: FakeExecution) => ({
    pipelineExecutionId: e.pipelineExecutionId,
    status: e.status,
    startTime: epochSeconds(e.startTime),
    lastUpdateTime: epochSeconds(e.lastUpdateTime),
    sourceRevisions: e.sourceRevisions,
    trigger: {
      triggerType: e.executionType === 'ROLLBACK' ? 'ManualRollback' : 'Webhook',
      triggerDetail: 'fake',
    },
    executionMode: 'SUPERSEDED',
    executionType: e.executionType,
    ...(e.rollbackTargetPipelineExecutionId
      ? { rollbackMetadata: { rollbackTargetPipelineExecutionId: e.rollbackTargetPipelineExecutionId } }
      : {}),
  });

  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    GetPipelineState(input) {
      const p = pipelineOf(input, 'name');
      const latest = newestFirst(p)[0];
      return {
        pipelineName: p.name,
        pipelineVersion: p.version,
        created: epochSeconds(new Date('2025-06-01T00:00:00Z')),
        updated: epochSeconds(new Date('2025-06-01T00:00:00Z')),
        stageStates: p.stages.map((s) => ({
          stageName: s.name,
          ...(latest
            ? {
                latestExecution: {
                  pipelineExecutionId: latest.pipelineExecutionId,
                  status: latest.stages[s.name] ?? latest.status,
                },
              }
            : {}),
          actionStates: s.actions.map((a) => ({
            actionName: a.name,
            ...(a.latest
              ? {
                  latestExecution: {
                    actionExecutionId: a.latest.actionExecutionId,
                    status: a.latest.status,
                    lastStatusChange: epochSeconds(a.latest.lastStatusChange),
                    ...(a.latest.token && a.latest.status === 'InProgress' ? { token: a.latest.token } : {}),
                    ...(a.latest.summary ? { summary: a.latest.summary } : {}),
                    ...(a.latest.lastUpdatedBy ? { lastUpdatedBy: a.latest.lastUpdatedBy } : {}),
                  },
                }
              : {}),
          })),
        })),
      };
    },
    PutApprovalResult(input) {
      const p = pipelineOf(input);
      const s = stageOf(p, requireString(input, 'stageName'));
      const a = actionOf(p, s, requireString(input, 'actionName'));
      const token = requireString(input, 'token');
      const result = input.result as { status?: unknown; summary?: unknown } | undefined;
      if (
        !result ||
        (result.status !== 'Approved' && result.status !== 'Rejected') ||
        typeof result.summary !== 'string'
      )
        throw new FakeAwsError(
          'ValidationException',
          `1 validation error detected: Value at 'result' failed to satisfy constraint`,
        );
      if (result.summary.length > 512)
        throw new FakeAwsError(
          'ValidationException',
          `1 validation error detected: Value at 'result.summary' failed to satisfy constraint: Member must have length less than or equal to 512`,
        );
      if (a.category !== 'Approval' || !a.latest)
        throw new FakeAwsError(
          'InvalidApprovalTokenException',
          `Approval token '${token}' is not valid for action '${a.name}'`,
        );
      if (a.latest.status !== 'InProgress')
        throw new FakeAwsError(
          'ApprovalAlreadyCompletedException',
          `The approval action '${a.name}' has already been completed`,
        );
      if (a.latest.token !== token)
        throw new FakeAwsError(
          'InvalidApprovalTokenException',
          `Approval token '${token}' is not valid for action '${a.name}'`,
        );
      const at = tick();
      a.latest = {
        ...a.latest,
        status: result.status === 'Approved' ? 'Succeeded' : 'Failed',
        summary: result.summary,
        lastUpdatedBy: 'arn:aws:sts::123456789012:assumed-role/sd-actions/fake',
        lastStatusChange: at,
      };
      delete a.latest.token;
      return { approvedAt: epochSeconds(at) };
    },
    ListPipelineExecutions(input) {
      const p = pipelineOf(input);
      const max = input.maxResults === undefined ? 100 : Number(input.maxResults);
      if (!Number.isInteger(max) || max < 1 || max > 100)
        throw new FakeAwsError(
          'ValidationException',
          `1 validation error detected: Value '${String(input.maxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100`,
        );
      const offset = pageOffset(input.nextToken);
      if (offset === undefined)
        throw new FakeAwsError(
          'InvalidNextTokenException',
          'The next token was specified in an invalid format.',
        );
      const filter = (input.filter as { succeededInStage?: { stageName?: string } } | undefined)
        ?.succeededInStage?.stageName;
      if (filter !== undefined) stageOf(p, filter, 'ValidationException');
      const all = newestFirst(p).filter((e) => filter === undefined || e.stages[filter] === 'Succeeded');
      const size = Math.min(max, pageSize);
      const page = all.slice(offset, offset + size);
      return {
        pipelineExecutionSummaries: page.map(summaryOut),
        ...(offset + size < all.length ? { nextToken: pageToken(offset + size) } : {}),
      };
    },
    GetPipelineExecution(input) {
      const p = pipelineOf(input);
      const id = requireString(input, 'pipelineExecutionId');
      const e = p.executions.find((x) => x.pipelineExecutionId === id);
      if (!e)
        throw new FakeAwsError(
          'PipelineExecutionNotFoundException',
          `Pipeline execution ID ${id} does not belong to the pipeline ${p.name}`,
        );
      return {
        pipelineExecution: {
          pipelineName: p.name,
          pipelineVersion: e.pipelineVersion,
          pipelineExecutionId: e.pipelineExecutionId,
          status: e.status,
          artifactRevisions: e.sourceRevisions.map((r) => ({
            name: `${r.actionName}Artifact`,
            revisionId: r.revisionId,
            ...(r.revisionSummary ? { revisionSummary: r.revisionSummary } : {}),
            ...(r.revisionUrl ? { revisionUrl: r.revisionUrl } : {}),
          })),
          executionMode: 'SUPERSEDED',
          executionType: e.executionType,
          ...(e.rollbackTargetPipelineExecutionId
            ? { rollbackMetadata: { rollbackTargetPipelineExecutionId: e.rollbackTargetPipelineExecutionId } }
            : {}),
        },
      };
    },
    RollbackStage(input) {
      const p = pipelineOf(input);
      const s = stageOf(p, requireString(input, 'stageName'), 'ValidationException');
      const id = requireString(input, 'targetPipelineExecutionId');
      const target = p.executions.find((x) => x.pipelineExecutionId === id);
      if (!target)
        throw new FakeAwsError(
          'PipelineExecutionNotFoundException',
          `Pipeline execution ID ${id} does not belong to the pipeline ${p.name}`,
        );
      if (s.inProgressExecutionId)
        throw new FakeAwsError(
          'ConflictException',
          `Stage '${s.name}' has execution ${s.inProgressExecutionId} in progress; wait for it to finish or stop it`,
        );
      if (target.stages[s.name] !== 'Succeeded' || target.pipelineVersion !== p.version)
        throw new FakeAwsError(
          'UnableToRollbackStageException',
          `Unable to roll back stage '${s.name}' to execution ${id}: it did not succeed in this stage with the current pipeline version`,
        );
      const at = tick();
      const execution: FakeExecution = {
        pipelineExecutionId: randomUUID(),
        status: 'InProgress',
        startTime: at,
        lastUpdateTime: at,
        sourceRevisions: target.sourceRevisions.map((r) => ({ ...r })),
        stages: { [s.name]: 'InProgress' },
        executionType: 'ROLLBACK',
        rollbackTargetPipelineExecutionId: id,
        pipelineVersion: p.version,
      };
      p.executions.push(execution);
      s.inProgressExecutionId = execution.pipelineExecutionId;
      return { pipelineExecutionId: execution.pipelineExecutionId };
    },
  };

  const controls = await startFakeService(
    {
      service: 'codepipeline',
      signingName: 'codepipeline',
      decode: (req, body) => decodeJson(req, body, '1.1', TARGET),
      encodeResult: (_op, result) => ({
        headers: { 'Content-Type': 'application/x-amz-json-1.1' },
        body: JSON.stringify(result),
      }),
      encodeError: (_op, err) => ({
        headers: { 'Content-Type': 'application/x-amz-json-1.1', 'x-amzn-ErrorType': err.code },
        body: JSON.stringify({ __type: err.code, message: err.message }),
      }),
      throttling: { code: 'ThrottlingException', status: 400, message: 'Rate exceeded' },
    },
    operations,
  );

  const fake: FakeCodePipeline = {
    ...controls,
    pipelines,
    addPipeline(name, stages) {
      const p: FakePipeline = {
        name,
        version: 1,
        stages: stages.map((s) => ({
          name: s.name,
          actions: s.actions.map((a) =>
            typeof a === 'string'
              ? { name: a, category: /approv/i.test(a) ? 'Approval' : 'Deploy' }
              : { ...a },
          ),
        })),
        executions: [],
      };
      pipelines.set(name, p);
      return p;
    },
    addExecution(pipeline, e) {
      const p = pipelines.get(pipeline);
      if (!p) throw new Error(`no pipeline ${pipeline}`);
      const at = e.at ?? tick();
      const id = e.id ?? randomUUID();
      p.executions.push({
        pipelineExecutionId: id,
        status: e.status,
        startTime: at,
        lastUpdateTime: at,
        sourceRevisions:
          e.sourceRevisions ?? (e.revision ? [{ actionName: 'Source', revisionId: e.revision }] : []),
        stages: e.stages ?? Object.fromEntries(p.stages.map((s) => [s.name, e.status])),
        executionType: 'STANDARD',
        pipelineVersion: p.version,
      });
      return id;
    },
    action(pipeline, stage, action) {
      const p = pipelines.get(pipeline);
      const a = p?.stages.find((s) => s.name === stage)?.actions.find((x) => x.name === action);
      if (!a) throw new Error(`no action ${pipeline}/${stage}/${action}`);
      return a;
    },
    requestApproval(pipeline, stage, action, summary) {
      const a = fake.action(pipeline, stage, action);
      const token = randomUUID();
      a.latest = {
        actionExecutionId: randomUUID(),
        status: 'InProgress',
        token,
        summary,
        lastStatusChange: tick(),
      };
      return token;
    },
    decideApproval(pipeline, stage, action, status, by = 'arn:aws:iam::123456789012:user/console-reviewer') {
      const a = fake.action(pipeline, stage, action);
      if (!a.latest) throw new Error(`no approval waiting at ${pipeline}/${stage}/${action}`);
      a.latest = { ...a.latest, status, lastUpdatedBy: by, lastStatusChange: tick() };
      delete a.latest.token;
    },
  };
  return fake;
}
