/**
 * The gates `promote` enforces on top of the promotion policy, pure: the `[approval]` rule (the
 * environment's approvals, re-checked by the config's rules whatever the gate was told) and the
 * evidence it leaves in the ledger (`Sd-Approved-By`, `Sd-Approval`). The GitHub adapters fetch
 * the request, its comments and the run's reviews; this module judges what they found.
 */
import { UserError, show } from './errors.js';
import {
  bindingMismatches,
  type ApprovalBinding,
  type ApprovalDecision,
  type ApprovalPolicy,
  type IgnoredReason,
} from './approval.js';
import type { EnvironmentConfig } from './config.js';
import type { Refusal } from './policy.js';

export const APPROVAL_RULE = 'approval';

/** The approval policy of an environment from its config (count 0 = no gate). */
export function environmentApprovalPolicy(env: EnvironmentConfig): ApprovalPolicy {
  return env.approval ?? { count: env.approvals, users: [], teams: [], via: 'issue' };
}

/** One line for people: `2 approvals from alice, bob, acme/sre (via issue)`. */
export function describeApprovalPolicy(policy: ApprovalPolicy): string {
  const who = [...policy.users, ...policy.teams];
  return `${policy.count} approval${policy.count === 1 ? '' : 's'} from ${
    who.length > 0 ? who.join(', ') : 'collaborators with write, maintain or admin permission'
  } (via ${policy.via})`;
}

/**
 * The request an `approval` input names: its issue number, from `42`, `#42` or the issue's URL
 * (which must be in this repository).
 */
export function parseApprovalReference(text: string, repository: string): number {
  const trimmed = text.trim();
  const plain = /^#?(\d{1,9})$/.exec(trimmed);
  const url = /^https?:\/\/[^/\s]+\/([^/\s]+)\/([^/\s]+)\/issues\/(\d{1,9})\/?$/.exec(trimmed);
  const number = Number(plain?.[1] ?? url?.[3]);
  if (!(number > 0))
    throw new UserError(
      `Input "approval": ${show(text)} is not valid; expected the approval request's issue number or URL (await-approval's issue-number or issue-url output)`,
    );
  if (url && `${url[1]}/${url[2]}`.toLowerCase() !== repository.toLowerCase())
    throw new UserError(
      `Input "approval": ${show(text)} is an issue of ${url[1]}/${url[2]}, not of ${repository}; expected an approval request of this repository`,
    );
  return number;
}

/** The evidence a landed promotion records (`Sd-Approved-By`, `Sd-Approval`). */
export interface ApprovalEvidenceRecord {
  approvedBy: string[];
  /** The request's issue URL, or the run whose environment reviews released the job. */
  approval: string;
}

export type GateVerdict = { refusal: Refusal } | { evidence: ApprovalEvidenceRecord };

const LABEL: Record<IgnoredReason, string> = {
  edited: 'edited after posting',
  requester: 'asked for it',
  'not-eligible': 'not an eligible approver',
  replaced: 'replaced by a later vote',
  'binding-author': 'the gate itself',
};

function ignoredText(ignored: ApprovalDecision['ignored']): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const i of ignored) {
    if (i.reason === 'replaced') continue;
    const key = `${i.login.toLowerCase()} ${i.reason}`;
    if (seen.has(key)) continue;
    seen.add(key);
    parts.push(`${i.login} (${LABEL[i.reason]})`);
  }
  return parts.length ? `; not counted: ${parts.join(', ')}` : '';
}

function refuse(message: string): GateVerdict {
  return { refusal: { rule: APPROVAL_RULE, message } };
}

/**
 * Judge an issue-mode approval for a promotion: the request must be bound (by its binding comment,
 * not its editable text) to this service, environment and digest, and approved by the comments as
 * they are now, with the config's count of eligible approvers other than the requester. The
 * issue's open/closed state is not trusted.
 */
