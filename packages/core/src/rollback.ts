/**
 * Rollback planning (issue 13), pure: from an environment's ledger, what runs there now and the
 * request, decide what to roll back to — or that there is nothing to do, or why not. Every rule
 * answers with plain facts; the action does the I/O (registry check, retag, manifest commit).
 *
 *  - `to-version` given: that version as it last ran here (digest, image, source commit from the
 *    ledger), or a refusal when it never did.
 *  - otherwise: the newest earlier version whose latest verdict for that digest is `healthy`, not
 *    quarantined here, with another digest than the bad one; with `allowUnverified`, the newest
 *    earlier version with no verdict (never one found unhealthy) when no verified one exists.
 *  - idempotent: `from-version` moved away by a rollback already → nothing to do.
 *  - loop guard: the running version was placed by a rollback within `cooldown` and the request
 *    is automatic → refused, a person must decide (a person's `to-version` overrides).
 */
import { UserError } from './errors.js';
import {
  eventTime,
  lastPlacement,
  lastVerification,
  type Ledger,
  type PlacementEvent,
  type RollbackEvent,
  type VerificationEvent,
} from './ledger.js';
import { formatDuration } from './policy.js';
import { findQuarantined, type QuarantineEntry } from './quarantine.js';
import { sanitizeTrailerValue, TRAILERS } from './trailers.js';

export const DEFAULT_ROLLBACK_REASON = 'manual';

export interface RollbackRequest {
  service: string;
  environment: string;
  /** What the manifest says runs now (undefined when the service is not deployed there). */
  current?: { version?: string; digest?: string; image?: string; commit?: string };
  ledger: Ledger;
  quarantine: readonly QuarantineEntry[];
  toVersion?: string;
  fromVersion?: string;
  reason: string;
  /** Started by a workflow rather than a person; default: a reason other than `manual`. */
  automatic?: boolean;
  cooldownMs: number;
  allowUnverified: boolean;
  allowQuarantined?: boolean;
  now: Date;
}

export interface RollbackTarget {
  version: string;
  digest: string;
  image?: string;
  sourceCommit?: string;
  /** The ledger event that last put it in place here. */
  placedBy: PlacementEvent;
  /** Why this one: an explicit request, its healthy verdict, or taken unverified. */
  basis: 'to-version' | 'verified' | 'unverified';
  verification?: VerificationEvent;
}

export type RollbackDecision =
  | {
      kind: 'rollback';
      from: { version: string; digest: string };
      to: RollbackTarget;
      /** Versions passed over on the way, with why (for the summary). */
      skipped: { version: string; why: string }[];
    }
  | { kind: 'noop'; current: { version: string; digest: string }; message: string; rollback?: RollbackEvent }
  | { kind: 'refused'; rule: RollbackRule; message: string };

export type RollbackRule =
  | 'not-deployed'
  | 'from-version'
  | 'cooldown'
  | 'to-version-never-ran'
  | 'to-version-same-digest'
  | 'quarantine'
  | 'no-target';

function refuse(rule: RollbackRule, message: string): RollbackDecision {
  return { kind: 'refused', rule, message };
}

export function isAutomaticReason(reason: string): boolean {
  return reason.trim() !== '' && reason.trim() !== DEFAULT_ROLLBACK_REASON;
}

function shortDigest(digest: string): string {
  return `${digest.slice(0, 19)}…`;
}

function describePlacement(event: PlacementEvent): string {
  const how = event.kind === 'rollback' ? `a rollback from ${event.previousVersion}` : 'a promotion';
  return `${how} (${event.sha.slice(0, 12)}, ${event.date}${event.actor ? ` by ${event.actor}` : ''})`;
}

