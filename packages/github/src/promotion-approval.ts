/**
 * `promote`'s `[approval]` rule, the API side: read the evidence (an approval request's binding
 * and comments, or the run's environment reviews) and judge it by the CONFIG's policy with the
 * rules in `@sd-actions/core` (`judgeRequestApproval`, `judgeRunApproval`). Nothing is written:
 * a request is never commented on or closed from here. Problems that only mean "no valid
 * approval" (no such issue, not a request, a tampered record) come back as refusals, so promote
 * names the rule; anything else (network, permissions) is thrown.
 */
import {
  APPROVAL_RULE,
  UserError,
  decideRunReviews,
  judgeRequestApproval,
  judgeRunApproval,
  type ApprovalPolicy,
  type GateVerdict,
} from '@sd-actions/core';
import { getRun, runApprovals, type RepoRef } from './adapters.js';
import { eligibilityResolver, gateLogin, readRequest, type EligibilityClients } from './approval-requests.js';

export interface PromotionApprovalTarget {
  service: string;
  environment: string;
  digest: string;
}

/** Issue mode: the request `number`, read now and judged by `policy` (the config's). */
export async function checkRequestApproval(
  clients: EligibilityClients,
  repo: RepoRef,
  number: number,
  options: { policy: ApprovalPolicy; target: PromotionApprovalTarget; nowMs?: number },
): Promise<GateVerdict & { checked: string }> {
  const fullName = `${repo.owner}/${repo.repo}`;
  const login = await gateLogin(clients.repo);
  const checked = `approval request #${number} in ${fullName} (requests opened by ${login})`;
  let read;
  try {
    read = await readRequest(clients, repo, number, {
      policy: options.policy,
      gateLogin: login,
      ...(options.nowMs !== undefined ? { nowMs: options.nowMs } : {}),
    });
  } catch (err) {
    const status = (err as { status?: unknown }).status;
    if (status === 404 || status === 410)
      return {
        checked,
        refusal: {
          rule: APPROVAL_RULE,
          message: `approval request #${number} does not exist in ${fullName}; pass await-approval's issue-number output`,
        },
      };
    // readRequest's own refusals: not a request, opened by someone else, a tampered binding.
    if (err instanceof UserError) return { checked, refusal: { rule: APPROVAL_RULE, message: err.message } };
    throw err;
  }
  return {
    checked,
    ...judgeRequestApproval({
      number,
      url: read.issue.url,
      binding: read.binding,
      decision: read.decision,
      policy: options.policy,
      expected: options.target,
    }),
  };
}

/**
 * `via: environment`: the reviews of this run's environment gate, each approver eligible by the
 * policy and neither the run's actor nor its triggering actor.
 */
export async function checkRunApproval(
  clients: EligibilityClients,
  repo: RepoRef,
  runId: number,
  options: { policy: ApprovalPolicy; environment: string; runUrl?: string },
): Promise<GateVerdict & { checked: string }> {
  const run = await getRun(clients.repo, repo, runId);
  const reviews = await runApprovals(clients.repo, repo, runId);
  const eligible = eligibilityResolver(options.policy, repo, clients);
  const excluded = [run.actor, run.triggeringActor].filter(Boolean);
  const known = new Map<string, boolean>();
  for (const r of reviews)
    if (r.state === 'approved' && r.environments.includes(options.environment))
      known.set(r.user.toLowerCase(), await eligible(r.user));
  const decision = decideRunReviews({
    reviews,
    environment: options.environment,
    count: options.policy.count,
    excluded,
    isEligible: (login) => known.get(login.toLowerCase()) ?? false,
  });
  return {
    checked: `the ${options.environment} environment reviews of run ${runId}`,
    ...judgeRunApproval({
      runId,
      runUrl: options.runUrl ?? run.url,
      environment: options.environment,
      decision,
      policy: options.policy,
    }),
  };
}