export function judgeRequestApproval(input: {
  number: number;
  url: string;
  binding: ApprovalBinding;
  decision: ApprovalDecision;
  policy: ApprovalPolicy;
  expected: { service: string; environment: string; digest: string };
}): GateVerdict {
  const { number, url, binding, decision, policy } = input;
  const request = `approval request #${number} (${url})`;
  const mismatches = bindingMismatches(binding, input.expected);
  if (mismatches.length > 0)
    return refuse(
      `${request} does not approve this promotion: ${mismatches.join('; ')}. Ask for an approval of ${input.expected.service} ${input.expected.digest} in ${input.expected.environment} with await-approval`,
    );
  const counted = `${decision.approvers.length} of ${policy.count} eligible approval${policy.count === 1 ? '' : 's'}${
    decision.approvers.length ? ` (${decision.approvers.join(', ')})` : ''
  }`;
  switch (decision.status) {
    case 'approved':
      return { evidence: { approvedBy: [...decision.approvers], approval: url } };
    case 'denied':
      return refuse(`${request} was denied by ${decision.deniers.join(', ')}`);
    case 'timed-out':
      return refuse(
        `${request} timed out after ${policy.timeout ?? 'its timeout'} with ${counted}${ignoredText(decision.ignored)}; ask again with await-approval`,
      );
    default:
      return refuse(
        `${request} has ${counted}; ${input.expected.environment} requires ${describeApprovalPolicy(policy)}${ignoredText(decision.ignored)}. The person who asked cannot approve their own request`,
      );
  }
}

/** A review of a run's environment gate, as `GET /actions/runs/{id}/approvals` gives it. */
export interface RunReview {
  user: string;
  state: 'approved' | 'rejected' | 'pending';
  environments: readonly string[];
}

export interface RunReviewDecision {
  status: 'approved' | 'denied' | 'pending';
  approvers: string[];
  deniers: string[];
  ignored: { login: string; reason: 'requester' | 'not-eligible' }[];
  /** Reviews of this environment at all. */
  reviews: number;
}

/**
 * `via: environment`: who released the job through the GitHub environment's required reviewers.
 * A review counts when it approves this environment, by an eligible person who is neither the
 * run's actor nor its triggering actor; any rejection denies.
 */
export function decideRunReviews(input: {
  reviews: readonly RunReview[];
  environment: string;
  count: number;
  excluded: readonly string[];
  isEligible: (login: string) => boolean;
}): RunReviewDecision {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const mine = input.reviews.filter((r) => r.environments.includes(input.environment));
  const approvers: string[] = [];
  const deniers: string[] = [];
  const ignored: RunReviewDecision['ignored'] = [];
  for (const review of mine) {
    if (review.state === 'rejected') {
      if (!deniers.some((d) => same(d, review.user))) deniers.push(review.user);
      continue;
    }
    if (review.state !== 'approved') continue;
    if (input.excluded.some((x) => x && same(x, review.user)))
      ignored.push({ login: review.user, reason: 'requester' });
    else if (!input.isEligible(review.user)) ignored.push({ login: review.user, reason: 'not-eligible' });
    else if (!approvers.some((a) => same(a, review.user))) approvers.push(review.user);
  }
  const status = deniers.length > 0 ? 'denied' : approvers.length >= input.count ? 'approved' : 'pending';
  return { status, approvers, deniers, ignored, reviews: mine.length };
}

/** Judge a `via: environment` approval for a promotion from the run's reviews. */
export function judgeRunApproval(input: {
  runId: number;
  runUrl: string;
  environment: string;
  decision: RunReviewDecision;
  policy: ApprovalPolicy;
}): GateVerdict {
  const { decision, environment } = input;
  const run = `run ${input.runId}`;
  if (decision.status === 'approved')
    return { evidence: { approvedBy: [...decision.approvers], approval: input.runUrl } };
  if (decision.status === 'denied')
    return refuse(
      `the ${environment} environment review of ${run} was rejected by ${decision.deniers.join(', ')}`,
    );
  if (decision.reviews === 0)
    return refuse(
      `${run} has no review for the GitHub environment ${show(environment)}; ${environment} requires ${describeApprovalPolicy(input.policy)}: give the job "environment: ${environment}" with required reviewers, or use via: issue`,
    );
  const ignored = decision.ignored.map(
    (i) => `${i.login} (${i.reason === 'requester' ? 'started the run' : 'not an eligible approver'})`,
  );
  return refuse(
    `${run} was released without an eligible approval (${ignored.join(', ') || 'none'}); ${environment} requires ${describeApprovalPolicy(input.policy)}, and the person who started the run cannot approve it`,
  );
}

/** The ledger trailers for the evidence (none without it). */
export function approvalRecord(evidence: ApprovalEvidenceRecord | undefined): {
  approvedBy?: string;
  approval?: string;
} {
  if (!evidence) return {};
  return { approvedBy: evidence.approvedBy.join(', '), approval: evidence.approval };
}
