/**
 * AWS CodePipeline for the approval bridge, verification and stage rollback. The SDK is imported
 * on first use only; the endpoint comes from the SDK's standard settings
 * (AWS_ENDPOINT_URL_CODEPIPELINE included). Every failure is an AwsError naming the pipeline,
 * stage and action it was about.
 */
import type * as CodePipelineSdk from '@aws-sdk/client-codepipeline';
import { show, UserError } from '@sd-actions/core';
import { callAws, LazyClient, type AwsClientOptions } from './call.js';
import { AwsError } from './errors.js';
import { checkExecutionId, checkPipelineName, checkRevision } from './validate.js';

type Sdk = typeof CodePipelineSdk;
type Client = CodePipelineSdk.CodePipelineClient;

export type ApprovalDecision = 'Approved' | 'Rejected';

export interface PendingApproval {
  token: string;
  /** The message shown with the approval in the console, if any. */
  summary?: string;
  actionExecutionId?: string;
  since?: Date;
}

export interface ApprovalOutcome {
  /** Succeeded = approved, Failed = rejected (or abandoned), InProgress = waiting or not reached yet. */
  status: 'Succeeded' | 'Failed' | 'InProgress';
  /** CodePipeline's own status of the action's latest execution (`Abandoned` included); undefined when it never ran. */
  actionStatus?: string;
  summary?: string;
  /** The approval's action execution; a new approval (a re-run of the stage) gets a new one. */
  actionExecutionId?: string;
  /**
   * True when `approvalOutcome` was asked about one approval (`actionExecutionId`) and the action
   * has moved on to another: the one waited for will never be decided (status is then Failed).
   */
  replaced?: boolean;
  /** Who decided (an IAM ARN), when decided. */
  decidedBy?: string;
  at?: Date;
}

export type PipelineExecutionStatus =
  'Cancelled' | 'InProgress' | 'Stopped' | 'Stopping' | 'Succeeded' | 'Superseded' | 'Failed';

export interface PipelineExecution {
  pipelineExecutionId: string;
  status: PipelineExecutionStatus;
  startTime?: Date;
  lastUpdateTime?: Date;
  /** The revision ids of the source actions (commit SHAs for a Git source). */
  sourceRevisions: { actionName?: string; revisionId?: string; revisionSummary?: string }[];
  executionType?: string;
}

export interface CodePipelineOptions extends AwsClientOptions {
  /** Stop paging ListPipelineExecutions after this many pages (default 20 of 100 executions). */
  maxPages?: number;
}

const where = (pipeline: string, stage?: string, action?: string) =>
  `pipeline ${show(pipeline)}${stage !== undefined ? ` stage ${show(stage)}` : ''}${action !== undefined ? ` action ${show(action)}` : ''}`;

/** Clear sentences for the exceptions the brief's callers meet. */
function explainCommon(
  awsName: string,
  pipeline: string,
  stage?: string,
  action?: string,
): string | undefined {
  switch (awsName) {
    case 'PipelineNotFoundException':
      return `there is no pipeline ${show(pipeline)} in this account and region; check pipeline-name and the AWS region`;
    case 'StageNotFoundException':
      return `pipeline ${show(pipeline)} has no stage ${show(stage)}; check stage-name`;
    case 'ActionNotFoundException':
      return `stage ${show(stage)} of pipeline ${show(pipeline)} has no action ${show(action)}; check action-name`;
    default:
      return undefined;
  }
}

export class CodePipeline {
  private readonly lazy: LazyClient<Sdk, Client>;

  constructor(private readonly options: CodePipelineOptions = {}) {
    this.lazy = new LazyClient(
      () => import('@aws-sdk/client-codepipeline'),
      (sdk) =>
        new sdk.CodePipelineClient({ ...(options.region ? { region: options.region } : {}), maxAttempts: 1 }),
    );
  }

  /** Whether the SDK has been loaded (it is, from the first call on). */
  get sdkLoaded(): boolean {
    return this.lazy.isLoaded;
  }

