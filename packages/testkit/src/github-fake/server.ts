/**
 * A loopback GitHub REST API for tests: a real HTTP server reached through GITHUB_API_URL, so the
 * real Octokit client (`@actions/github`) runs against it. It keeps users and tokens, repositories,
 * issues, comments (paginated with `Link` headers), labels, team memberships, collaborator
 * permissions, workflow runs with their approvals, and deployments with statuses. It answers GETs
 * with ETags (a matching `If-None-Match` gets a 304 that does not count against the rate limit),
 * sends rate-limit headers, and can be told to refuse the next requests with 403/429.
 *
 * Every request and every response is checked against GitHub's OpenAPI description; problems are
 * collected in `violations` (tests assert it stays empty).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { labelJson, minimalRepoJson, userJson, type FakeLabel, type FakeUser, type Json } from './objects.js';
import { openApiChecker, type OperationMatch } from './openapi.js';

export type TeamState = 'active' | 'pending';
export type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read';

export interface FakeComment {
  id: number;
  issue: number;
  user: string;
  body: string;
  createdAt: string;
  updatedAt: string;
}

export interface FakeIssue {
  number: number;
  id: number;
  title: string;
  body: string | null;
  user: string;
  state: 'open' | 'closed';
  stateReason: string | null;
  labels: string[];
  comments: FakeComment[];
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export interface FakeRun {
  id: number;
  actor: string;
  triggeringActor: string;
  event: string;
  approvals: { user: string; state: 'approved' | 'rejected'; comment: string; environments: string[] }[];
}

export interface FakeDeployment {
  id: number;
  ref: string;
  sha: string;
  environment: string;
  payload: Json | string;
  description: string | null;
  creator: string;
  createdAt: string;
  statuses: {
    id: number;
    state: string;
    description: string;
    environmentUrl: string;
    logUrl: string;
    creator: string;
    createdAt: string;
  }[];
}

export interface FakeRepo {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  issues: FakeIssue[];
  labels: Map<string, FakeLabel>;
  collaborators: Map<string, Permission>;
  runs: Map<number, FakeRun>;
  deployments: FakeDeployment[];
}

export interface FakeCall {
  method: string;
  path: string;
  query: string;
  status: number;
  /** Whether it counted against the caller's rate limit (a 304 does not). */
  counted: boolean;
  token?: string;
}

export interface FailSpec {
  status: 403 | 429;
  /** Seconds for a `Retry-After` header. */
  retryAfter?: number;
  /** Send `x-ratelimit-remaining: 0` and this many seconds to the reset. */
  resetAfter?: number;
  times?: number;
  /** Only requests whose path matches. */
  path?: RegExp;
}

export interface GitHubFake {
  /** The API base URL: set it as GITHUB_API_URL. */
  url: string;
  users: Map<string, FakeUser>;
  repos: Map<string, FakeRepo>;
  /** `org/team` → login (lower case) → membership state. */
  teams: Map<string, Map<string, TeamState>>;
  calls: FakeCall[];
  /** Every way a request or a response strayed from GitHub's OpenAPI description. */
  violations: string[];
  addUser(login: string, options?: { type?: FakeUser['type'] }): FakeUser;
  /**
   * A token for a user (the user is added if new). `orgRead: false`: no org teams;
   * `userRead: false`: no GET /user. A workflow's GITHUB_TOKEN has neither.
   */
  addToken(token: string, login: string, options?: { orgRead?: boolean; userRead?: boolean }): void;
  addRepo(fullName: string, options?: { collaborators?: Record<string, Permission> }): FakeRepo;
  setTeamMember(team: string, login: string, state: TeamState | undefined): void;
  addRun(fullName: string, run: Partial<FakeRun> & { id: number; actor: string }): FakeRun;
  /** A comment written straight into the state (as if posted through the UI). */
  addComment(fullName: string, issue: number, login: string, body: string): FakeComment;
  /** Edit a comment as its author would: the body changes and `updated_at` moves on. */
  editComment(fullName: string, commentId: number, body: string): void;
  issue(fullName: string, number: number): FakeIssue;
  /** Refuse the next matching requests with 403/429. */
  failNext(spec: FailSpec): void;
  /** Requests that counted against a rate limit. */
  countedRequests(filter?: (call: FakeCall) => boolean): number;
  stop(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Json = {},
  ) {
    super(message);
  }
}

