/**
 * The deployment ledger (DESIGN.md §2.3): the commits of an environment branch, read back into
 * typed events. One commit is one event, told apart by its trailers:
 *
 *   rollback      `Sd-Rollback: true` + `Sd-Rollback-Of`, `Sd-Previous-Version`, `Sd-Reason`
 *   verification  `Sd-Verification: healthy|unhealthy|inconclusive`
 *   promotion     `Sd-Service`, `Sd-Environment`, `Sd-Version`, `Sd-Digest` (+ image, source commit, …)
 *
 * Approval evidence (`Sd-Approved-By`, `Sd-Approval`) and overrides (`Sd-Override`,
 * `Sd-Override-Reason`) are written on the promotion (or rollback) commit they allowed, so they
 * are read as part of that event. Every value is checked strictly (digest, commit SHA, version,
 * run URL, single-valued keys): a record that fails is kept as `malformed` with its problems, so
 * callers can report it, and is never used to choose what runs. Commits without `Sd-` trailers
 * (the branch's first commit, hand edits) are not events. Pure: the git side lives in
 * `@sd-actions/gitops` (`readLedger`).
 */
import { splitCommitMessage, TRAILERS } from './trailers.js';
import { classifyVersion, COMMIT_SHA_PATTERN, DIGEST_PATTERN } from './versions.js';
import { VERIFICATION_RESULTS, type VerificationResult } from './verify-judge.js';

/** The trailer keys the ledger reads, beyond the promotion ones in TRAILERS. */
export const LEDGER_TRAILERS = {
  ...TRAILERS,
  verification: 'Sd-Verification',
  rollback: 'Sd-Rollback',
  rollbackOf: 'Sd-Rollback-Of',
  reason: 'Sd-Reason',
  approvedBy: 'Sd-Approved-By',
  approval: 'Sd-Approval',
  override: 'Sd-Override',
  overrideReason: 'Sd-Override-Reason',
} as const;

/** One commit as read from git (see gitops `readLedger`). */
export interface LedgerCommit {
  sha: string;
  subject: string;
  authorName?: string;
  authorEmail?: string;
  /** When the commit landed on the branch (committer date, ISO 8601). */
  date: string;
  /** The trailer block, `Key: value` lines (git's `%(trailers:unfold)` output). */
  trailers: string;
  /** The message body, when it was read: a verification's `Reason:` line is there. */
  body?: string;
}

interface EventBase {
  sha: string;
  subject: string;
  /** ISO 8601, from the commit. */
  date: string;
  /** Sd-Actor, else the commit author's name. */
  actor?: string;
  runUrl?: string;
  service: string;
  environment: string;
  version: string;
  digest: string;
}

export interface ApprovalEvidence {
  approvedBy: string[];
  /** The approval request (issue URL) or other reference. */
  approval?: string;
}

export interface OverrideEvidence {
  /** The rules overridden, e.g. ["min-soak"]. */
  rules: string[];
  reason: string;
}

export interface PromotionEvent extends EventBase {
  kind: 'promotion';
  previousVersion?: string;
  image?: string;
  sourceCommit?: string;
  fromEnvironment?: string;
  approval?: ApprovalEvidence;
  override?: OverrideEvidence;
}

export interface VerificationEvent extends EventBase {
  kind: 'verification';
  result: VerificationResult;
  /** The one-line reason from the message body (only when the body was read). */
  reason?: string;
}

export interface RollbackEvent extends EventBase {
  kind: 'rollback';
  /** The version that was running and was rolled back (Sd-Previous-Version). */
  previousVersion: string;
  /** The version found bad (Sd-Rollback-Of); normally equal to previousVersion. */
  rollbackOf: string;
  reason: string;
  image?: string;
  sourceCommit?: string;
  approval?: ApprovalEvidence;
  override?: OverrideEvidence;
}

export interface MalformedEvent {
  kind: 'malformed';
  sha: string;
  subject: string;
  date: string;
  /** What the record claims, when readable (for filtering by service). */
  service?: string;
  problems: string[];
}

