/**
 * The approval gate's rules, pure: what a comment says, who may count, what the request decides,
 * the binding that ties a request to one artifact, and the texts the request shows. The GitHub
 * adapters fetch the facts (comments, memberships, permissions); this module judges them.
 */
import { show } from './errors.js';

// ---------------------------------------------------------------------------------------------
// Config: `approvals: number | { count, approvers, timeout, via }`

export type ApprovalVia = 'issue' | 'environment' | 'codepipeline';

export interface ApprovalPolicy {
  /** Distinct eligible approvals needed; 0 = no gate. */
  count: number;
  /** Listed GitHub logins, as written. Empty (with no teams) = the repository's writers. */
  users: string[];
  /** Listed `org/team` slugs. */
  teams: string[];
  timeout?: string;
  timeoutMs?: number;
  via: ApprovalVia;
}

export interface ApprovalSettingProblem {
  /** Key path below `approvals` (empty for the value itself). */
  path: (string | number)[];
  value: unknown;
  expected: string;
}

const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const TEAM = /^([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})\/([A-Za-z0-9][A-Za-z0-9_.-]{0,99})$/;
const DURATION = /^(?:\d+[smhdw])+$/;
const UNIT_MS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 };

function durationMs(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(/(\d+)([smhdw])/g)) ms += Number(m[1]) * (UNIT_MS[m[2]!] ?? 0);
  return ms;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 100;
}

/** Whether a listed approver is a team (`org/team`) rather than a login. */
export function isTeamApprover(entry: string): boolean {
  return entry.includes('/');
}

/**
 * Read an environment's `approvals` setting: a bare count (eligible = the repository's writers)
 * or `{ count, approvers, timeout, via }`. Returns the policy, or the first problem found.
 */
export function parseApprovalSetting(
  value: unknown,
): { policy: ApprovalPolicy } | { problem: ApprovalSettingProblem } {
  const fail = (path: (string | number)[], v: unknown, expected: string) => ({
    problem: { path, value: v, expected },
  });
  if (value === undefined || value === null)
    return { policy: { count: 0, users: [], teams: [], via: 'issue' } };
  if (typeof value === 'number' || typeof value !== 'object' || Array.isArray(value)) {
    if (!isCount(value)) return fail([], value, 'is not a whole number of approvals; expected 0..100');
    return { policy: { count: value, users: [], teams: [], via: 'issue' } };
  }
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o))
    if (!['count', 'approvers', 'timeout', 'via'].includes(key))
      return fail([key], key, 'is not a known key; expected count, approvers, timeout or via');
  const count = o.count ?? 1;
  if (!isCount(count)) return fail(['count'], o.count, 'is not a whole number of approvals; expected 0..100');
  const users: string[] = [];
  const teams: string[] = [];
  if (o.approvers !== undefined && o.approvers !== null) {
    if (!Array.isArray(o.approvers))
      return fail(['approvers'], o.approvers, 'is not a list; expected GitHub logins and org/team slugs');
    const seen = new Set<string>();
    for (const [i, entry] of o.approvers.entries()) {
      if (typeof entry !== 'string' || !(LOGIN.test(entry) || TEAM.test(entry)))
        return fail(['approvers', i], entry, 'is not a GitHub login or an org/team slug');
      if (seen.has(entry.toLowerCase())) return fail(['approvers', i], entry, 'is listed twice');
      seen.add(entry.toLowerCase());
      (isTeamApprover(entry) ? teams : users).push(entry);
    }
  }
  let timeout: string | undefined;
  let timeoutMs: number | undefined;
  if (o.timeout !== undefined && o.timeout !== null) {
    timeout = String(o.timeout);
    timeoutMs = durationMs(timeout);
    if (timeoutMs === undefined || timeoutMs === 0)
      return fail(
        ['timeout'],
        o.timeout,
        'is not a duration; expected a number with a unit, like 30m, 24h or 2d',
      );
  }
  const via = o.via ?? 'issue';
  if (via !== 'issue' && via !== 'environment' && via !== 'codepipeline')
    return fail(['via'], via, 'is not a way to approve; expected issue, environment or codepipeline');
  if (via === 'environment' && count > 1)
    return fail(
      ['count'],
      count,
      'is more than one approval with via: environment; a GitHub environment releases a job on one reviewer (use via: issue for more)',
    );
  if (teams.length === 0 && users.length > 0 && count > users.length)
    return fail(
      ['count'],
      count,
      `is more approvals than the ${users.length} listed approver${users.length === 1 ? '' : 's'} can give; lower count or list more approvers`,
    );
  return { policy: { count, users, teams, timeout, timeoutMs, via } };
}