const RATE_LIMIT = 5000;

export interface GitHubFakeOptions {
  /** The clock behind created_at / updated_at (default: the real one). */
  now?: () => Date;
  /** Check requests and responses against the OpenAPI description (default true). */
  validate?: boolean;
}

export async function startGitHubFake(options: GitHubFakeOptions = {}): Promise<GitHubFake> {
  const now = options.now ?? (() => new Date());
  const validate = options.validate ?? true;
  const checker = validate ? openApiChecker() : undefined;
  const users = new Map<string, FakeUser>();
  const tokens = new Map<string, { login: string; orgRead: boolean; userRead: boolean; used: number }>();
  const repos = new Map<string, FakeRepo>();
  const teams = new Map<string, Map<string, TeamState>>();
  const calls: FakeCall[] = [];
  const violations: string[] = [];
  const failures: FailSpec[] = [];
  let nextId = 1000;
  let base = '';

  const stamp = () =>
    now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');

  const addUser = (login: string, o: { type?: FakeUser['type'] } = {}): FakeUser => {
    const key = login.toLowerCase();
    let user = users.get(key);
    if (!user) {
      user = { login, id: nextId++, type: o.type ?? (login.endsWith('[bot]') ? 'Bot' : 'User') };
      users.set(key, user);
    }
    return user;
  };
  const user = (login: string) => userJson(base, addUser(login));

  const repoOf = (owner: string, name: string): FakeRepo => {
    const repo = repos.get(`${owner}/${name}`.toLowerCase());
    if (!repo) throw new HttpError(404, 'Not Found');
    return repo;
  };
  const issueOf = (repo: FakeRepo, number: number): FakeIssue => {
    const issue = repo.issues.find((i) => i.number === number);
    if (!issue) throw new HttpError(404, 'Not Found');
    return issue;
  };
  const ensureLabel = (repo: FakeRepo, name: string): FakeLabel => {
    let label = repo.labels.get(name.toLowerCase());
    if (!label) {
      label = { id: nextId++, name, color: 'ededed', description: null };
      repo.labels.set(name.toLowerCase(), label);
    }
    return label;
  };

  const repoJson = (repo: FakeRepo) => minimalRepoJson(base, repo.id, repo.fullName, addUser(repo.owner));

  const issueJson = (repo: FakeRepo, issue: FakeIssue): Json => {
    const url = `${base}/repos/${repo.fullName}/issues/${issue.number}`;
    return {
      id: issue.id,
      node_id: `I_${issue.id}`,
      url,
      repository_url: `${base}/repos/${repo.fullName}`,
      labels_url: `${url}/labels{/name}`,
      comments_url: `${url}/comments`,
      events_url: `${url}/events`,
      html_url: `${base}/${repo.fullName}/issues/${issue.number}`,
      number: issue.number,
      state: issue.state,
      state_reason: issue.stateReason,
      title: issue.title,
      body: issue.body,
      user: user(issue.user),
      labels: issue.labels.map((l) => labelJson(base, repo.fullName, ensureLabel(repo, l))),
      assignee: null,
      assignees: [],
      milestone: null,
      locked: false,
      comments: issue.comments.length,
      closed_at: issue.closedAt,
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      author_association: repo.owner.toLowerCase() === issue.user.toLowerCase() ? 'OWNER' : 'NONE',
    };
  };

  const commentJson = (repo: FakeRepo, c: FakeComment): Json => ({
    id: c.id,
    node_id: `IC_${c.id}`,
    url: `${base}/repos/${repo.fullName}/issues/comments/${c.id}`,
    html_url: `${base}/${repo.fullName}/issues/${c.issue}#issuecomment-${c.id}`,
    issue_url: `${base}/repos/${repo.fullName}/issues/${c.issue}`,
    body: c.body,
    user: user(c.user),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    author_association: repo.collaborators.has(c.user.toLowerCase()) ? 'COLLABORATOR' : 'NONE',
  });

  const deploymentJson = (repo: FakeRepo, d: FakeDeployment): Json => {
    const url = `${base}/repos/${repo.fullName}/deployments/${d.id}`;
    return {
      id: d.id,
      node_id: `DE_${d.id}`,
      url,
      sha: d.sha,
      ref: d.ref,
      task: 'deploy',
      payload: d.payload,
      original_environment: d.environment,
      environment: d.environment,
      description: d.description,
      creator: user(d.creator),
      created_at: d.createdAt,
      updated_at: d.statuses.at(-1)?.createdAt ?? d.createdAt,
      statuses_url: `${url}/statuses`,
      repository_url: `${base}/repos/${repo.fullName}`,
      transient_environment: false,
      production_environment: d.environment === 'production',
    };
  };

  const statusJson = (repo: FakeRepo, d: FakeDeployment, s: FakeDeployment['statuses'][number]): Json => {
    const durl = `${base}/repos/${repo.fullName}/deployments/${d.id}`;
    return {
      id: s.id,
      node_id: `DES_${s.id}`,
      url: `${durl}/statuses/${s.id}`,
      state: s.state,
      creator: user(s.creator),
      description: s.description,
      environment: d.environment,
      target_url: s.logUrl,
      log_url: s.logUrl,
      environment_url: s.environmentUrl,
      created_at: s.createdAt,
      updated_at: s.createdAt,
      deployment_url: durl,
      repository_url: `${base}/repos/${repo.fullName}`,
    };
  };

  const runJson = (repo: FakeRepo, run: FakeRun): Json => {
    const url = `${base}/repos/${repo.fullName}/actions/runs/${run.id}`;
    return {
      id: run.id,
      node_id: `WFR_${run.id}`,
      name: 'promote',
      head_branch: 'main',
      head_sha: '0'.repeat(40),
      path: '.github/workflows/promote.yml',
      display_title: 'promote',
      run_number: 1,
      run_attempt: 1,
      event: run.event,
      status: 'in_progress',
      conclusion: null,
      workflow_id: 1,
      url,
      html_url: `${base}/${repo.fullName}/actions/runs/${run.id}`,
      pull_requests: [],
      created_at: stamp(),
      updated_at: stamp(),
      actor: user(run.actor),
      triggering_actor: user(run.triggeringActor),
      jobs_url: `${url}/jobs`,
      logs_url: `${url}/logs`,
      check_suite_url: `${base}/repos/${repo.fullName}/check-suites/1`,
      artifacts_url: `${url}/artifacts`,
      cancel_url: `${url}/cancel`,
      rerun_url: `${url}/rerun`,
      workflow_url: `${base}/repos/${repo.fullName}/actions/workflows/1`,
      head_commit: null,
      repository: repoJson(repo),
      head_repository: repoJson(repo),
    };
  };

  const page = <T>(items: T[], query: URLSearchParams, path: string): { items: T[]; link?: string } => {
    const perPage = Math.min(100, Math.max(1, Number(query.get('per_page') ?? 30) || 30));
    const pageNo = Math.max(1, Number(query.get('page') ?? 1) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const slice = items.slice((pageNo - 1) * perPage, pageNo * perPage);
    const linkTo = (n: number) => {
      const q = new URLSearchParams(query);
      q.set('per_page', String(perPage));
      q.set('page', String(n));
      return `${base}${path}?${q.toString()}`;
    };
    const links: string[] = [];
    if (pageNo < last) links.push(`<${linkTo(pageNo + 1)}>; rel="next"`, `<${linkTo(last)}>; rel="last"`);
    if (pageNo > 1) links.push(`<${linkTo(1)}>; rel="first"`, `<${linkTo(pageNo - 1)}>; rel="prev"`);
    return { items: slice, link: links.length > 0 ? links.join(', ') : undefined };
  };

  interface Answer {
    status: number;
    body?: unknown;
    headers?: Record<string, string>;
  }

  type Ctx = {
    params: Record<string, string>;
    query: URLSearchParams;
    body: Json;
    login: string;
    orgRead: boolean;
    userRead: boolean;
    path: string;
  };

  const handlers: Record<string, (c: Ctx) => Answer> = {
    'GET /user': (c) => {
      if (!c.userRead) throw new HttpError(403, 'Resource not accessible by integration');
      return { status: 200, body: userPrivate(c.login) };
    },
    'GET /repos/{owner}/{repo}/issues': (c) => {
      const repo = repoOf(c.params.owner!, c.params.repo!);
      const state = c.query.get('state') ?? 'open';
      const wanted = (c.query.get('labels') ?? '')
        .split(',')
        .map((l) => l.trim().toLowerCase())
        .filter(Boolean);
      const creator = c.query.get('creator')?.toLowerCase();
      let list = repo.issues.filter(
        (i) =>
          (state === 'all' || i.state === state) &&
          wanted.every((w) => i.labels.some((l) => l.toLowerCase() === w)) &&
          (!creator || i.user.toLowerCase() === creator),
      );
      list = [...list].sort((a, b) => b.number - a.number);
      if (c.query.get('direction') === 'asc') list.reverse();
      const p = page(list, c.query, c.path);
      return {
        status: 200,
        body: p.items.map((i) => issueJson(repo, i)),
        headers: p.link ? { link: p.link } : ({} as Record<string, string>),
      };
    },
    'POST /repos/{owner}/{repo}/issues': (c) => {
      const repo = repoOf(c.params.owner!, c.params.repo!);
      const labels = ((c.body.labels as (string | { name: string })[] | undefined) ?? []).map((l) =>
        typeof l === 'string' ? l : l.name,
      );
      for (const l of labels) ensureLabel(repo, l);
      const t = stamp();
      const issue: FakeIssue = {
        number: repo.issues.length + 1,
        id: nextId++,
        title: String(c.body.title),
        body: (c.body.body as string | undefined) ?? null,
        user: c.login,
        state: 'open',
        stateReason: null,
        labels,
        comments: [],
        createdAt: t,
        updatedAt: t,
        closedAt: null,
      };
      repo.issues.push(issue);
      return { status: 201, body: issueJson(repo, issue) };
    },
    'GET /repos/{owner}/{repo}/issues/{issue_number}': (c) => {
      const repo = repoOf(c.params.owner!, c.params.repo!);
      return { status: 200, body: issueJson(repo, issueOf(repo, Number(c.params.issue_number))) };
    },
    'PATCH /repos/{owner}/{repo}/issues/{issue_number}': (c) => {
      const repo = repoOf(c.params.owner!, c.params.repo!);
      const issue = issueOf(repo, Number(c.params.issue_number));
      if (typeof c.body.title === 'string') issue.title = c.body.title;
      if (c.body.body !== undefined) issue.body = c.body.body as string | null;
      if (Array.isArray(c.body.labels))
        issue.labels = (c.body.labels as (string | { name: string })[]).map((l) =>
          typeof l === 'string' ? l : l.name,
        );
      if (c.body.state === 'closed' || c.body.state === 'open') {
        if (c.body.state !== issue.state) {
          issue.state = c.body.state;
          issue.closedAt = c.body.state === 'closed' ? stamp() : null;
          issue.stateReason =
            c.body.state === 'closed'
              ? ((c.body.state_reason as string | undefined) ?? 'completed')
              : 'reopened';
        }
      }
      issue.updatedAt = stamp();
      return { status: 200, body: issueJson(repo, issue) };
    },
    'GET /repos/{owner}/{repo}/issues/{issue_number}/comments': (c) => {
      const repo = repoOf(c.params.owner!, c.params.repo!);
      const issue = issueOf(repo, Number(c.params.issue_number));
      const since = c.query.get('since');
      const list = since ? issue.comments.filter((x) => x.updatedAt >= since) : issue.comments;
      const p = page(list, c.query, c.path);
      return {
        status: 200,
        body: p.items.map((x) => commentJson(repo, x)),
        headers: p.link ? { link: p.link } : ({} as Record<string, string>),
      };
    },
    'POST /repos/{owner}/{repo}/issues/{issue_number}/comments': (c) => {
      const repo = repoOf(c.params.owner!, c.params.repo!);
      const comment = postComment(repo, Number(c.params.issue_number), c.login, String(c.body.body));
      return { status: 201, body: commentJson(repo, comment) };
    },
    'GET /repos/{owner}/{repo}/issues/comments/{comment_id}': (c) => {
      const repo = repoOf(c.params.owner!, c.params.repo!);
      return { status: 200, body: commentJson(repo, findComment(repo, Number(c.params.comment_id))) };
    },
    'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}': (c) => {
      const repo = repoOf(c.params.owner!, c.params.repo!);
      const comment = findComment(repo, Number(c.params.comment_id));
      if (comment.user.toLowerCase() !== c.login.toLowerCase())
        throw new HttpError(403, 'Must have admin rights to Repository.');
      comment.body = String(c.body.body);
      comment.updatedAt = laterStamp(comment.createdAt);
      return { status: 200, body: commentJson(repo, comment) };
    },
    'POST /repos/{owner}/{repo}/issues/{issue_number}/labels': (c) => {
      const repo = repoOf(c.params.owner!, c.params.repo!);
      const issue = issueOf(repo, Number(c.params.issue_number));
      const names = (Array.isArray(c.body) ? c.body : ((c.body.labels as unknown[]) ?? [])).map((l) =>
        typeof l === 'string' ? l : String((l as { name: string }).name),
      );
      for (const n of names) {
        ensureLabel(repo, n);
        if (!issue.labels.some((l) => l.toLowerCase() === n.toLowerCase())) issue.labels.push(n);
      }
      return {
        status: 200,
        body: issue.labels.map((l) => labelJson(base, repo.fullName, ensureLabel(repo, l))),
      };
    },
    'GET /repos/{owner}/{repo}/labels/{name}': (c) => {
      const repo = repoOf(c.params.owner!, c.params.repo!);
      const label = repo.labels.get(c.params.name!.toLowerCase());
      if (!label) throw new HttpError(404, 'Not Found');
      return { status: 200, body: labelJson(base, repo.fullName, label) };
    },
    'POST /repos/{owner}/{repo}/labels': (c) => {
      const repo = repoOf(c.params.owner!, c.params.repo!);
      const name = String(c.body.name);
      if (repo.labels.has(name.toLowerCase()))
        throw new HttpError(422, 'Validation Failed', {
          errors: [{ resource: 'Label', code: 'already_exists', field: 'name' }],
        });
      const label = ensureLabel(repo, name);
      if (typeof c.body.color === 'string') label.color = c.body.color;
      if (typeof c.body.description === 'string') label.description = c.body.description;
      return { status: 201, body: labelJson(base, repo.fullName, label) };
    },
    'GET /orgs/{org}/teams/{team_slug}/memberships/{username}': (c) => {
      if (!c.orgRead) throw new HttpError(403, 'Resource not accessible by integration');
      const team = teams.get(`${c.params.org}/${c.params.team_slug}`.toLowerCase());
      const state = team?.get(c.params.username!.toLowerCase());
      if (!state) throw new HttpError(404, 'Not Found');
      return {
        status: 200,
        body: {
          url: `${base}/teams/1/memberships/${c.params.username}`,
          role: 'member',
          state,
        },
      };
    },
    'GET /repos/{owner}/{repo}/collaborators/{username}/permission': (c) => {
      const repo = repoOf(c.params.owner!, c.params.repo!);
      const login = c.params.username!;
      if (!users.has(login.toLowerCase())) throw new HttpError(404, 'Not Found');
      const role = repo.collaborators.get(login.toLowerCase());
      const permission =
        role === undefined ? 'none' : role === 'maintain' ? 'write' : role === 'triage' ? 'read' : role;
      return {
        status: 200,
        body: {
          permission,
          role_name: role ?? 'none',
          user: { ...user(login), role_name: role ?? 'none' },
        },
      };
    },
    'GET /repos/{owner}/{repo}/actions/runs/{run_id}': (c) => {
      const repo = repoOf(c.params.owner!, c.params.repo!);
      const run = repo.runs.get(Number(c.params.run_id));
      if (!run) throw new HttpError(404, 'Not Found');
      return { status: 200, body: runJson(repo, run) };
    },
    'GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals': (c) => {
      const repo = repoOf(c.params.owner!, c.params.repo!);
      const run = repo.runs.get(Number(c.params.run_id));
      if (!run) throw new HttpError(404, 'Not Found');
      const t = stamp();
      return {
        status: 200,
        body: run.approvals.map((a) => ({
          state: a.state,
          comment: a.comment,
          user: user(a.user),
          environments: a.environments.map((name, i) => ({
            id: i + 1,
            node_id: `EN_${i + 1}`,
            name,
            url: `${base}/repos/${repo.fullName}/environments/${name}`,
            html_url: `${base}/${repo.fullName}/deployments/activity_log?environments_filter=${name}`,
            created_at: t,
            updated_at: t,
          })),
        })),
      };
    },
    'POST /repos/{owner}/{repo}/deployments': (c) => {
      const repo = repoOf(c.params.owner!, c.params.repo!);
      const ref = String(c.body.ref);
      const d: FakeDeployment = {
        id: nextId++,
        ref,
        sha: /^[0-9a-f]{40}$/.test(ref) ? ref : '0'.repeat(40),
        environment: (c.body.environment as string | undefined) ?? 'production',
        payload: (c.body.payload as Json | string | undefined) ?? {},
        description: (c.body.description as string | undefined) ?? null,
        creator: c.login,
        createdAt: stamp(),
        statuses: [],
      };
      repo.deployments.push(d);
      return { status: 201, body: deploymentJson(repo, d) };
    },
    'GET /repos/{owner}/{repo}/deployments': (c) => {
      const repo = repoOf(c.params.owner!, c.params.repo!);
      const env = c.query.get('environment');
      const list = repo.deployments.filter((d) => !env || d.environment === env).reverse();
      const p = page(list, c.query, c.path);
      return {
        status: 200,
        body: p.items.map((d) => deploymentJson(repo, d)),
        headers: p.link ? { link: p.link } : ({} as Record<string, string>),
      };
    },
    'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses': (c) => {
      const repo = repoOf(c.params.owner!, c.params.repo!);
      const d = repo.deployments.find((x) => x.id === Number(c.params.deployment_id));
      if (!d) throw new HttpError(404, 'Not Found');
      const s = {
        id: nextId++,
        state: String(c.body.state),
        description: (c.body.description as string | undefined) ?? '',
        environmentUrl: (c.body.environment_url as string | undefined) ?? '',
        logUrl: (c.body.log_url as string | undefined) ?? '',
        creator: c.login,
        createdAt: stamp(),
      };
      d.statuses.push(s);
      return { status: 201, body: statusJson(repo, d, s) };
    },
    'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses': (c) => {
      const repo = repoOf(c.params.owner!, c.params.repo!);
      const d = repo.deployments.find((x) => x.id === Number(c.params.deployment_id));
      if (!d) throw new HttpError(404, 'Not Found');
      const p = page([...d.statuses].reverse(), c.query, c.path);
      return {
        status: 200,
        body: p.items.map((s) => statusJson(repo, d, s)),
        headers: p.link ? { link: p.link } : ({} as Record<string, string>),
      };
    },
  };

  function userPrivate(login: string): Json {
    const t = stamp();
    return {
      ...user(login),
      name: null,
      company: null,
      blog: null,
      location: null,
      email: null,
      hireable: null,
      bio: null,
      public_repos: 0,
      public_gists: 0,
      followers: 0,
      following: 0,
      created_at: t,
      updated_at: t,
    };
  }

  function laterStamp(after: string): string {
    const t = stamp();
    return t > after ? t : new Date(Date.parse(after) + 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  function findComment(repo: FakeRepo, id: number): FakeComment {
    for (const issue of repo.issues) {
      const c = issue.comments.find((x) => x.id === id);
      if (c) return c;
    }
    throw new HttpError(404, 'Not Found');
  }

  function postComment(repo: FakeRepo, number: number, login: string, body: string): FakeComment {
    const issue = issueOf(repo, number);
    const t = stamp();
    const comment: FakeComment = {
      id: nextId++,
      issue: number,
      user: login,
      body,
      createdAt: t,
      updatedAt: t,
    };
    issue.comments.push(comment);
    issue.updatedAt = t;
    return comment;
  }

  const rateHeaders = (entry: { used: number } | undefined): Record<string, string> => {
    const used = entry?.used ?? 0;
    return {
      'x-ratelimit-limit': String(RATE_LIMIT),
      'x-ratelimit-remaining': String(Math.max(0, RATE_LIMIT - used)),
      'x-ratelimit-used': String(used),
      'x-ratelimit-reset': String(Math.floor(now().getTime() / 1000) + 3600),
      'x-ratelimit-resource': 'core',
    };
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    let answer: Answer;
    let counted = true;
    const auth = /^(?:token|bearer)\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const token = auth?.[1];
    const entry = token ? tokens.get(token) : undefined;
    const match: OperationMatch | string | undefined = checker?.match(method, path);
    try {
      if (text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch {
          throw new HttpError(400, 'Problems parsing JSON');
        }
      }
      if (typeof match === 'string') violations.push(match);
      else if (match) {
        for (const v of checker!.checkRequest(match, url.searchParams, body, text.length > 0))
          violations.push(v);
      }
      if (!entry) throw new HttpError(401, 'Bad credentials');
      const fail = failures.find((f) => !f.path || f.path.test(path));
      if (fail) {
        fail.times = (fail.times ?? 1) - 1;
        if (fail.times <= 0) failures.splice(failures.indexOf(fail), 1);
        const headers: Record<string, string> = {};
        if (fail.retryAfter !== undefined) headers['retry-after'] = String(fail.retryAfter);
        const extra = rateHeaders(entry);
        if (fail.resetAfter !== undefined) {
          extra['x-ratelimit-remaining'] = '0';
          extra['x-ratelimit-reset'] = String(Math.floor(now().getTime() / 1000) + fail.resetAfter);
        }
        throw new HttpError(fail.status, 'API rate limit exceeded', { headers: { ...extra, ...headers } });
      }
      const template = typeof match === 'object' ? match.operation.template : undefined;
      const handler = template ? handlers[`${method} ${template}`] : undefined;
      if (!handler || typeof match !== 'object') throw new HttpError(404, 'Not Found');
      answer = handler({
        params: match.params,
        query: url.searchParams,
        body: (body ?? {}) as Json,
        login: entry.login,
        orgRead: entry.orgRead,
        userRead: entry.userRead,
        path,
      });
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      const { headers, ...rest } = err.extra as { headers?: Record<string, string> };
      answer = {
        status: err.status,
        body: { message: err.message, documentation_url: 'https://docs.github.com/rest', ...rest },
        headers,
      };
    }
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    let payload = answer.body === undefined ? '' : JSON.stringify(answer.body);
    if (method === 'GET' && answer.status === 200) {
      const etag = `W/"${createHash('sha256').update(payload).digest('hex').slice(0, 32)}"`;
      headers.etag = etag;
      const inm = req.headers['if-none-match'];
      if (inm && inm.split(/\s*,\s*/).includes(etag)) {
        answer = { status: 304, headers: answer.headers };
        payload = '';
        counted = false;
      }
    }
    if (answer.status === 401) counted = false;
    if (entry && counted) entry.used++;
    Object.assign(headers, rateHeaders(entry), answer.headers ?? {});
    if (typeof match === 'object' && answer.status !== 304)
      for (const v of checker!.checkResponse(match, answer.status, answer.body)) violations.push(v);
    calls.push({ method, path, query: url.search, status: answer.status, counted, token });
    res.writeHead(answer.status, headers);
    res.end(answer.status === 304 ? undefined : payload);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      violations.push(`fake failed: ${err instanceof Error ? err.stack : String(err)}`);
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'fake failed' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const requireRepo = (fullName: string): FakeRepo => {
    const repo = repos.get(fullName.toLowerCase());
    if (!repo) throw new Error(`no repository ${fullName} in the GitHub fake`);
    return repo;
  };

  return {
    url: base,
    users,
    repos,
    teams,
    calls,
    violations,
    addUser,
    addToken(token, login, o = {}) {
      addUser(login);
      tokens.set(token, {
        login: addUser(login).login,
        orgRead: o.orgRead ?? true,
        userRead: o.userRead ?? true,
        used: 0,
      });
    },
    addRepo(fullName, o = {}) {
      const [owner, name] = fullName.split('/') as [string, string];
      addUser(owner, { type: 'Organization' });
      const repo: FakeRepo = {
        id: nextId++,
        owner,
        name,
        fullName,
        issues: [],
        labels: new Map(),
        collaborators: new Map(),
        runs: new Map(),
        deployments: [],
      };
      for (const [login, permission] of Object.entries(o.collaborators ?? {})) {
        addUser(login);
        repo.collaborators.set(login.toLowerCase(), permission);
      }
      repos.set(fullName.toLowerCase(), repo);
      return repo;
    },
    setTeamMember(team, login, state) {
      addUser(login);
      const key = team.toLowerCase();
      let members = teams.get(key);
      if (!members) teams.set(key, (members = new Map()));
      if (state) members.set(login.toLowerCase(), state);
      else members.delete(login.toLowerCase());
    },
    addRun(fullName, run) {
      const repo = requireRepo(fullName);
      addUser(run.actor);
      const full: FakeRun = {
        triggeringActor: run.actor,
        event: 'workflow_dispatch',
        approvals: [],
        ...run,
      };
      addUser(full.triggeringActor);
      repo.runs.set(full.id, full);
      return full;
    },
    addComment(fullName, issue, login, body) {
      addUser(login);
      return postComment(requireRepo(fullName), issue, login, body);
    },
    editComment(fullName, commentId, body) {
      try {
        const c = findComment(requireRepo(fullName), commentId);
        c.body = body;
        c.updatedAt = laterStamp(c.createdAt);
      } catch {
        throw new Error(`no comment ${commentId} in ${fullName}`);
      }
    },
    issue(fullName, number) {
      const found = requireRepo(fullName).issues.find((i) => i.number === number);
      if (!found) throw new Error(`no issue ${number} in ${fullName}`);
      return found;
    },
    failNext(spec) {
      failures.push({ ...spec });
    },
    countedRequests(filter) {
      return calls.filter((c) => c.counted && (!filter || filter(c))).length;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
