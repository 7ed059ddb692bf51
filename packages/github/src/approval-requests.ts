/**
 * Approval requests as the gate and `promote` use them: open (or reuse) the one request per
 * (service, environment, digest), supersede older ones, and read a request back into a decision
 * by the rules of `@sd-actions/core`'s approval module, resolving who is eligible through the API.
 */
import {
  UserError,
  approvalTitle,
  decideApproval,
  isApprovalTitleFor,
  parseVote,
  readBinding,
  renderApprovalBody,
  renderBindingComment,
  renderOrphanComment,
  renderSupersededComment,
  show,
  type ApprovalBinding,
  type ApprovalBodyInput,
  type ApprovalDecision,
  type ApprovalPolicy,
} from '@sd-actions/core';
import {
  APPROVAL_LABEL,
  addComment,
  authenticatedLogin,
  canWrite,
  closeIssue,
  collaboratorPermission,
  createIssue,
  ensureLabel,
  getIssue,
  listAllComments,
  listLabelledIssues,
  teamMembership,
  type CommentData,
  type IssueData,
  type RepoRef,
} from './adapters.js';
import type { GitHubClient } from './client.js';

/** The login a workflow's GITHUB_TOKEN acts as (it may not read GET /user). */
export const ACTIONS_BOT = 'github-actions[bot]';

/** Who the gate's token writes as: its login, or the Actions bot for a GITHUB_TOKEN. */
export async function gateLogin(client: GitHubClient): Promise<string> {
  return (await authenticatedLogin(client)) ?? ACTIONS_BOT;
}

export interface OpenRequest {
  issue: IssueData;
  binding: ApprovalBinding;
}

/** Open requests with a valid binding, optionally for one service and environment. */
export async function openRequests(
  client: GitHubClient,
  repo: RepoRef,
  trustedAuthors: readonly string[],
  filter: { service?: string; environment?: string } = {},
): Promise<OpenRequest[]> {
  return (await scanRequests(client, repo, trustedAuthors, filter)).requests;
}

/**
 * Open requests with a valid binding, and orphans: open issues the gate opened for this service
 * and environment (by their title) that carry no comment of the gate at all — a run ended between
 * creating the issue and posting the binding. Orphans are only looked for with a service and
 * environment given.
 */
async function scanRequests(
  client: GitHubClient,
  repo: RepoRef,
  trustedAuthors: readonly string[],
  filter: { service?: string; environment?: string },
): Promise<{ requests: OpenRequest[]; orphans: IssueData[] }> {
  const requests: OpenRequest[] = [];
  const orphans: IssueData[] = [];
  const trusted = (login: string) => trustedAuthors.some((t) => t.toLowerCase() === login.toLowerCase());
  for (const issue of await listLabelledIssues(client, repo, { label: APPROVAL_LABEL, state: 'open' })) {
    if (!trusted(issue.author)) continue;
    const comments = await listAllComments(client, repo, issue.number);
    const found = readBinding(comments, trustedAuthors);
    if ('problem' in found) {
      if (
        filter.service !== undefined &&
        filter.environment !== undefined &&
        !comments.some((c) => trusted(c.author)) &&
        isApprovalTitleFor(issue.title, filter.service, filter.environment)
      )
        orphans.push(issue);
      continue;
    }
    const b = found.binding;
    if (filter.service !== undefined && b.service !== filter.service) continue;
    if (filter.environment !== undefined && b.environment !== filter.environment) continue;
    requests.push({ issue, binding: b });
  }
  return { requests, orphans };
}

export interface EnsureRequestResult {
  issue: IssueData;
  binding: ApprovalBinding;
  created: boolean;
  /** Older requests for the same service and environment, closed as superseded. */
  superseded: number[];
  /** Requests left without their binding by a run that ended between the two writes, closed. */
  orphans: number[];
}

/** An issue younger than this may still be getting its binding from a run in progress. */
export const ORPHAN_GRACE_MS = 60_000;

/**
 * The request for a binding: the open one for the same (service, environment, digest) if there
 * is one, else a new issue plus its binding comment. Open requests for the same service and
 * environment with another digest are closed as superseded, with a comment.
 */
export async function ensureRequest(
  client: GitHubClient,
  repo: RepoRef,
  request: {
    binding: ApprovalBinding;
    body: Omit<ApprovalBodyInput, 'binding'>;
    gateLogin: string;
    /** Now, for the orphans' grace period (default: the client's clock). */
    nowMs?: number;
  },
): Promise<EnsureRequestResult> {
  const { binding } = request;
  const scan = await scanRequests(client, repo, [request.gateLogin], {
    service: binding.service,
    environment: binding.environment,
  });
  const existing = scan.requests;
  // Orphans are never trusted (no binding): close them before opening the fresh request.
  const nowMs = request.nowMs ?? client.clock.now();
  const orphans: number[] = [];
  for (const orphan of scan.orphans) {
    if (nowMs - Date.parse(orphan.createdAt) < ORPHAN_GRACE_MS) continue;
    await addComment(client, repo, orphan.number, renderOrphanComment());
    await closeIssue(client, repo, orphan.number, 'not_planned');
    orphans.push(orphan.number);
  }
  const same = existing.find((r) => r.binding.digest === binding.digest);
  const older = existing.filter((r) => r !== same);
  let result: { issue: IssueData; binding: ApprovalBinding; created: boolean };
  if (same) result = { issue: same.issue, binding: same.binding, created: false };
  else {
    await ensureLabel(client, repo, APPROVAL_LABEL, { description: 'sd-actions approval request' });
    const issue = await createIssue(client, repo, {
      title: approvalTitle(binding),
      body: renderApprovalBody({ ...request.body, binding }),
      labels: [APPROVAL_LABEL],
    });
    await addComment(client, repo, issue.number, renderBindingComment(binding));
    result = { issue, binding, created: true };
  }
  const superseded: number[] = [];
  for (const old of older) {
    await addComment(
      client,
      repo,
      old.issue.number,
      renderSupersededComment({
        version: result.binding.version,
        digest: result.binding.digest,
        url: result.issue.url,
      }),
    );
    await closeIssue(client, repo, old.issue.number, 'not_planned');
    superseded.push(old.issue.number);
  }
  return { ...result, superseded, orphans };
}