  private async send<T>(
    operation: string,
    what: string,
    run: (sdk: Sdk, client: Client) => Promise<T>,
    explain?: (awsName: string) => string | undefined,
  ): Promise<T> {
    const { sdk, client } = await this.lazy.get().catch((err: unknown) => {
      throw new AwsError(`CodePipeline ${operation} for ${what}: cannot load the AWS SDK: ${String(err)}`, {
        awsName: 'SdkLoadError',
        operation,
        cause: err,
      });
    });
    return callAws(
      operation,
      `CodePipeline ${operation} for ${what}`,
      this.options.retry ?? {},
      () => run(sdk, client),
      explain,
    );
  }

  private async actionState(pipeline: string, stage: string, action: string) {
    checkPipelineName(pipeline, 'pipeline-name');
    checkPipelineName(stage, 'stage-name');
    checkPipelineName(action, 'action-name');
    const state = await this.send<CodePipelineSdk.GetPipelineStateOutput>(
      'GetPipelineState',
      where(pipeline),
      (sdk, c) => c.send(new sdk.GetPipelineStateCommand({ name: pipeline })),
      (name) => explainCommon(name, pipeline, stage, action),
    );
    const stages = state.stageStates ?? [];
    const s = stages.find((x) => x.stageName === stage);
    if (!s)
      throw new AwsError(
        `CodePipeline ${where(pipeline)} has no stage ${show(stage)}; its stages are ${stages.map((x) => show(x.stageName)).join(', ') || 'none'}. Check stage-name.`,
        { awsName: 'StageNotFoundException', operation: 'GetPipelineState' },
      );
    const actions = s.actionStates ?? [];
    const a = actions.find((x) => x.actionName === action);
    if (!a)
      throw new AwsError(
        `CodePipeline ${where(pipeline, stage)} has no action ${show(action)}; its actions are ${actions.map((x) => show(x.actionName)).join(', ') || 'none'}. Check action-name.`,
        { awsName: 'ActionNotFoundException', operation: 'GetPipelineState' },
      );
    return a;
  }

  /** The token of the manual approval waiting at this action; a clear error when none waits. */
  async pendingApproval(pipeline: string, stage: string, action: string): Promise<PendingApproval> {
    const a = await this.actionState(pipeline, stage, action);
    const latest = a.latestExecution;
    if (!latest || latest.status !== 'InProgress' || !latest.token)
      throw new AwsError(
        `CodePipeline ${where(pipeline, stage, action)} has no pending manual approval: ${
          latest
            ? `its latest execution is ${latest.status ?? 'of unknown status'}${latest.status === 'InProgress' ? ' without an approval token (is it a manual approval action?)' : ''}`
            : 'it has not run yet'
        }. Start the pipeline (or wait until it reaches the approval) and run again.`,
        { awsName: 'NoPendingApproval', operation: 'GetPipelineState' },
      );
    return {
      token: latest.token,
      summary: latest.summary,
      actionExecutionId: latest.actionExecutionId,
      since: latest.lastStatusChange,
    };
  }