export type LedgerEvent = PromotionEvent | VerificationEvent | RollbackEvent | MalformedEvent;
/** An event that put a version in place. */
export type PlacementEvent = PromotionEvent | RollbackEvent;

export interface Ledger {
  environment: string;
  /** Newest first, as `git log` lists them; only events of `service` when one was given. */
  events: LedgerEvent[];
  /** The malformed records among them, for a warning. */
  malformed: MalformedEvent[];
}

const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;
const TRAILER_KEY = /^[A-Za-z0-9-]+$/;
const RUN_URL = /^https?:\/\/[^\s]+$/;
const OVERRIDE_RULE = /^[a-z][a-z0-9-]{0,40}$/;
const ACTOR = /^[^\u0000-\u001f\u007f]{1,200}$/;

/** `Key: value` lines → lowercase key → values (in order). Continuation lines are joined. */
export function parseTrailerBlock(block: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let lastKey: string | undefined;
  for (const raw of block.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon > 0 && TRAILER_KEY.test(line.slice(0, colon))) {
      lastKey = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      const values = out.get(lastKey);
      if (values) values.push(value);
      else out.set(lastKey, [value]);
    } else if (lastKey && (line.startsWith(' ') || line.startsWith('\t'))) {
      const values = out.get(lastKey)!;
      values[values.length - 1] = `${values[values.length - 1]} ${line.trim()}`.trim();
    }
  }
  return out;
}

class RecordReader {
  readonly problems: string[] = [];
  constructor(private readonly trailers: Map<string, string[]>) {}

  /** The one value of a key; two different values are a problem (a forged or broken record). */
  get(key: string): string | undefined {
    const values = this.trailers.get(key.toLowerCase());
    if (!values || values.length === 0) return undefined;
    if (values.length > 1 && new Set(values).size > 1) {
      this.problems.push(
        `${key} has ${values.length} different values (${values.map((v) => JSON.stringify(v)).join(', ')})`,
      );
      return undefined;
    }
    // Control characters could forge log lines or workflow commands when the value is shown.
    if (/[\u0000-\u001f\u007f]/.test(values[0]!)) {
      this.problems.push(`${key} ${JSON.stringify(values[0])} contains control characters`);
      return undefined;
    }
    return values[0];
  }

  require(key: string, check: (v: string) => boolean, expected: string): string | undefined {
    const value = this.get(key);
    if (value === undefined) {
      if (!this.problems.some((p) => p.startsWith(`${key} `))) this.problems.push(`${key} is missing`);
      return undefined;
    }
    if (!check(value)) {
      this.problems.push(`${key} ${JSON.stringify(value)} is not ${expected}`);
      return undefined;
    }
    return value;
  }

  optional(key: string, check: (v: string) => boolean, expected: string): string | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    if (!check(value)) {
      this.problems.push(`${key} ${JSON.stringify(value)} is not ${expected}`);
      return undefined;
    }
    return value;
  }
}

const isVersion = (v: string) => classifyVersion(v) !== undefined;
const VERSION_EXPECTED = 'a version (semver like 1.2.3 or a build tag like sha-abc1234)';

function hasLedgerTrailer(trailers: Map<string, string[]>): boolean {
  for (const key of trailers.keys()) if (key.startsWith('sd-')) return true;
  return false;
}

/**
 * One commit → one event, or undefined when it carries no `Sd-` trailer at all. `environment` is
 * the branch's environment: a record that names another one is malformed (copied or forged).
 */
export function parseLedgerCommit(commit: LedgerCommit, environment: string): LedgerEvent | undefined {
  return readRecord(commit, { environment, dated: true });
}

/**
 * A whole commit message (subject, body, trailers) → the event it records, by the same rules as
 * the ledger, with a verification's reason from the body. Without `environment` any environment
 * name is accepted. There is no commit date to check, so the event's date is ''.
 */