// ---------------------------------------------------------------------------------------------
// Votes

export type Vote = 'approve' | 'deny';

const APPROVE = new Set(['approve', 'approved', 'lgtm', '/approve']);
const DENY = new Set(['deny', 'denied', 'reject', '/deny']);

/** A comment's vote: its whole text (trimmed, any case, trailing `.`/`!` allowed) is the word. */
export function parseVote(text: string): Vote | undefined {
  const word = text
    .trim()
    .replace(/[.!]+$/, '')
    .trim()
    .toLowerCase();
  if (APPROVE.has(word)) return 'approve';
  if (DENY.has(word)) return 'deny';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Decision

export interface ApprovalComment {
  id: number;
  author: string;
  body: string;
  createdAt: string;
  updatedAt: string;
}

export type IgnoredReason = 'edited' | 'requester' | 'not-eligible' | 'replaced' | 'binding-author';

export interface ApprovalDecisionInput {
  comments: readonly ApprovalComment[];
  count: number;
  /** Whether a login may approve (the adapters resolve listed logins, teams and permissions). */
  isEligible: (login: string) => boolean;
  /** The run's actor and triggering actor that opened the request: never counted. */
  excluded: readonly string[];
  /** The author of the binding (the gate's own token user): its comments are never votes. */
  bindingAuthor?: string;
  /** For timeouts: the request's creation, the timeout, and now (ms since the epoch). */
  createdAtMs?: number;
  timeoutMs?: number;
  nowMs?: number;
}

export type ApprovalStatus = 'approved' | 'denied' | 'pending' | 'timed-out';

export interface ApprovalDecision {
  status: ApprovalStatus;
  /** Logins whose latest counting vote approves, in the order they voted. */
  approvers: string[];
  /** Logins whose latest counting vote denies. */
  deniers: string[];
  /** Votes that did not count, and why. */
  ignored: { login: string; commentId: number; reason: IgnoredReason }[];
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Judge a request's comments by the gate's rules. */
export function decideApproval(input: ApprovalDecisionInput): ApprovalDecision {
  const ignored: ApprovalDecision['ignored'] = [];
  const latest = new Map<string, { login: string; vote: Vote; comment: ApprovalComment }>();
  const ordered = [...input.comments].sort((a, b) =>
    a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id - b.id,
  );
  for (const comment of ordered) {
    const vote = parseVote(comment.body);
    if (!vote) continue;
    const login = comment.author;
    let reason: IgnoredReason | undefined;
    if (input.bindingAuthor && same(login, input.bindingAuthor)) reason = 'binding-author';
    else if (input.excluded.some((x) => x && same(x, login))) reason = 'requester';
    else if (comment.updatedAt !== comment.createdAt) reason = 'edited';
    else if (!input.isEligible(login)) reason = 'not-eligible';
    if (reason) {
      ignored.push({ login, commentId: comment.id, reason });
      continue;
    }
    const key = login.toLowerCase();
    const before = latest.get(key);
    if (before) ignored.push({ login, commentId: before.comment.id, reason: 'replaced' });
    latest.set(key, { login, vote, comment });
  }
  const votes = [...latest.values()].sort((a, b) =>
    a.comment.createdAt < b.comment.createdAt
      ? -1
      : a.comment.createdAt > b.comment.createdAt
        ? 1
        : a.comment.id - b.comment.id,
  );
  const approvers = votes.filter((v) => v.vote === 'approve').map((v) => v.login);
  const deniers = votes.filter((v) => v.vote === 'deny').map((v) => v.login);
  let status: ApprovalStatus;
  if (deniers.length > 0) status = 'denied';
  else if (approvers.length >= input.count) status = 'approved';
  else if (
    input.timeoutMs !== undefined &&
    input.createdAtMs !== undefined &&
    input.nowMs !== undefined &&
    input.nowMs >= input.createdAtMs + input.timeoutMs
  )
    status = 'timed-out';
  else status = 'pending';
  return { status, approvers, deniers, ignored };
}

/** Whether a login is eligible by a policy's lists (teams resolved by the caller's `activeTeams`). */
export function listedEligible(
  policy: ApprovalPolicy,
  login: string,
  activeTeams: readonly string[] = [],
): boolean {
  if (policy.users.some((u) => same(u, login))) return true;
  return policy.teams.some((t) => activeTeams.some((a) => same(a, t)));
}

// ---------------------------------------------------------------------------------------------
// The binding: what was asked to be approved, kept where the issue's text cannot rewrite it

export interface ApprovalBinding {
  service: string;
  environment: string;
  version: string;
  digest: string;
  /** The actor and triggering actor of the run that opened the request. */
  requester: string;
  triggeringActor: string;
  /** The run that asked (URL). */
  run: string;
  from?: string;
  /** When the request was made (ISO 8601); timeouts count from here. */
  requestedAt: string;
}

const BINDING_MARK = 'sd-approval-binding';
const BINDING_RE = new RegExp(`<!--\\s*${BINDING_MARK}\\s+([A-Za-z0-9+/=]+)\\s*-->`);

/** The comment the gate posts first on its request: readable text plus the binding, encoded. */
export function renderBindingComment(b: ApprovalBinding): string {
  const encoded = Buffer.from(JSON.stringify(b), 'utf8').toString('base64');
  return [
    `This request approves exactly one artifact: \`${b.service}\` \`${b.version}\` (\`${b.digest}\`) for \`${b.environment}\`.`,
    `Asked by \`${b.requester}\`${same(b.triggeringActor, b.requester) ? '' : ` (triggered by \`${b.triggeringActor}\`)`} in ${b.run} at ${b.requestedAt}.`,
    'Editing the issue does not change what is approved: this comment is the record.',
    '',
    `<!-- ${BINDING_MARK} ${encoded} -->`,
  ].join('\n');
}

function parseBindingText(body: string): ApprovalBinding | undefined {
  const m = BINDING_RE.exec(body);
  if (!m) return undefined;
  try {
    const v = JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8')) as Record<string, unknown>;
    const fields = [
      'service',
      'environment',
      'version',
      'digest',
      'requester',
      'triggeringActor',
      'run',
      'requestedAt',
    ];
    if (!fields.every((f) => typeof v[f] === 'string')) return undefined;
    if (v.from !== undefined && typeof v.from !== 'string') return undefined;
    return v as unknown as ApprovalBinding;
  } catch {
    return undefined;
  }
}

/**
 * The request's binding: the first comment by one of the trusted authors (the token's user that
 * opens requests), which must be unedited and carry a binding. Anything else is a problem, so a
 * request whose record was tampered with can never be approved.
 */
export function readBinding(
  comments: readonly ApprovalComment[],
  trustedAuthors: readonly string[],
): { binding: ApprovalBinding; comment: ApprovalComment } | { problem: string } {
  const first = comments.find((c) => trustedAuthors.some((t) => same(t, c.author)));
  if (!first)
    return {
      problem: `it has no binding comment by ${trustedAuthors.map((t) => show(t)).join(' or ')} (not a request this gate opened)`,
    };
  if (first.updatedAt !== first.createdAt)
    return {
      problem: `its binding comment ${first.id} was edited after it was posted, so it cannot be trusted`,
    };
  const binding = parseBindingText(first.body);
  if (!binding)
    return { problem: `its first comment by ${show(first.author)} (${first.id}) carries no binding` };
  return { binding, comment: first };
}

/** Differences between what a request was bound to and what is about to be promoted. */
export function bindingMismatches(
  binding: ApprovalBinding,
  expected: { service: string; environment: string; digest: string; version?: string },
): string[] {
  const out: string[] = [];
  if (binding.service !== expected.service)
    out.push(`it approves service ${show(binding.service)}, not ${show(expected.service)}`);
  if (binding.environment !== expected.environment)
    out.push(`it approves environment ${show(binding.environment)}, not ${show(expected.environment)}`);
  if (binding.digest !== expected.digest)
    out.push(`it approves digest ${binding.digest}, not ${expected.digest}`);
  if (expected.version !== undefined && binding.version !== expected.version)
    out.push(`it approves version ${show(binding.version)}, not ${show(expected.version)}`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Texts

export function approvalTitle(r: { service: string; version: string; environment: string }): string {
  return `Approve ${r.service} ${r.version} for ${r.environment}`;
}

export interface ApprovalBodyInput {
  binding: ApprovalBinding;
  count: number;
  /** Who may approve, for people: listed logins and teams, or a description. */
  approvers: string[];
  /** Commits since the version now running in the target environment. */
  commits?: { sha: string; subject: string }[];
  /** How many commits there are in all, when `commits` lists only the first ones. */
  totalCommits?: number;
  /** The version now running in the target environment. */
  currentVersion?: string;
  timeout?: string;
}

/** Keep text from git or config inert in Markdown: no mentions, no HTML, one line. */
function inert(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;'))
    .replace(/@/g, '@\u200b')
    .slice(0, 200);
}

export function renderApprovalBody(input: ApprovalBodyInput): string {
  const b = input.binding;
  const who =
    input.approvers.length > 0
      ? input.approvers.map((a) => `\`${a}\``).join(', ')
      : 'collaborators with write, maintain or admin permission';
  const lines = [
    `**${b.service}** \`${b.version}\` is waiting to be promoted to **${b.environment}**${b.from ? ` from **${b.from}**` : ''}.`,
    '',
    '| | |',
    '|---|---|',
    `| Service | \`${b.service}\` |`,
    `| Version | \`${b.version}\`${input.currentVersion ? ` (now \`${input.currentVersion}\`)` : ''} |`,
    `| Digest | \`${b.digest}\` |`,
    `| Environment | \`${b.environment}\`${b.from ? ` (from \`${b.from}\`)` : ''} |`,
    `| Asked by | \`${b.requester}\` in ${b.run} |`,
    `| Approvals needed | ${input.count} from ${who} |`,
  ];
  if (input.timeout) lines.push(`| Times out | ${input.timeout} after ${b.requestedAt} |`);
  if (input.commits && input.commits.length > 0) {
    lines.push(
      '',
      `### Commits since ${input.currentVersion ? `\`${input.currentVersion}\`` : 'the running version'}`,
      '',
    );
    const shown = input.commits.slice(0, 50);
    for (const c of shown) lines.push(`- \`${c.sha.slice(0, 7)}\` ${inert(c.subject)}`);
    const total = Math.max(input.totalCommits ?? 0, input.commits.length);
    if (total > shown.length) lines.push(`- … and ${total - shown.length} more`);
  }
  lines.push(
    '',
    '### How to answer',
    '',
    'Comment with only `approve` (or `approved`, `lgtm`, `/approve`) to approve, or `deny` (or `denied`, `reject`, `/deny`) to deny.',
    'Edited comments do not count; your latest answer is your vote; the person who asked cannot approve. Any denial stops the promotion.',
  );
  return lines.join('\n');
}

export function renderOutcomeComment(decision: ApprovalDecision, count: number): string {
  const list = (xs: string[]) => xs.map((x) => `\`${x}\``).join(', ');
  switch (decision.status) {
    case 'approved':
      return `Approved by ${list(decision.approvers)} (${decision.approvers.length} of ${count} needed). Closing this request.`;
    case 'denied':
      return `Denied by ${list(decision.deniers)}. The promotion will not run. Closing this request.`;
    case 'timed-out':
      return `Timed out with ${decision.approvers.length} of ${count} approvals${decision.approvers.length ? ` (${list(decision.approvers)})` : ''}. Closing this request.`;
    default:
      return `Waiting: ${decision.approvers.length} of ${count} approvals${decision.approvers.length ? ` (${list(decision.approvers)})` : ''}.`;
  }
}

/** Whether an issue title is the request title for this service and environment (any version). */
export function isApprovalTitleFor(title: string, service: string, environment: string): boolean {
  const prefix = `Approve ${service} `;
  const suffix = ` for ${environment}`;
  if (!title.startsWith(prefix) || !title.endsWith(suffix)) return false;
  return /^\S+$/.test(title.slice(prefix.length, title.length - suffix.length));
}

/** The comment that closes a request left without its binding (a run ended between the two writes). */
export function renderOrphanComment(next?: { url: string }): string {
  return `This request has no binding comment: the run that opened it ended before recording what it approves, so no answer here can count. Closing it${next ? `; the request is now ${next.url}` : ''}.`;
}

export function renderSupersededComment(next: { digest: string; version: string; url?: string }): string {
  return `Superseded: a newer request asks for \`${next.version}\` (\`${next.digest}\`)${next.url ? `: ${next.url}` : ''}. Approvals here do not carry over. Closing this request.`;
}