  /** Send a decision to the approval that `token` names; returns when AWS recorded it. */
  async putApprovalResult(input: {
    pipeline: string;
    stage: string;
    action: string;
    token: string;
    decision: ApprovalDecision;
    summary: string;
  }): Promise<{ approvedAt?: Date }> {
    const { pipeline, stage, action, token, decision } = input;
    checkPipelineName(pipeline, 'pipeline-name');
    checkPipelineName(stage, 'stage-name');
    checkPipelineName(action, 'action-name');
    if (decision !== 'Approved' && decision !== 'Rejected')
      throw new UserError(`approval decision: ${show(decision)} is neither "Approved" nor "Rejected"`);
    if (typeof token !== 'string' || !token)
      throw new UserError(`approval token: ${show(token)} is empty; read it with pendingApproval first`);
    // CodePipeline takes at most 512 characters of summary.
    const summary = input.summary.length > 512 ? `${input.summary.slice(0, 509)}...` : input.summary;
    const out = await this.send<CodePipelineSdk.PutApprovalResultOutput>(
      'PutApprovalResult',
      where(pipeline, stage, action),
      (sdk, c) =>
        c.send(
          new sdk.PutApprovalResultCommand({
            pipelineName: pipeline,
            stageName: stage,
            actionName: action,
            token,
            result: { status: decision, summary },
          }),
        ),
      (name) => {
        if (name === 'InvalidApprovalTokenException')
          return `the approval token is no longer valid (the approval was retried, or a newer execution superseded it); nothing was sent. Run again to answer the approval now pending.`;
        if (name === 'ApprovalAlreadyCompletedException')
          return `the approval was already decided in CodePipeline (by someone else or an earlier run); ${decision} was not recorded.`;
        return explainCommon(name, pipeline, stage, action);
      },
    );
    return { approvedAt: out.approvedAt };
  }

  /**
   * The state of the approval at this action, for a gate that waits for AWS to decide. Give the
   * `actionExecutionId` that `pendingApproval` returned to bind the answer to that approval: an
   * earlier approval's decision is then never mistaken for this one's.
   */
  async approvalOutcome(
    pipeline: string,
    stage: string,
    action: string,
    options: { actionExecutionId?: string } = {},
  ): Promise<ApprovalOutcome> {
    const a = await this.actionState(pipeline, stage, action);
    const latest = a.latestExecution;
    if (!latest?.status) return { status: 'InProgress' };
    if (options.actionExecutionId !== undefined && latest.actionExecutionId !== options.actionExecutionId)
      return {
        status: 'Failed',
        actionStatus: latest.status,
        actionExecutionId: latest.actionExecutionId,
        replaced: true,
        at: latest.lastStatusChange,
      };
    const status =
      latest.status === 'Succeeded' ? 'Succeeded' : latest.status === 'InProgress' ? 'InProgress' : 'Failed';
    return {
      status,
      actionStatus: latest.status,
      actionExecutionId: latest.actionExecutionId,
      summary: latest.summary,
      decidedBy: status === 'InProgress' ? undefined : latest.lastUpdatedBy,
      at: latest.lastStatusChange,
    };
  }