export function parseLedgerMessage(
  message: string,
  environment?: string,
  options: { verificationWithoutDigest?: boolean } = {},
): LedgerEvent | undefined {
  const { subject, body, trailers } = splitCommitMessage(message);
  return readRecord(
    { sha: '', subject, date: '', trailers, body },
    { environment, dated: false, ...options },
  );
}

interface ReadScope {
  /** The branch's environment; undefined accepts any environment name. */
  environment?: string;
  /** Whether the commit date is known (and so checked). */
  dated: boolean;
  /**
   * Read a verification without `Sd-Digest` too (its digest is then ''): verify-deployment records
   * one for a version it could not pin, and a re-run must recognise it. The ledger never trusts one.
   */
  verificationWithoutDigest?: boolean;
}

const VERIFICATION_REASON = /^Reason: (.*)$/m;
const DIGEST_RULE = [
  LEDGER_TRAILERS.digest,
  (v: string) => DIGEST_PATTERN.test(v),
  'a digest like sha256:<64 hex>',
] as const;

function readRecord(commit: LedgerCommit, scope: ReadScope): LedgerEvent | undefined {
  const trailers = parseTrailerBlock(commit.trailers);
  if (!hasLedgerTrailer(trailers)) return undefined;
  const r = new RecordReader(trailers);
  const T = LEDGER_TRAILERS;
  const { environment } = scope;
  const service = r.require(T.service, (v) => NAME.test(v), 'a service name');
  const env = r.require(
    T.environment,
    environment === undefined ? (v) => NAME.test(v) : (v) => v === environment,
    environment === undefined ? 'an environment name' : `this branch's environment (${environment})`,
  );
  const version = r.require(T.version, isVersion, VERSION_EXPECTED);
  const isVerification = trailers.has(T.verification.toLowerCase());
  const digest =
    isVerification && scope.verificationWithoutDigest
      ? (r.optional(...DIGEST_RULE) ?? '')
      : r.require(...DIGEST_RULE);
  const runUrl = r.optional(T.runUrl, (v) => RUN_URL.test(v), 'an http(s) URL');
  const actor =
    r.optional(T.actor, (v) => ACTOR.test(v), 'a name') ??
    (commit.authorName && ACTOR.test(commit.authorName) ? commit.authorName : undefined);
  const rollbackFlag = r.optional(T.rollback, (v) => v === 'true', '"true"');
  const verification = r.optional(
    T.verification,
    (v) => (VERIFICATION_RESULTS as readonly string[]).includes(v),
    VERIFICATION_RESULTS.join(', '),
  ) as VerificationResult | undefined;
  const isRollback = trailers.has(T.rollback.toLowerCase());
  if (isRollback && isVerification) r.problems.push(`${T.rollback} and ${T.verification} on one commit`);
  if (scope.dated && date(commit.date) === undefined)
    r.problems.push(`the commit date ${JSON.stringify(commit.date)} is not ISO 8601`);

  // Trailers shared by placements (promotions and rollbacks).
  let image: string | undefined;
  let sourceCommit: string | undefined;
  let approval: ApprovalEvidence | undefined;
  let override: OverrideEvidence | undefined;
  if (!isVerification) {
    image = r.optional(T.image, (v) => /^[^\u0000-\u001f\u007f@]+$/.test(v), 'an image repository');
    sourceCommit = r.optional(
      T.sourceCommit,
      (v) => COMMIT_SHA_PATTERN.test(v),
      'a full 40-character commit SHA',
    );
    const approvers = trailers.get(T.approvedBy.toLowerCase());
    const approvalRef = r.optional(
      T.approval,
      (v) => RUN_URL.test(v) || /^#?\d+$/.test(v),
      'an approval URL or issue number',
    );
    if (approvers || approvalRef) {
      const names = (approvers ?? [])
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter(Boolean);
      const bad = names.filter((n) => !/^[A-Za-z0-9][A-Za-z0-9/_.-]*$/.test(n));
      if (bad.length > 0)
        r.problems.push(
          `${T.approvedBy} names ${bad.map((b) => JSON.stringify(b)).join(', ')}, not GitHub logins`,
        );
      if (names.length === 0) r.problems.push(`${T.approval} without ${T.approvedBy}`);
      approval = { approvedBy: names, ...(approvalRef ? { approval: approvalRef } : {}) };
    }
    const overrideRules = r.get(T.override);
    const overrideReason = r.get(T.overrideReason);
    if (overrideRules !== undefined || overrideReason !== undefined) {
      const rules = (overrideRules ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);
      if (rules.length === 0 || !rules.every((rule) => OVERRIDE_RULE.test(rule)))
        r.problems.push(
          `${T.override} ${JSON.stringify(overrideRules ?? '')} does not name rules like min-soak`,
        );
      if (!overrideReason) r.problems.push(`${T.override} without ${T.overrideReason}`);
      override = { rules, reason: overrideReason ?? '' };
    }
  }

  const malformed = (): MalformedEvent => {
    const m: MalformedEvent = {
      kind: 'malformed',
      sha: commit.sha,
      subject: commit.subject,
      date: commit.date,
      problems: r.problems,
    };
    if (service) m.service = service;
    return m;
  };
  if (r.problems.length > 0 || !service || !env || !version || digest === undefined) return malformed();
  // Plain assignments, no conditional spreads: this runs once per commit of a long history.
  const common: EventBase = {
    sha: commit.sha,
    subject: commit.subject,
    date: commit.date,
    service,
    environment: env,
    version,
    digest,
  };
  if (actor) common.actor = actor;
  if (runUrl) common.runUrl = runUrl;
  if (isVerification) {
    const event: VerificationEvent = Object.assign(common, {
      kind: 'verification' as const,
      result: verification!,
    });
    const reason = commit.body === undefined ? undefined : VERIFICATION_REASON.exec(commit.body)?.[1]?.trim();
    if (reason) event.reason = reason;
    return event;
  }
  const placement: Pick<PromotionEvent, 'image' | 'sourceCommit' | 'approval' | 'override'> = {};
  if (image) placement.image = image;
  if (sourceCommit) placement.sourceCommit = sourceCommit;
  if (approval) placement.approval = approval;
  if (override) placement.override = override;
  if (isRollback && rollbackFlag === 'true') {
    const previousVersion = r.require(T.previousVersion, isVersion, VERSION_EXPECTED);
    const rollbackOf = r.require(T.rollbackOf, isVersion, VERSION_EXPECTED);
    const reason = r.require(T.reason, (v) => v.length > 0, 'a reason');
    if (!previousVersion || !rollbackOf || !reason || r.problems.length > 0) return malformed();
    return Object.assign(common, placement, {
      kind: 'rollback' as const,
      previousVersion,
      rollbackOf,
      reason,
    });
  }
  const previousVersion = r.optional(
    T.previousVersion,
    (v) => isVersion(v) || v === 'none',
    VERSION_EXPECTED,
  );
  const fromEnvironment = r.optional(T.fromEnvironment, (v) => NAME.test(v), 'an environment name');
  if (r.problems.length > 0) return malformed();
  const promotion: PromotionEvent = Object.assign(common, placement, { kind: 'promotion' as const });
  if (previousVersion && previousVersion !== 'none') promotion.previousVersion = previousVersion;
  if (fromEnvironment) promotion.fromEnvironment = fromEnvironment;
  return promotion;
}

