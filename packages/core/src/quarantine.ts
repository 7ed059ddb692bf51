/**
 * Quarantine: versions found bad in an environment, which `promote` refuses to bring back there
 * (rule `[quarantine]`) unless `allow-quarantined` is given. Recorded in the environment's own
 * manifest, beside `services`, so one read of one file tells what runs and what must not, the
 * rollback commit that restores the entry also records the quarantine (one commit, atomic), and
 * plain tools read it:
 *
 *   environment: production
 *   services: { … }
 *   quarantine:
 *     blue:
 *       1.7.0:
 *         digest: sha256:…
 *         at: 2026-11-27T03:00:00Z
 *         reason: 'verify-deployment: http …/health/ready: 3 of 6 measurements failed'
 *         by: alice
 *         runUrl: https://github.com/acme/monorepo/actions/runs/1234
 *
 *   yq '.quarantine.blue["1.7.0"].reason' release-manifests/production.yaml
 *
 * Keyed by version (a version names one digest, so it is unique per service). The rollback commit
 * cannot name itself; it is the ledger's rollback event for the version (`withRollbackCommits`).
 * Edits go through YamlEditor: comments, order and other entries stay byte for byte.
 */
import { UserError, show } from './errors.js';
import { YamlEditor } from './deploy-files.js';
import type { Ledger } from './ledger.js';
import type { Refusal } from './policy.js';
import { classifyVersion, DIGEST_PATTERN } from './versions.js';

export const QUARANTINE_KEY = 'quarantine';

export interface QuarantineEntry {
  service: string;
  version: string;
  digest: string;
  /** When it was quarantined (ISO 8601). */
  at: string;
  reason: string;
  by: string;
  runUrl?: string;
  /** The rollback commit that quarantined it; filled from the ledger, never stored. */
  rollbackCommit?: string;
}

const FIELDS = ['digest', 'at', 'reason', 'by', 'runUrl'] as const;
const ONE_LINE = /^[^\u0000-\u001f\u007f]+$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

function fail(file: string, path: string, value: unknown, expected: string): never {
  throw new UserError(`${file}: ${path}: ${show(value)} ${expected}`, { file });
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  return undefined;
}

function readEntries(editor: YamlEditor): QuarantineEntry[] {
  const file = editor.file;
  const section = editor.getIn([QUARANTINE_KEY]);
  if (section === undefined || section === null) return [];
  if (typeof section !== 'object' || Array.isArray(section))
    fail(
      file,
      QUARANTINE_KEY,
      section,
      'is not a mapping; expected service: { version: { digest, at, reason, by } }',
    );
  const out: QuarantineEntry[] = [];
  for (const [service, versions] of Object.entries(section as Record<string, unknown>)) {
    if (versions === null || versions === undefined) continue;
    if (typeof versions !== 'object' || Array.isArray(versions))
      fail(
        file,
        `${QUARANTINE_KEY}.${service}`,
        versions,
        'is not a mapping; expected version: { digest, at, reason, by }',
      );
    for (const [version, entry] of Object.entries(versions as Record<string, unknown>)) {
      const path = `${QUARANTINE_KEY}.${service}.${version}`;
      if (!classifyVersion(version))
        fail(file, path, version, 'is not a version (semver like 1.2.3 or sha-abc1234)');
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
        fail(file, path, entry, 'is not a mapping; expected { digest, at, reason, by }');
      const e = entry as Record<string, unknown>;
      const unknown = Object.keys(e).filter((k) => !(FIELDS as readonly string[]).includes(k));
      if (unknown.length > 0)
        fail(
          file,
          `${path}.${unknown[0]}`,
          unknown[0],
          `is not a quarantine field; expected ${FIELDS.join(', ')}`,
        );
      const digest = asText(e.digest);
      if (!digest || !DIGEST_PATTERN.test(digest))
        fail(file, `${path}.digest`, e.digest, 'is not a digest like sha256:<64 hex>');
      const at = asText(e.at);
      if (!at || !ISO.test(at) || Number.isNaN(Date.parse(at)))
        fail(file, `${path}.at`, e.at, 'is not a time like 2026-01-20T10:00:00Z');
      const reason = asText(e.reason);
      if (!reason || !ONE_LINE.test(reason))
        fail(file, `${path}.reason`, e.reason, 'is not a reason on one line');
      const by = asText(e.by);
      if (!by || !ONE_LINE.test(by))
        fail(file, `${path}.by`, e.by, 'is not a name on one line (who quarantined it)');
      const runUrl = asText(e.runUrl);
      if (e.runUrl !== undefined && e.runUrl !== null && !(runUrl && /^https?:\/\/\S+$/.test(runUrl)))
        fail(file, `${path}.runUrl`, e.runUrl, 'is not a URL');
      out.push({ service, version, digest, at, reason, by, ...(runUrl ? { runUrl } : {}) });
    }
  }
  return out;
}