export function planRollback(req: RollbackRequest): RollbackDecision {
  const { service, environment, ledger } = req;
  const where = `${service} in ${environment}`;
  const cur = req.current;
  if (!cur?.version || !cur.digest)
    return refuse(
      'not-deployed',
      `${where} is not deployed (no version and digest in the manifest); there is nothing to roll back`,
    );
  const current = { version: cur.version, digest: cur.digest };
  const placed = lastPlacement(ledger, current.version, current.digest);

  // Idempotency: the version found bad is no longer running.
  if (req.fromVersion !== undefined && req.fromVersion !== current.version) {
    const by = placed?.kind === 'rollback' && placed.rollbackOf === req.fromVersion ? placed : undefined;
    if (by)
      return {
        kind: 'noop',
        current,
        rollback: by,
        message: `${where}: ${req.fromVersion} was already rolled back to ${current.version} by ${describePlacement(by)}; nothing to do`,
      };
    const how = placed ? ` (placed by ${describePlacement(placed)})` : '';
    return refuse(
      'from-version',
      `${where} runs ${current.version}${how}, not ${req.fromVersion}; no rollback moved ${req.fromVersion} away, so nothing is rolled back — check from-version`,
    );
  }

  // The same request again with an explicit target already in place.
  if (req.toVersion !== undefined && req.toVersion === current.version)
    return {
      kind: 'noop',
      current,
      ...(placed?.kind === 'rollback' ? { rollback: placed } : {}),
      message: `${where} already runs ${current.version} (${shortDigest(current.digest)}); nothing to do`,
    };

  // Loop guard: never roll back a rollback by itself.
  const automatic = req.automatic ?? isAutomaticReason(req.reason);
  if (placed?.kind === 'rollback' && automatic && req.toVersion === undefined) {
    const age = req.now.getTime() - eventTime(placed);
    if (!(age >= req.cooldownMs))
      return refuse(
        'cooldown',
        `${where} runs ${current.version}, put there by ${describePlacement(placed)} ${Number.isNaN(age) ? 'at an unknown time' : `${formatDuration(Math.max(0, age))} ago`}, within the cooldown (${formatDuration(req.cooldownMs)}); an automatic rollback (reason ${JSON.stringify(req.reason)}) does not undo a rollback — a person must decide: run it again with to-version`,
      );
  }

  const placedAt = placed ? ledger.events.indexOf(placed) : -1;
  const bad = current;

  if (req.toVersion !== undefined) {
    const target = lastPlacement(ledger, req.toVersion);
    if (!target)
      return refuse(
        'to-version-never-ran',
        `${service} ${req.toVersion} never ran in ${environment} (no promotion or rollback of it in the ledger of ${environment}); roll back only to a version that ran here`,
      );
    if (target.digest === bad.digest)
      return refuse(
        'to-version-same-digest',
        `${service} ${req.toVersion} ran in ${environment} as ${target.digest}, the digest running now (${bad.version}); rolling back to it changes nothing that runs`,
      );
    const q = findQuarantined(req.quarantine, service, { digest: target.digest });
    if (q && !req.allowQuarantined)
      return refuse(
        'quarantine',
        `${service} ${req.toVersion} (${shortDigest(target.digest)}) is quarantined in ${environment} since ${q.at} by ${q.by}: ${q.reason}; set allow-quarantined: true to roll back to it anyway`,
      );
    const verification = lastVerification(ledger, target.version, target.digest);
    return {
      kind: 'rollback',
      from: bad,
      to: toTarget(target, 'to-version', verification),
      skipped: [],
    };
  }

  // Earlier versions, newest first: placements older than the one that put the bad version in
  // place. One pass builds the newest placement and verdict of each version, so this stays linear.
  const newestPlacement = new Map<string, PlacementEvent>();
  const newestVerdict = new Map<string, VerificationEvent>();
  for (const event of ledger.events) {
    if (event.kind === 'promotion' || event.kind === 'rollback') {
      if (!newestPlacement.has(event.version)) newestPlacement.set(event.version, event);
    } else if (event.kind === 'verification') {
      const key = `${event.version}@${event.digest}`;
      if (!newestVerdict.has(key)) newestVerdict.set(key, event);
    }
  }
  const skipped: { version: string; why: string }[] = [];
  const seen = new Set<string>([bad.version]);
  let unverified: { event: PlacementEvent; verification?: VerificationEvent } | undefined;
  for (let i = placedAt + 1; i < ledger.events.length; i++) {
    const event = ledger.events[i]!;
    if (event.kind !== 'promotion' && event.kind !== 'rollback') continue;
    if (seen.has(event.version)) continue;
    seen.add(event.version);
    // The version as it last ran here (the newest placement of it), not this older event.
    const last = newestPlacement.get(event.version)!;
    if (last.digest === bad.digest) {
      skipped.push({ version: last.version, why: `same digest as ${bad.version}` });
      continue;
    }
    const q = findQuarantined(req.quarantine, service, { digest: last.digest });
    if (q) {
      skipped.push({ version: last.version, why: `quarantined at ${q.at}: ${q.reason}` });
      continue;
    }
    const verification = newestVerdict.get(`${last.version}@${last.digest}`);
    if (verification?.result === 'healthy')
      return { kind: 'rollback', from: bad, to: toTarget(last, 'verified', verification), skipped };
    if (verification?.result === 'unhealthy') {
      skipped.push({ version: last.version, why: `verified unhealthy (${verification.sha.slice(0, 12)})` });
      continue;
    }
    skipped.push({
      version: last.version,
      why: verification ? `verification ${verification.result}` : 'never verified',
    });
    unverified ??= { event: last, verification };
  }
  if (req.allowUnverified && unverified)
    return {
      kind: 'rollback',
      from: bad,
      to: toTarget(unverified.event, 'unverified', unverified.verification),
      skipped: skipped.filter((s) => s.version !== unverified.event.version),
    };
  const passed =
    skipped.length > 0 ? ` Passed over: ${skipped.map((s) => `${s.version} (${s.why})`).join('; ')}.` : '';
  const hint = unverified
    ? ' Set allow-unverified: true to take an unverified one, or name to-version.'
    : ' Name to-version to choose one.';
  return refuse(
    'no-target',
    `${where}: no earlier version verified healthy to roll back to from ${bad.version}.${passed}${hint} Nothing was changed.`,
  );
}