function date(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The time of an event in milliseconds (NaN when its date is unreadable). */
export function eventTime(event: Pick<LedgerEvent, 'date'>): number {
  return date(event.date) ?? NaN;
}

/**
 * Commits of an environment branch (newest first, as `git log` lists them) → its ledger, for one
 * service when `service` is given.
 */
export function parseLedger(commits: readonly LedgerCommit[], environment: string, service?: string): Ledger {
  const events: LedgerEvent[] = [];
  for (const commit of commits) {
    const event = parseLedgerCommit(commit, environment);
    if (!event) continue;
    if (service !== undefined && event.service !== service) continue;
    events.push(event);
  }
  return {
    environment,
    events,
    malformed: events.filter((e): e is MalformedEvent => e.kind === 'malformed'),
  };
}

/** The newest event that put this version (and digest, when given) in place. */
export function lastPlacement(ledger: Ledger, version: string, digest?: string): PlacementEvent | undefined {
  for (const event of ledger.events)
    if (
      (event.kind === 'promotion' || event.kind === 'rollback') &&
      event.version === version &&
      (digest === undefined || event.digest === digest)
    )
      return event;
  return undefined;
}

/** The newest verdict recorded for exactly this version and digest. */
export function lastVerification(
  ledger: Ledger,
  version: string,
  digest: string,
): VerificationEvent | undefined {
  for (const event of ledger.events)
    if (event.kind === 'verification' && event.version === version && event.digest === digest) return event;
  return undefined;
}

/** How the status matrix marks a running version: its newest verdict, or none. */
export type VerificationMark = VerificationResult | 'unverified';

export function verificationMark(ledger: Ledger, version: string, digest: string): VerificationMark {
  return lastVerification(ledger, version, digest)?.result ?? 'unverified';
}

/** One line of `status --history`: what happened, to what, who and when (JSON-friendly). */
export interface HistoryRow {
  date: string;
  kind: 'promotion' | 'verification' | 'rollback' | 'approval' | 'override' | 'malformed';
  service?: string;
  version?: string;
  digest?: string;
  actor?: string;
  detail: string;
  commit: string;
  runUrl?: string;
}

/**
 * The ledger as history rows, newest first. Approval evidence and overrides get rows of their own
 * right after the event they allowed, so a reader sees who approved and what was overridden.
 */
export function ledgerHistory(ledger: Ledger): HistoryRow[] {
  const rows: HistoryRow[] = [];
  for (const e of ledger.events) {
    if (e.kind === 'malformed') {
      rows.push({
        date: e.date,
        kind: 'malformed',
        ...(e.service ? { service: e.service } : {}),
        detail: `not trusted: ${e.problems.join('; ')}`,
        commit: e.sha,
      });
      continue;
    }
    const base = {
      date: e.date,
      service: e.service,
      version: e.version,
      digest: e.digest,
      ...(e.actor ? { actor: e.actor } : {}),
      commit: e.sha,
      ...(e.runUrl ? { runUrl: e.runUrl } : {}),
    };
    if (e.kind === 'verification') {
      rows.push({ ...base, kind: 'verification', detail: `${e.version} verified ${e.result}` });
      continue;
    }
    const detail =
      e.kind === 'rollback'
        ? `rolled back from ${e.previousVersion} to ${e.version}: ${e.reason}`
        : `promoted ${e.version}${e.fromEnvironment ? ` from ${e.fromEnvironment}` : ''}${e.previousVersion ? ` (was ${e.previousVersion})` : ''}`;
    rows.push({ ...base, kind: e.kind, detail });
    if (e.approval)
      rows.push({
        ...base,
        kind: 'approval',
        detail: `approved by ${e.approval.approvedBy.join(', ')}${e.approval.approval ? ` (${e.approval.approval})` : ''}`,
      });
    if (e.override)
      rows.push({
        ...base,
        kind: 'override',
        detail: `overrode ${e.override.rules.join(', ')}: ${e.override.reason}`,
      });
  }
  return rows;
}

/** The history as aligned plain text for a terminal. */
export function renderHistoryText(rows: readonly HistoryRow[]): string {
  if (rows.length === 0) return 'No ledger records.\n';
  const cells = rows.map((r) => [
    r.date,
    r.kind,
    r.service ?? '?',
    r.actor ?? '',
    r.commit.slice(0, 12),
    r.detail,
  ]);
  const widths = [0, 1, 2, 3, 4].map((c) => Math.max(...cells.map((row) => row[c]!.length)));
  return (
    cells.map((row) => row.map((cell, c) => (c < 5 ? cell.padEnd(widths[c]!) : cell)).join('  ')).join('\n') +
    '\n'
  );
}
