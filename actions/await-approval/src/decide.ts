/**
 * Steps 4 to 6 of the issue gate: read the request and decide it (waiting when asked to), then
 * hand a decision on to CodePipeline and close the issue with the outcome.
 */
import { renderOutcomeComment, UserError, type ApprovalPolicy } from '@sd-actions/core';
import { log } from '@sd-actions/action-kit';
import { CodePipeline } from '@sd-actions/aws';
import {
  addComment,
  closeIssue,
  readRequest,
  type GitHubClient,
  type ReadRequestResult,
  type RepoRef,
} from '@sd-actions/github';
import { forwardDecision, type PipelineTarget } from './bridge.js';

export interface DecideArgs {
  client: GitHubClient;
  membership: GitHubClient | undefined;
  repo: RepoRef;
  number: number;
  policy: ApprovalPolicy;
  login: string;
  clock: { now: () => number; sleep: (ms: number) => Promise<void> };
  wait: boolean;
  pollMs: number;
  service: string;
  environment: string;
  digestInput: string | undefined;
}

/** 4 + 5. Decide, waiting if asked to; a request for another artifact or closed undecided is refused. */
export async function decide(a: DecideArgs): Promise<ReadRequestResult> {
  const { client, membership, repo, number, policy, clock } = a;
  const read = (): Promise<ReadRequestResult> =>
    readRequest({ repo: client, ...(membership ? { membership } : {}) }, repo, number, {
      policy,
      gateLogin: a.login,
      nowMs: clock.now(),
    });
  let result = await read();
  const b = result.binding;
  if (b.service !== a.service || b.environment !== a.environment)
    throw new UserError(
      `Input "issue": #${number} asks to approve ${b.service} for ${b.environment}, not ${a.service} for ${a.environment}`,
    );
  if (a.digestInput !== undefined && b.digest !== a.digestInput)
    throw new UserError(`Input "issue": #${number} asks to approve ${b.digest}, not ${a.digestInput}`);
  if (result.issue.state === 'closed' && result.decision.status === 'pending')
    throw new UserError(
      `Input "issue": #${number} was closed without a decision (superseded by a newer request, or closed by hand)`,
    );
  while (a.wait && result.decision.status === 'pending') {
    let delay = a.pollMs;
    if (policy.timeoutMs !== undefined)
      delay = Math.max(0, Math.min(delay, Date.parse(b.requestedAt) + policy.timeoutMs - clock.now()));
    await clock.sleep(delay);
    result = await read();
  }
  return result;
}

/**
 * 6. The bridge: the decision goes to the pipeline's pending approval before the issue closes,
 * so a failure leaves the request open and a re-run sends it again.
 */
export async function conclude(
  client: GitHubClient,
  repo: RepoRef,
  number: number,
  result: ReadRequestResult,
  policy: ApprovalPolicy,
  pipeline: PipelineTarget | undefined,
): Promise<void> {
  const { decision, issue, binding: b } = result;
  let bridged = '';
  if (decision.status !== 'pending' && pipeline) {
    const cp = new CodePipeline();
    const sent = await forwardDecision(cp, pipeline, {
      status: decision.status,
      approvers: decision.approvers,
      deniers: decision.deniers,
      count: policy.count,
      issueUrl: issue.url,
      service: b.service,
      version: b.version,
      environment: b.environment,
    });
    const at = `${pipeline.pipeline}/${pipeline.stage}/${pipeline.action}`;
    bridged = sent.sent
      ? `Sent to CodePipeline ${at} as ${sent.decision}.`
      : `CodePipeline ${at} already has this request's ${sent.decision === 'Approved' ? 'approval' : 'rejection'}.`;
    log.info(bridged);
  }
  if (decision.status !== 'pending' && issue.state === 'open') {
    await addComment(
      client,
      repo,
      number,
      renderOutcomeComment(decision, policy.count) + (bridged ? `\n\n${bridged}` : ''),
    );
    await closeIssue(client, repo, number, decision.status === 'approved' ? 'completed' : 'not_planned');
  }
}
