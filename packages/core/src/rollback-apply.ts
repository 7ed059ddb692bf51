/**
 * The manifest half of a rollback (issue 13), pure: given the environment manifest's text as it
 * is at the branch tip now, restore the service's entry to the target and record the bad version
 * in the quarantine section — in one text, so one commit does both. Before editing it checks that
 * the entry is still what the plan started from: a promotion (or another rollback) of the same
 * service that landed in between is a conflict, never overwritten.
 */
import { UserError } from './errors.js';
import { lastPlacement, type Ledger, type RollbackEvent } from './ledger.js';
import { parseManifest, promoteInManifest, type ManifestEntry, type ManifestPromotion } from './manifest.js';
import { addQuarantine, type QuarantineEntry } from './quarantine.js';

export interface RollbackEdit {
  text: string;
  /** The manifest entry changed (false when it already is the target: a re-run). */
  entryChanged: boolean;
  quarantineChanged: boolean;
  /** The entry found at the tip. */
  found?: ManifestEntry;
}

export interface RollbackEditInput {
  text: string;
  /** `branch:path`, for messages. */
  file: string;
  environment: string;
  service: string;
  /** What ran when the rollback was planned (the bad version). */
  from: { version: string; digest: string };
  target: ManifestPromotion;
  /** Added unless undefined (quarantine: false). */
  quarantine?: QuarantineEntry;
}

function describe(entry: ManifestEntry | undefined): string {
  return entry ? `${entry.version ?? '(no version)'} (${entry.digest ?? 'no digest'})` : 'not deployed';
}

export function applyRollback(input: RollbackEditInput): RollbackEdit {
  const { text, file, service } = input;
  const found = parseManifest(text, file).services.get(service);
  const isTarget = found?.version === input.target.version && found?.digest === input.target.digest;
  const isFrom = found?.version === input.from.version && found?.digest === input.from.digest;
  if (!isTarget && !isFrom)
    throw new UserError(
      `Conflict: services.${service} in ${file} changed while this rollback ran, from ${input.from.version} (${input.from.digest}) to ${describe(found)} (another promotion of ${service} landed); nothing was pushed. Look at what runs now and run the rollback again if it is still needed.`,
      { file },
    );
  let out = text;
  let entryChanged = false;
  if (isFrom) {
    const edit = promoteInManifest(out, file, input.environment, service, input.target);
    out = edit.text;
    entryChanged = edit.changed;
  }
  let quarantineChanged = false;
  if (input.quarantine) {
    const q = addQuarantine(out, file, input.quarantine);
    out = q.text;
    quarantineChanged = q.changed;
  }
  return { text: out, entryChanged, quarantineChanged, ...(found ? { found } : {}) };
}

/**
 * A re-run of the same workflow run (GitHub's "Re-run jobs" keeps the run URL) after its rollback
 * landed: the running version was put there by a rollback recorded with this run's URL. Then there
 * is nothing to do, even without `from-version` (which would otherwise roll back further).
 */
export function rollbackOfThisRun(
  ledger: Ledger,
  current: { version?: string; digest?: string } | undefined,
  runUrl: string | undefined,
): RollbackEvent | undefined {
  if (!runUrl || !current?.version || !current.digest) return undefined;
  const placed = lastPlacement(ledger, current.version, current.digest);
  return placed?.kind === 'rollback' && placed.runUrl === runUrl ? placed : undefined;
}
