/**
 * Promotion commit messages: a human subject and body plus machine-readable git trailers, so
 * `git log` of an environment branch is the deployment ledger and can be read back with
 * `git log --format='%(trailers:key=Sd-Version,valueonly)'` or `parsePromotionMessage`.
 *
 *   promote(blue): 1.6.1 to production
 *
 *   Promote blue 1.6.1 from staging to production (was 1.6.0).
 *
 *   Sd-Service: blue
 *   Sd-Environment: production
 *   Sd-Version: 1.6.1
 *   Sd-Previous-Version: 1.6.0
 *   Sd-Digest: sha256:4f1c…
 *   Sd-Image: registry.example/blue
 *   Sd-Source-Commit: 3b9d0c2…
 *   Sd-From-Environment: staging
 *   Sd-Actor: alice
 *   Sd-Run-Url: https://github.com/acme/monorepo/actions/runs/1234
 *   Sd-Approved-By: alice, bob                      (when the environment requires approvals)
 *   Sd-Approval: https://github.com/acme/monorepo/issues/42
 */

/** Trailer keys, in the order they are written. */
export const TRAILERS = {
  service: 'Sd-Service',
  environment: 'Sd-Environment',
  version: 'Sd-Version',
  previousVersion: 'Sd-Previous-Version',
  digest: 'Sd-Digest',
  image: 'Sd-Image',
  sourceCommit: 'Sd-Source-Commit',
  fromEnvironment: 'Sd-From-Environment',
  actor: 'Sd-Actor',
  runUrl: 'Sd-Run-Url',
  approvedBy: 'Sd-Approved-By',
  approval: 'Sd-Approval',
  override: 'Sd-Override',
  overrideReason: 'Sd-Override-Reason',
} as const;

export type PromotionField = keyof typeof TRAILERS;

export interface PromotionRecord {
  service: string;
  environment: string;
  version: string;
  previousVersion?: string;
  digest?: string;
  image?: string;
  sourceCommit?: string;
  fromEnvironment?: string;
  actor?: string;
  runUrl?: string;
  /** Who approved the promotion (comma-separated logins), and the evidence (request URL). */
  approvedBy?: string;
  approval?: string;
  /** Policy rules passed by an override (`min-soak`), and why. */
  override?: string;
  overrideReason?: string;
}

const MAX_VALUE = 200;

/**
 * One line of printable text: control characters (newlines included, which could forge extra
 * trailers) become spaces, runs of whitespace collapse, and the length is bounded.
 */
export function sanitizeTrailerValue(value: string): string {
  const flat = value.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, ' ');
  const clean = flat.replace(/\s+/g, ' ').trim();
  return clean.length > MAX_VALUE ? `${clean.slice(0, MAX_VALUE - 1)}…` : clean;
}

/** The subject line: `promote(blue): 1.6.1 to production`. */
export function promotionSubject(
  record: Pick<PromotionRecord, 'service' | 'version' | 'environment'>,
): string {
  return sanitizeTrailerValue(`promote(${record.service}): ${record.version} to ${record.environment}`);
}

/** The whole commit message: subject, a sentence for people, then the trailer block. */
export function promotionMessage(record: PromotionRecord): string {
  const s = (v: string) => sanitizeTrailerValue(v);
  const from = record.fromEnvironment ? ` from ${s(record.fromEnvironment)}` : '';
  const was = record.previousVersion ? ` (was ${s(record.previousVersion)})` : ' (first deployment)';
  const body = `Promote ${s(record.service)} ${s(record.version)}${from} to ${s(record.environment)}${was}.`;
  const trailers: string[] = [];
  for (const [field, key] of Object.entries(TRAILERS) as [PromotionField, string][]) {
    const value = record[field];
    if (value !== undefined && sanitizeTrailerValue(value) !== '')
      trailers.push(`${key}: ${sanitizeTrailerValue(value)}`);
  }
  return `${promotionSubject(record)}\n\n${body}\n\n${trailers.join('\n')}\n`;
}

/**
 * A commit message split the way git reads it: the subject, the body (the paragraphs between), and
 * the trailer block, the last paragraph when every line of it is `Key: value` or a continuation.
 */
export function splitCommitMessage(message: string): { subject: string; body: string; trailers: string } {
  const paragraphs = message
    .replace(/\r\n/g, '\n')
    .trimEnd()
    .split(/\n\s*\n/);
  const last = paragraphs.length > 1 ? (paragraphs[paragraphs.length - 1] ?? '') : '';
  // git only treats a paragraph as trailers when every line is one (or a continuation).
  const isBlock = last.split('\n').every((line) => /^[A-Za-z0-9-]+:\s?/.test(line) || /^\s/.test(line));
  const subject = paragraphs[0] ?? '';
  const rest = paragraphs.slice(1, isBlock && last ? -1 : undefined);
  return { subject, body: rest.join('\n\n'), trailers: isBlock ? last : '' };
}

/**
 * The trailers of a commit message: `Key: value` lines of its last paragraph, the way
 * `git interpret-trailers --parse` reads them (keys case-insensitive, last value wins here).
 */
export function parseTrailers(message: string): Map<string, string> {
  const out = new Map<string, string>();
  const block = splitCommitMessage(message).trailers;
  if (!block) return out;
  for (const line of block.split('\n')) {
    const m = /^([A-Za-z0-9-]+):\s?(.*)$/.exec(line);
    if (m) out.set(m[1]!.toLowerCase(), m[2]!.trim());
  }
  return out;
}

/** Read a promotion back from its commit message; undefined when it is not one of ours. */
export function parsePromotionMessage(message: string): PromotionRecord | undefined {
  const trailers = parseTrailers(message);
  const get = (field: PromotionField) => trailers.get(TRAILERS[field].toLowerCase());
  const service = get('service');
  const environment = get('environment');
  const version = get('version');
  if (!service || !environment || !version) return undefined;
  const record: PromotionRecord = { service, environment, version };
  for (const field of Object.keys(TRAILERS) as PromotionField[]) {
    const value = get(field);
    if (value !== undefined) record[field] = value;
  }
  return record;
}
