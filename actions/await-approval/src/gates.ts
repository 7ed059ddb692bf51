import { formatDuration, show, UserError, type ApprovalPolicy, type ApprovalStatus } from '@sd-actions/core';
import { code, log, markdownTable, now, writeSummary } from '@sd-actions/action-kit';
import { CodePipeline } from '@sd-actions/aws';
import {
  eligibilityResolver,
  getRun,
  runApprovals,
  type GitHubClient,
  type RepoRef,
} from '@sd-actions/github';
import { pipelineGate, type PipelineTarget } from './bridge.js';

/**
 * `via: codepipeline`: the pipeline's manual approval is the request; wait for AWS to decide it.
 * Nothing is written, in GitHub or AWS.
 */
export async function codePipelineGate(
  target: PipelineTarget,
  policy: ApprovalPolicy,
  pollMs: number,
  wait: boolean,
  service: string,
  environment: string,
): Promise<void> {
  const cp = new CodePipeline({
    retry: {
      onRetry: (r) =>
        log.info(`CodePipeline ${r.operation}: ${r.reason}; trying again in ${formatDuration(r.delayMs)}`),
    },
  });
  const result = await pipelineGate(cp, target, {
    wait,
    pollMs,
    ...(policy.timeoutMs !== undefined ? { timeoutMs: policy.timeoutMs } : {}),
    clock: {
      now: () => now().getTime(),
      sleep: (ms) => new Promise<void>((r) => setTimeout(r, ms)),
    },
  });
  log.setOutput('status', result.status);
  log.setOutput('approved', String(result.status === 'approved'));
  log.setOutput('approvers', result.approvers.join(','));
  log.setOutput('issue-number', '');
  log.setOutput('issue-url', '');
  log.info(`CodePipeline approval for ${service} in ${environment}: ${result.status}; ${result.detail}`);
  void writeSummary(
    `### Approval: ${service} for ${environment} (CodePipeline)\n\n` +
      markdownTable(
        ['pipeline', 'stage', 'action', 'status', 'decided by'],
        [
          [
            code(target.pipeline),
            code(target.stage),
            code(target.action),
            result.status,
            result.approvers.join(', '),
          ],
        ],
      ),
  );
  if (result.status === 'denied') throw new UserError(`CodePipeline approval denied: ${result.detail}`);
  if (result.status === 'timed-out') throw new UserError(`CodePipeline approval timed out: ${result.detail}`);
}

/**
 * `via: environment`: the job already passed the GitHub environment's required reviewers. Check
 * who released it: an eligible person other than the run's actor and triggering actor (GitHub's
 * own "prevent self-review" is off by default).
 */
export async function environmentGate(
  client: GitHubClient,
  membership: GitHubClient | undefined,
  repo: RepoRef,
  environment: string,
  policy: ApprovalPolicy,
): Promise<void> {
  const runId = Number(process.env.GITHUB_RUN_ID);
  if (!(runId > 0))
    throw new UserError('GITHUB_RUN_ID is not set: via: environment reads the reviews of this run');
  const run = await getRun(client, repo, runId);
  const reviews = (await runApprovals(client, repo, runId)).filter((a) =>
    a.environments.includes(environment),
  );
  if (reviews.length === 0)
    throw new UserError(
      `run ${runId} has no review for environment ${show(environment)}: give the GitHub environment required reviewers, or use via: issue`,
    );
  const eligible = eligibilityResolver(policy, repo, { repo: client, ...(membership ? { membership } : {}) });
  const excluded = [run.actor, run.triggeringActor].map((x) => x.toLowerCase());
  const approvers: string[] = [];
  const ignored: string[] = [];
  const deniers: string[] = [];
  for (const review of reviews) {
    if (review.state === 'rejected') deniers.push(review.user);
    if (review.state !== 'approved') continue;
    if (excluded.includes(review.user.toLowerCase())) ignored.push(`${review.user} (requester)`);
    else if (!(await eligible(review.user))) ignored.push(`${review.user} (not-eligible)`);
    else if (!approvers.some((a) => a.toLowerCase() === review.user.toLowerCase()))
      approvers.push(review.user);
  }
  const status: ApprovalStatus =
    deniers.length === 0 && approvers.length >= policy.count ? 'approved' : 'denied';
  log.setOutput('status', status);
  log.setOutput('approved', String(status === 'approved'));
  log.setOutput('approvers', approvers.join(','));
  log.setOutput('issue-number', '');
  log.setOutput('issue-url', '');
  log.info(
    `Environment ${environment} reviews of run ${runId}: ${status}` +
      (approvers.length ? `; approved by ${approvers.join(', ')}` : '') +
      (ignored.length ? `; ignored ${ignored.join(', ')}` : ''),
  );
  if (status !== 'approved')
    throw new UserError(
      deniers.length
        ? `Environment ${environment}: rejected by ${deniers.join(', ')}`
        : `Environment ${environment}: released without an eligible approval (${ignored.join(', ') || 'none'}); the person who asked cannot approve their own promotion`,
    );
}