/**
 * A request the gate can trust, without judging it: labelled, opened by the gate's user, with an
 * intact binding (what it approves: service, environment, version, digest, who asked).
 */
export async function readTrustedRequest(
  client: GitHubClient,
  repo: RepoRef,
  number: number,
  gateLogin: string,
): Promise<{
  issue: IssueData;
  comments: CommentData[];
  binding: ApprovalBinding;
  bindingComment: CommentData;
}> {
  const issue = await getIssue(client, repo, number);
  if (!issue.labels.some((l) => l.toLowerCase() === APPROVAL_LABEL))
    throw new UserError(`issue #${number} is not an approval request (it has no ${APPROVAL_LABEL} label)`);
  if (issue.author.toLowerCase() !== gateLogin.toLowerCase())
    throw new UserError(
      `issue #${number} cannot be trusted as an approval request: it was opened by ${show(issue.author)}, not by the gate's ${show(gateLogin)}`,
    );
  const comments = await listAllComments(client, repo, number);
  const found = readBinding(comments, [gateLogin]);
  if ('problem' in found)
    throw new UserError(`issue #${number} cannot be trusted as an approval request: ${found.problem}`);
  const bindingComment = comments.find((c) => c.id === found.comment.id)!;
  return { issue, comments, binding: found.binding, bindingComment };
}

export interface ReadRequestResult {
  issue: IssueData;
  binding: ApprovalBinding;
  comments: CommentData[];
  decision: ApprovalDecision;
}

export interface EligibilityClients {
  /** Reads collaborator permissions (the repository token). */
  repo: GitHubClient;
  /** Reads team memberships; required when the policy lists teams. */
  membership?: GitHubClient;
}

/** A memoised eligibility check for one policy: listed logins, active team members, or writers. */
export function eligibilityResolver(
  policy: ApprovalPolicy,
  repo: RepoRef,
  clients: EligibilityClients,
): (login: string) => Promise<boolean> {
  if (policy.teams.length > 0 && !clients.membership)
    throw new UserError(
      `approvers lists team${policy.teams.length > 1 ? 's' : ''} ${policy.teams.map((t) => show(t)).join(', ')}, ` +
        'but no token that can read organisation teams was given (the workflow GITHUB_TOKEN cannot): ' +
        'pass a GitHub App or fine-grained token with "Members: read" as membership-token',
    );
  const memo = new Map<string, Promise<boolean>>();
  const check = async (login: string): Promise<boolean> => {
    const listed = policy.users.length > 0 || policy.teams.length > 0;
    if (!listed) return canWrite(await collaboratorPermission(clients.repo, repo, login));
    if (policy.users.some((u) => u.toLowerCase() === login.toLowerCase())) return true;
    for (const team of policy.teams)
      if ((await teamMembership(clients.membership!, team, login)) === 'active') return true;
    return false;
  };
  return (login) => {
    const key = login.toLowerCase();
    let p = memo.get(key);
    if (!p) memo.set(key, (p = check(login)));
    return p;
  };
}

/**
 * Read a request and decide it: the binding must be intact (first comment by the gate's user,
 * unedited); the votes are judged by the policy with the binding's requester and triggering
 * actor excluded; timeouts count from the binding's `requestedAt`.
 */
export async function readRequest(
  clients: EligibilityClients,
  repo: RepoRef,
  number: number,
  options: { policy: ApprovalPolicy; gateLogin: string; nowMs?: number },
): Promise<ReadRequestResult> {
  const client = clients.repo;
  const { issue, comments, binding, bindingComment } = await readTrustedRequest(
    client,
    repo,
    number,
    options.gateLogin,
  );
  const found = { comment: bindingComment };
  const eligible = eligibilityResolver(options.policy, repo, clients);
  const excluded = [binding.requester, binding.triggeringActor];
  // Resolve eligibility only for people whose vote could count (the API calls cost rate limit).
  const known = new Map<string, boolean>();
  for (const c of comments) {
    if (c.id === found.comment.id || c.updatedAt !== c.createdAt) continue;
    if (excluded.some((x) => x.toLowerCase() === c.author.toLowerCase())) continue;
    if (c.author.toLowerCase() === options.gateLogin.toLowerCase()) continue;
    if (known.has(c.author.toLowerCase())) continue;
    if (!parseVote(c.body)) continue;
    known.set(c.author.toLowerCase(), await eligible(c.author));
  }
  const decision = decideApproval({
    comments,
    count: options.policy.count,
    isEligible: (login) => known.get(login.toLowerCase()) ?? false,
    excluded,
    bindingAuthor: found.comment.author,
    createdAtMs: Date.parse(binding.requestedAt),
    timeoutMs: options.policy.timeoutMs,
    nowMs: options.nowMs ?? client.clock.now(),
  });
  return { issue, binding, comments, decision };
}