function toTarget(
  event: PlacementEvent,
  basis: RollbackTarget['basis'],
  verification: VerificationEvent | undefined,
): RollbackTarget {
  return {
    version: event.version,
    digest: event.digest,
    ...(event.image ? { image: event.image } : {}),
    ...(event.sourceCommit ? { sourceCommit: event.sourceCommit } : {}),
    placedBy: event,
    basis,
    ...(verification ? { verification } : {}),
  };
}

/** The registry must still hold the target's ledger digest under its version; a mismatch is refused. */
export function checkRegistryDigest(
  target: Pick<RollbackTarget, 'version' | 'digest'>,
  service: string,
  registryDigest: string | undefined,
): string | undefined {
  if (registryDigest === undefined)
    return `${service} ${target.version} is not in the registry (the ledger says ${target.digest}); it cannot be rolled back to`;
  if (registryDigest !== target.digest)
    return `${service} ${target.version} is ${registryDigest} in the registry but ran here as ${target.digest} (ledger); refusing to deploy something else under its name`;
  return undefined;
}

export interface RollbackRecord {
  service: string;
  environment: string;
  /** The target. */
  version: string;
  /** The bad version, rolled back. */
  previousVersion: string;
  digest: string;
  image?: string;
  sourceCommit?: string;
  reason: string;
  actor?: string;
  runUrl?: string;
}

/** `rollback(blue): 1.7.0 → 1.6.1 in production`. */
export function rollbackSubject(
  r: Pick<RollbackRecord, 'service' | 'version' | 'previousVersion' | 'environment'>,
): string {
  return sanitizeTrailerValue(
    `rollback(${r.service}): ${r.previousVersion} → ${r.version} in ${r.environment}`,
  );
}

/** The rollback commit message: subject, a sentence, the trailer block (read back by the ledger). */
export function rollbackMessage(r: RollbackRecord): string {
  const s = sanitizeTrailerValue;
  const reason = s(r.reason) || DEFAULT_ROLLBACK_REASON;
  for (const [name, value] of [
    ['service', r.service],
    ['environment', r.environment],
    ['version', r.version],
    ['previous version', r.previousVersion],
    ['digest', r.digest],
  ] as const)
    if (s(value) === '' || s(value) !== value)
      throw new UserError(
        `rollback message: the ${name} ${JSON.stringify(value)} is not a single clean value`,
      );
  const body = `Roll back ${r.service} in ${r.environment} from ${r.previousVersion} to ${r.version}: ${reason}.`;
  const trailers: [string, string | undefined][] = [
    [TRAILERS.service, r.service],
    [TRAILERS.environment, r.environment],
    [TRAILERS.version, r.version],
    [TRAILERS.previousVersion, r.previousVersion],
    [TRAILERS.digest, r.digest],
    [TRAILERS.image, r.image],
    [TRAILERS.sourceCommit, r.sourceCommit],
    ['Sd-Rollback', 'true'],
    ['Sd-Rollback-Of', r.previousVersion],
    ['Sd-Reason', reason],
    [TRAILERS.actor, r.actor],
    [TRAILERS.runUrl, r.runUrl],
  ];
  const lines = trailers
    .filter((t): t is [string, string] => t[1] !== undefined && s(t[1]) !== '')
    .map(([k, v]) => `${k}: ${s(v)}`);
  return `${rollbackSubject(r)}\n\n${body}\n\n${lines.join('\n')}\n`;
}