/** The quarantine section of a manifest's text, validated; `file` names it in messages. */
export function parseQuarantine(text: string, file: string): QuarantineEntry[] {
  return readEntries(new YamlEditor(text, file));
}

/**
 * Add an entry, keeping every other byte. Already there with the same digest → unchanged (a
 * re-run); the same version with another digest is refused (a version names one artifact).
 */
export function addQuarantine(
  text: string,
  file: string,
  entry: QuarantineEntry,
): { text: string; changed: boolean } {
  const editor = new YamlEditor(text, file);
  const existing = readEntries(editor).find(
    (e) => e.service === entry.service && e.version === entry.version,
  );
  if (existing) {
    if (existing.digest !== entry.digest)
      throw new UserError(
        `${file}: ${entry.service} ${entry.version} is already quarantined as ${existing.digest}, not ${entry.digest}; a version names one digest`,
        { file },
      );
    return { text, changed: false };
  }
  if (!DIGEST_PATTERN.test(entry.digest))
    throw new UserError(`quarantine: ${show(entry.digest)} is not a digest`);
  if (!classifyVersion(entry.version))
    throw new UserError(`quarantine: ${show(entry.version)} is not a version`);
  const value: Record<string, string> = {};
  for (const field of FIELDS) {
    const v = entry[field];
    if (v !== undefined && v !== '') value[field] = v;
  }
  const changed = editor.setIn([QUARANTINE_KEY, entry.service, entry.version], value);
  // What was written must read back: the same strict checks as any hand edit (one-line reason, time, …).
  readEntries(new YamlEditor(editor.text, file));
  return { text: editor.text, changed };
}

/** The quarantine entry of a service's digest (or version), if any. */
export function findQuarantined(
  entries: readonly QuarantineEntry[],
  service: string,
  artifact: { digest?: string; version?: string },
): QuarantineEntry | undefined {
  return entries.find(
    (e) =>
      e.service === service &&
      ((artifact.digest !== undefined && e.digest === artifact.digest) ||
        (artifact.version !== undefined && e.version === artifact.version)),
  );
}

/** Attach the rollback commit that quarantined each entry, from the ledger (newest matching rollback). */
export function withRollbackCommits(entries: readonly QuarantineEntry[], ledger: Ledger): QuarantineEntry[] {
  return entries.map((entry) => {
    const event = ledger.events.find(
      (e) => e.kind === 'rollback' && e.service === entry.service && e.rollbackOf === entry.version,
    );
    return event ? { ...entry, rollbackCommit: event.sha } : { ...entry };
  });
}

/** One line for summaries and refusals: `1.7.0 (sha256:4f1c…) on 2026-… by alice: reason`. */
export function describeQuarantine(entry: QuarantineEntry): string {
  const commit = entry.rollbackCommit ? `, rollback ${entry.rollbackCommit.slice(0, 12)}` : '';
  return `${entry.version} (${entry.digest.slice(0, 19)}…) quarantined at ${entry.at} by ${entry.by}${commit}: ${entry.reason}`;
}

export interface QuarantineFacts {
  service: string;
  environment: string;
  digest: string;
  version?: string;
  quarantine: readonly QuarantineEntry[];
  allowQuarantined: boolean;
}

/**
 * The `[quarantine]` promotion rule: a digest quarantined in the target environment is refused,
 * naming when, why and by whom, unless `allow-quarantined: true`. Matching is by digest: a later
 * good version of the service is a different digest and promotes normally.
 */
export function checkQuarantine(f: QuarantineFacts): { refusal?: Refusal; warning?: Refusal } {
  const hit = f.quarantine.find((e) => e.service === f.service && e.digest === f.digest);
  if (!hit) return {};
  const what = `${f.service} ${f.version ?? hit.version} (${f.digest}) was quarantined in ${f.environment} at ${hit.at} by ${hit.by}: ${hit.reason}`;
  if (f.allowQuarantined)
    return { warning: { rule: 'quarantine', message: `${what}; promoted anyway (allow-quarantined: true)` } };
  return {
    refusal: {
      rule: 'quarantine',
      message: `${what}. Promote a newer version, or set allow-quarantined: true to bring it back on purpose`,
    },
  };
}
