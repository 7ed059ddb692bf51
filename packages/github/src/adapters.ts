/**
 * The GitHub API calls the approval gate and the deployment records need, over the client in
 * client.ts. Each returns plain data (no Octokit types leak out) and never writes to the log.
 */
import { UserError, show } from '@sd-actions/core';
import type { GitHubClient } from './client.js';

export interface RepoRef {
  owner: string;
  repo: string;
}

export const APPROVAL_LABEL = 'sd-approval';

export function parseRepository(text: string): RepoRef {
  const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(text.trim());
  if (!m) throw new UserError(`repository ${show(text)} is not "owner/name"`);
  return { owner: m[1]!, repo: m[2]! };
}

export interface IssueData {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  stateReason?: string;
  author: string;
  labels: string[];
  url: string;
  createdAt: string;
  updatedAt: string;
}

export interface CommentData {
  id: number;
  author: string;
  body: string;
  createdAt: string;
  updatedAt: string;
  url: string;
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

interface RawIssue {
  number: number;
  title: string;
  body?: string | null;
  state: string;
  state_reason?: string | null;
  user: { login: string } | null;
  labels: (string | { name?: string })[];
  html_url: string;
  created_at: string;
  updated_at: string;
  pull_request?: unknown;
}

function toIssue(raw: RawIssue): IssueData {
  return {
    number: raw.number,
    title: raw.title,
    body: raw.body ?? '',
    state: raw.state === 'closed' ? 'closed' : 'open',
    stateReason: raw.state_reason ?? undefined,
    author: raw.user?.login ?? '',
    labels: raw.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter(Boolean),
    url: raw.html_url,
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
  };
}

interface RawComment {
  id: number;
  body?: string;
  user: { login: string } | null;
  created_at: string;
  updated_at: string;
  html_url: string;
}

function toComment(raw: RawComment): CommentData {
  return {
    id: raw.id,
    author: raw.user?.login ?? '',
    body: raw.body ?? '',
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
    url: raw.html_url,
  };
}

/** The login behind the token, or undefined when the token may not ask (a GITHUB_TOKEN). */
export async function authenticatedLogin(client: GitHubClient): Promise<string | undefined> {
  try {
    const { data } = await client.octokit.rest.users.getAuthenticated();
    return data.login;
  } catch (err) {
    if (statusOf(err) === 403) return undefined;
    throw err;
  }
}

/**
 * Issues carrying a label (all pages), newest first. Lists rather than searches: the search
 * index lags behind new issues, so a re-run could miss the request it just opened.
 */
export async function listLabelledIssues(
  client: GitHubClient,
  repo: RepoRef,
  options: { label?: string; state?: 'open' | 'closed' | 'all' } = {},
): Promise<IssueData[]> {
  const raw = await client.octokit.paginate(client.octokit.rest.issues.listForRepo, {
    ...repo,
    labels: options.label ?? APPROVAL_LABEL,
    state: options.state ?? 'open',
    per_page: 100,
  });
  return (raw as RawIssue[]).filter((i) => !i.pull_request).map(toIssue);
}

export async function getIssue(client: GitHubClient, repo: RepoRef, number: number): Promise<IssueData> {
  try {
    const { data } = await client.octokit.rest.issues.get({ ...repo, issue_number: number });
    return toIssue(data as RawIssue);
  } catch (err) {
    if (statusOf(err) === 404 || statusOf(err) === 410)
      throw new UserError(`issue #${number} was not found in ${repo.owner}/${repo.repo}`);
    throw err;
  }
}

export async function createIssue(
  client: GitHubClient,
  repo: RepoRef,
  issue: { title: string; body: string; labels?: string[] },
): Promise<IssueData> {
  const { data } = await client.octokit.rest.issues.create({
    ...repo,
    title: issue.title,
    body: issue.body,
    labels: issue.labels ?? [APPROVAL_LABEL],
  });
  return toIssue(data as RawIssue);
}

export async function updateIssueBody(
  client: GitHubClient,
  repo: RepoRef,
  number: number,
  change: { title?: string; body?: string },
): Promise<IssueData> {
  const { data } = await client.octokit.rest.issues.update({ ...repo, issue_number: number, ...change });
  return toIssue(data as RawIssue);
}

/** Every comment of an issue, oldest first, across all pages. */
export async function listAllComments(
  client: GitHubClient,
  repo: RepoRef,
  number: number,
): Promise<CommentData[]> {
  const raw = await client.octokit.paginate(client.octokit.rest.issues.listComments, {
    ...repo,
    issue_number: number,
    per_page: 100,
  });
  return (raw as RawComment[]).map(toComment);
}

export async function addComment(
  client: GitHubClient,
  repo: RepoRef,
  number: number,
  body: string,
): Promise<CommentData> {
  const { data } = await client.octokit.rest.issues.createComment({ ...repo, issue_number: number, body });
  return toComment(data as RawComment);
}

export type CloseReason = 'completed' | 'not_planned';

export async function closeIssue(
  client: GitHubClient,
  repo: RepoRef,
  number: number,
  reason: CloseReason,
): Promise<IssueData> {
  const { data } = await client.octokit.rest.issues.update({
    ...repo,
    issue_number: number,
    state: 'closed',
    state_reason: reason,
  });
  return toIssue(data as RawIssue);
}

/** Make sure the label exists (creating it is a no-op when someone else just did). */
export async function ensureLabel(
  client: GitHubClient,
  repo: RepoRef,
  name: string,
  options: { color?: string; description?: string } = {},
): Promise<'exists' | 'created'> {
  try {
    await client.octokit.rest.issues.getLabel({ ...repo, name });
    return 'exists';
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
  try {
    await client.octokit.rest.issues.createLabel({
      ...repo,
      name,
      color: options.color ?? '0e8a16',
      ...(options.description ? { description: options.description } : {}),
    });
    return 'created';
  } catch (err) {
    if (statusOf(err) === 422) return 'exists';
    throw err;
  }
}

export type MembershipState = 'active' | 'pending' | 'none';

/**
 * A user's membership of an organisation team (`org/team`). 404 means not a member. A token that
 * may not read the organisation's teams (the workflow's GITHUB_TOKEN) is an error that says so:
 * a gate must fail closed rather than treat everyone as a non-member.
 */
export async function teamMembership(
  client: GitHubClient,
  team: string,
  login: string,
): Promise<MembershipState> {
  const [org, slug] = team.split('/');
  if (!org || !slug) throw new UserError(`team ${show(team)} is not "org/team"`);
  try {
    const { data } = await client.octokit.rest.teams.getMembershipForUserInOrg({
      org,
      team_slug: slug,
      username: login,
    });
    return data.state === 'active' ? 'active' : 'pending';
  } catch (err) {
    const status = statusOf(err);
    if (status === 404) return 'none';
    if (status === 403 || status === 401)
      throw new UserError(
        `the token may not read the members of team ${show(team)} (GitHub answered ${status}); ` +
          'the workflow GITHUB_TOKEN cannot read organisation teams: give a token that can ' +
          '(a GitHub App token or a fine-grained token with "Members: read")',
      );
    throw err;
  }
}

export type RepoPermission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

/** A user's permission on the repository (role name where GitHub gives one). */
export async function collaboratorPermission(
  client: GitHubClient,
  repo: RepoRef,
  login: string,
): Promise<RepoPermission> {
  try {
    const { data } = await client.octokit.rest.repos.getCollaboratorPermissionLevel({
      ...repo,
      username: login,
    });
    const role = (data.role_name ?? data.permission) as string;
    if (['admin', 'maintain', 'write', 'triage', 'read'].includes(role)) return role as RepoPermission;
    return (
      ['admin', 'write', 'read'].includes(data.permission) ? data.permission : 'none'
    ) as RepoPermission;
  } catch (err) {
    if (statusOf(err) === 404) return 'none';
    throw err;
  }
}

/** Whether a permission lets someone approve by default (write, maintain or admin). */
export function canWrite(permission: RepoPermission): boolean {
  return permission === 'admin' || permission === 'maintain' || permission === 'write';
}

export interface RunData {
  id: number;
  actor: string;
  triggeringActor: string;
  event: string;
  url: string;
}

export async function getRun(client: GitHubClient, repo: RepoRef, runId: number): Promise<RunData> {
  const { data } = await client.octokit.rest.actions.getWorkflowRun({ ...repo, run_id: runId });
  const actor = data.actor?.login ?? '';
  return {
    id: data.id,
    actor,
    triggeringActor: data.triggering_actor?.login ?? actor,
    event: data.event,
    url: data.html_url,
  };
}

export interface RunApproval {
  user: string;
  state: 'approved' | 'rejected' | 'pending';
  comment: string;
  environments: string[];
}

/** The reviews of a run's environment gates (`/actions/runs/{id}/approvals`). */
export async function runApprovals(
  client: GitHubClient,
  repo: RepoRef,
  runId: number,
): Promise<RunApproval[]> {
  const { data } = await client.octokit.rest.actions.getReviewsForRun({ ...repo, run_id: runId });
  return data.map((a) => ({
    user: a.user.login,
    state: a.state,
    comment: a.comment,
    environments: a.environments.map((e) => e.name ?? '').filter(Boolean),
  }));
}

export interface DeploymentRequest {
  /** The source commit. */
  ref: string;
  environment: string;
  payload: Record<string, unknown>;
  description?: string;
  productionEnvironment?: boolean;
}

export async function createDeployment(
  client: GitHubClient,
  repo: RepoRef,
  d: DeploymentRequest,
): Promise<{ id: number; url: string }> {
  const { data, status } = await client.octokit.rest.repos.createDeployment({
    ...repo,
    ref: d.ref,
    environment: d.environment,
    payload: d.payload as { [key: string]: unknown },
    auto_merge: false,
    required_contexts: [],
    ...(d.description ? { description: d.description } : {}),
    ...(d.productionEnvironment !== undefined ? { production_environment: d.productionEnvironment } : {}),
  });
  if (status !== 201 || !('id' in data))
    throw new Error(`GitHub did not create the deployment (status ${status}): ${show(data)}`);
  return { id: data.id, url: data.url };
}

export type DeploymentState =
  'in_progress' | 'success' | 'failure' | 'error' | 'inactive' | 'queued' | 'pending';

export async function setDeploymentStatus(
  client: GitHubClient,
  repo: RepoRef,
  deploymentId: number,
  s: {
    state: DeploymentState;
    environmentUrl?: string;
    logUrl?: string;
    description?: string;
    autoInactive?: boolean;
  },
): Promise<{ id: number }> {
  const { data } = await client.octokit.rest.repos.createDeploymentStatus({
    ...repo,
    deployment_id: deploymentId,
    state: s.state,
    ...(s.environmentUrl ? { environment_url: s.environmentUrl } : {}),
    ...(s.logUrl ? { log_url: s.logUrl } : {}),
    ...(s.description ? { description: s.description.slice(0, 140) } : {}),
    ...(s.autoInactive !== undefined ? { auto_inactive: s.autoInactive } : {}),
  });
  return { id: data.id };
}