  /** Page through the executions, newest first, until `match` finds one or the pages run out. */
  private async searchExecutions(
    pipeline: string,
    stage: string | undefined,
    match: (e: PipelineExecution) => boolean,
  ): Promise<PipelineExecution | undefined> {
    const maxPages = this.options.maxPages ?? 20;
    let nextToken: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const out = await this.send<CodePipelineSdk.ListPipelineExecutionsOutput>(
        'ListPipelineExecutions',
        where(pipeline, stage),
        (sdk, c) =>
          c.send(
            new sdk.ListPipelineExecutionsCommand({
              pipelineName: pipeline,
              maxResults: 100,
              ...(stage !== undefined ? { filter: { succeededInStage: { stageName: stage } } } : {}),
              ...(nextToken ? { nextToken } : {}),
            }),
          ),
        (name) => explainCommon(name, pipeline, stage),
      );
      for (const s of out.pipelineExecutionSummaries ?? []) {
        const e: PipelineExecution = {
          pipelineExecutionId: s.pipelineExecutionId ?? '',
          status: (s.status ?? 'InProgress') as PipelineExecutionStatus,
          startTime: s.startTime,
          lastUpdateTime: s.lastUpdateTime,
          sourceRevisions: (s.sourceRevisions ?? []).map((r) => ({
            actionName: r.actionName,
            revisionId: r.revisionId,
            revisionSummary: r.revisionSummary,
          })),
          executionType: s.executionType,
        };
        if (match(e)) return e;
      }
      nextToken = out.nextToken;
      if (!nextToken) return undefined;
    }
    return undefined;
  }

  /** The newest execution whose source revision is `sourceRevision` (a commit SHA), or undefined. */
  async findExecution(pipeline: string, sourceRevision: string): Promise<PipelineExecution | undefined> {
    checkPipelineName(pipeline, 'pipeline');
    checkRevision(sourceRevision, 'source revision');
    return this.searchExecutions(pipeline, undefined, (e) =>
      e.sourceRevisions.some((r) => r.revisionId === sourceRevision),
    );
  }

  /** The newest execution that succeeded in `stage` with `sourceRevision` as its source, or undefined. */
  async latestSucceededExecution(
    pipeline: string,
    stage: string,
    sourceRevision: string,
  ): Promise<PipelineExecution | undefined> {
    checkPipelineName(pipeline, 'pipeline');
    checkPipelineName(stage, 'stage');
    checkRevision(sourceRevision, 'source revision');
    return this.searchExecutions(pipeline, stage, (e) =>
      e.sourceRevisions.some((r) => r.revisionId === sourceRevision),
    );
  }

  /** One execution by id. */
  async getExecution(pipeline: string, executionId: string): Promise<PipelineExecution> {
    checkPipelineName(pipeline, 'pipeline');
    checkExecutionId(executionId, 'pipeline execution id');
    const out = await this.send<CodePipelineSdk.GetPipelineExecutionOutput>(
      'GetPipelineExecution',
      `${where(pipeline)} execution ${show(executionId)}`,
      (sdk, c) =>
        c.send(
          new sdk.GetPipelineExecutionCommand({ pipelineName: pipeline, pipelineExecutionId: executionId }),
        ),
      (name) =>
        name === 'PipelineExecutionNotFoundException'
          ? `pipeline ${show(pipeline)} has no execution ${show(executionId)}`
          : explainCommon(name, pipeline),
    );
    const e = out.pipelineExecution ?? {};
    return {
      pipelineExecutionId: e.pipelineExecutionId ?? executionId,
      status: (e.status ?? 'InProgress') as PipelineExecutionStatus,
      sourceRevisions: (e.artifactRevisions ?? []).map((r) => ({
        actionName: r.name,
        revisionId: r.revisionId,
        revisionSummary: r.revisionSummary,
      })),
      executionType: e.executionType,
    };
  }

  /** Roll `stage` back to what `targetExecutionId` deployed; returns the new (rollback) execution's id. */
  async rollbackStage(pipeline: string, stage: string, targetExecutionId: string): Promise<string> {
    checkPipelineName(pipeline, 'pipeline');
    checkPipelineName(stage, 'stage');
    checkExecutionId(targetExecutionId, 'target execution id');
    const out = await this.send<CodePipelineSdk.RollbackStageOutput>(
      'RollbackStage',
      `${where(pipeline, stage)} to execution ${show(targetExecutionId)}`,
      (sdk, c) =>
        c.send(
          new sdk.RollbackStageCommand({
            pipelineName: pipeline,
            stageName: stage,
            targetPipelineExecutionId: targetExecutionId,
          }),
        ),
      (name) => {
        if (name === 'ConflictException')
          return `the stage has an execution in progress, so CodePipeline refused the rollback; wait for it to finish (or stop it) and run again.`;
        if (name === 'UnableToRollbackStageException')
          return `CodePipeline cannot roll the stage back to that execution (it did not succeed in this stage, or the pipeline changed since); choose an execution that succeeded in this stage with the current pipeline version.`;
        if (name === 'PipelineExecutionNotFoundException')
          return `pipeline ${show(pipeline)} has no execution ${show(targetExecutionId)}`;
        return explainCommon(name, pipeline, stage);
      },
    );
    if (!out.pipelineExecutionId)
      throw new AwsError(
        `CodePipeline RollbackStage for ${where(pipeline, stage)} answered no execution id`,
        {
          awsName: 'EmptyResponse',
          operation: 'RollbackStage',
        },
      );
    return out.pipelineExecutionId;
  }
}
