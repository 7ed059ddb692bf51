/**
 * The CodePipeline bridge of await-approval:
 *   - forward: a decision taken in GitHub is sent to the pipeline's pending manual approval
 *     (token from GetPipelineState, then PutApprovalResult);
 *   - gate: with `via: codepipeline` the action waits for the pipeline's approval to be decided in
 *     AWS (Succeeded = approved, Failed = denied) and reports it like an issue request.
 * The AWS SDK is loaded only when one of them runs (CodePipeline imports it on first call).
 */
import { formatDuration, show, UserError, type ApprovalStatus } from '@sd-actions/core';
import { getString } from '@sd-actions/action-kit';
import { AwsError, CodePipeline, type ApprovalOutcome } from '@sd-actions/aws';

export interface PipelineTarget {
  pipeline: string;
  stage: string;
  action: string;
}

const PIPELINE_NAME = /^[A-Za-z0-9.@_-]{1,100}$/;

/** The `pipeline-name`, `stage-name`, `action-name` inputs: all three or none. */
export function pipelineInputs(): PipelineTarget | undefined {
  const given = {
    'pipeline-name': getString('pipeline-name'),
    'stage-name': getString('stage-name'),
    'action-name': getString('action-name'),
  };
  const present = Object.entries(given).filter(([, v]) => v !== undefined);
  if (present.length === 0) return undefined;
  const missing = Object.keys(given).filter((k) => given[k as keyof typeof given] === undefined);
  if (missing.length > 0)
    throw new UserError(
      `Input ${present.map(([k]) => `"${k}"`).join(', ')} given without ${missing.map((k) => `"${k}"`).join(', ')}: the CodePipeline bridge needs pipeline-name, stage-name and action-name together`,
    );
  for (const [name, value] of present)
    if (!PIPELINE_NAME.test(value!))
      throw new UserError(
        `Input "${name}": ${show(value)} is not a CodePipeline name; use 1-100 characters of letters, digits, . @ _ -`,
      );
  return { pipeline: given['pipeline-name']!, stage: given['stage-name']!, action: given['action-name']! };
}

const where = (t: PipelineTarget) => `${t.pipeline}/${t.stage}/${t.action}`;

export interface ForwardInput {
  status: Exclude<ApprovalStatus, 'pending'>;
  approvers: string[];
  deniers: string[];
  count: number;
  issueUrl: string;
  service: string;
  version: string;
  environment: string;
}

/** The summary CodePipeline shows with the decision (at most 512 characters; the adapter trims). */
export function forwardSummary(f: ForwardInput): string {
  const what = `${f.service} ${f.version} for ${f.environment}`;
  switch (f.status) {
    case 'approved':
      return `Approved in GitHub by ${f.approvers.join(', ')} (${f.approvers.length} of ${f.count}): ${what}, ${f.issueUrl}`;
    case 'denied':
      return `Rejected in GitHub by ${f.deniers.join(', ')}: ${what}, ${f.issueUrl}`;
    default:
      return `Timed out in GitHub with ${f.approvers.length} of ${f.count} approvals: ${what}, ${f.issueUrl}`;
  }
}

/**
 * Send a GitHub decision to the pipeline's pending approval. When no approval is pending but the
 * latest one was already decided the same way from this request (an earlier run sent it), the
 * bridge has converged and nothing is sent; otherwise the adapter's clear errors stand.
 */
export async function forwardDecision(
  cp: CodePipeline,
  target: PipelineTarget,
  f: ForwardInput,
): Promise<{ sent: boolean; decision: 'Approved' | 'Rejected' }> {
  const decision = f.status === 'approved' ? 'Approved' : 'Rejected';
  let token: string;
  try {
    token = (await cp.pendingApproval(target.pipeline, target.stage, target.action)).token;
  } catch (err) {
    if (err instanceof AwsError && err.awsName === 'NoPendingApproval') {
      const outcome = await cp.approvalOutcome(target.pipeline, target.stage, target.action);
      const same = decision === 'Approved' ? outcome.status === 'Succeeded' : outcome.status === 'Failed';
      if (same && outcome.summary?.includes(f.issueUrl)) return { sent: false, decision };
      throw new AwsError(
        `${err.message} The ${decision === 'Approved' ? 'approval' : 'rejection'} from ${f.issueUrl} was not sent.`,
        { awsName: err.awsName, operation: err.operation },
      );
    }
    throw err;
  }
  await cp.putApprovalResult({ ...target, token, decision, summary: forwardSummary(f) });
  return { sent: true, decision };
}

export interface GateResult {
  status: ApprovalStatus;
  /** Who decided in AWS (an IAM ARN), for an approval. */
  approvers: string[];
  outcome: ApprovalOutcome;
  detail: string;
}

export interface GateOptions {
  wait: boolean;
  pollMs: number;
  timeoutMs?: number;
  clock: { now: () => number; sleep: (ms: number) => Promise<void> };
}

/**
 * Wait for the pipeline's manual approval to be decided in AWS. The first approval seen in
 * progress is the one waited for (its action execution id binds the answer: a newer approval,
 * after a re-run of the stage, never answers for it). The timeout counts from when that approval
 * started waiting (so a resumed run does not restart it), or from now while none has started.
 */
export async function pipelineGate(
  cp: CodePipeline,
  target: PipelineTarget,
  options: GateOptions,
): Promise<GateResult> {
  const startedAt = options.clock.now();
  let bound: string | undefined;
  let since = startedAt;
  for (;;) {
    const outcome = await cp.approvalOutcome(
      target.pipeline,
      target.stage,
      target.action,
      bound ? { actionExecutionId: bound } : {},
    );
    if (outcome.status !== 'InProgress') {
      const approved = outcome.status === 'Succeeded';
      const by = outcome.decidedBy ? ` by ${outcome.decidedBy}` : '';
      return {
        status: approved ? 'approved' : 'denied',
        approvers: approved && outcome.decidedBy ? [outcome.decidedBy] : [],
        outcome,
        detail: outcome.replaced
          ? `the approval waited for at ${where(target)} was replaced by a newer one (the stage ran again); it will never be decided`
          : `${where(target)} ${approved ? 'approved' : `ended ${outcome.actionStatus ?? 'Failed'}`}${by}${outcome.summary ? `: ${outcome.summary}` : ''}`,
      };
    }
    if (!bound && outcome.actionExecutionId && outcome.actionStatus === 'InProgress') {
      bound = outcome.actionExecutionId;
      if (outcome.at) since = outcome.at.getTime();
    }
    const waiting = bound
      ? `${where(target)} is waiting for a decision in CodePipeline`
      : `${where(target)} has not reached its approval yet`;
    const deadline = options.timeoutMs === undefined ? undefined : since + options.timeoutMs;
    const nowMs = options.clock.now();
    if (deadline !== undefined && nowMs >= deadline)
      return {
        status: 'timed-out',
        approvers: [],
        outcome,
        detail: `${waiting} since ${new Date(since).toISOString()}, longer than ${formatDuration(options.timeoutMs!)}`,
      };
    if (!options.wait) return { status: 'pending', approvers: [], outcome, detail: waiting };
    await options.clock.sleep(
      deadline === undefined ? options.pollMs : Math.max(0, Math.min(options.pollMs, deadline - nowMs)),
    );
  }
}
