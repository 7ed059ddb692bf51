/**
 * Verification verdicts in the ledger (issue 12): one commit on the environment's branch per
 * verdict, read back by rollback-service and status.
 *
 *   verify(blue): 1.6.1 healthy in production
 *
 *   Verified blue 1.6.1 in production: healthy.
 *   Reason: 3 checks healthy: http blue.production.example.com/health/ready, alarms, command
 *
 *   Sd-Service: blue
 *   Sd-Environment: production
 *   Sd-Version: 1.6.1
 *   Sd-Digest: sha256:4f1c…
 *   Sd-Verification: healthy
 *   Sd-Run-Url: https://github.com/acme/monorepo/actions/runs/1234
 */
import { LEDGER_TRAILERS, parseLedgerMessage } from './ledger.js';
import { sanitizeTrailerValue, TRAILERS } from './trailers.js';
import type { VerificationResult } from './verify-judge.js';

export const VERIFICATION_TRAILER = LEDGER_TRAILERS.verification;

export interface VerificationRecord {
  service: string;
  environment: string;
  version: string;
  digest?: string;
  verification: VerificationResult;
  runUrl?: string;
  /** The one-line reason (body only). */
  reason?: string;
  /** Set when the verified version no longer runs: what runs now (body only). */
  runningVersion?: string;
}

/** `verify(blue): 1.6.1 healthy in production`. */
export function verificationSubject(
  record: Pick<VerificationRecord, 'service' | 'version' | 'environment' | 'verification'>,
): string {
  return sanitizeTrailerValue(
    `verify(${record.service}): ${record.version} ${record.verification} in ${record.environment}`,
  );
}

/** The whole commit message: subject, sentences for people, then the trailer block. */
export function verificationMessage(record: VerificationRecord): string {
  const s = (v: string) => sanitizeTrailerValue(v);
  const body = [
    `Verified ${s(record.service)} ${s(record.version)} in ${s(record.environment)}: ${record.verification}.`,
  ];
  if (record.runningVersion !== undefined)
    body.push(
      `${s(record.version)} no longer runs in ${s(record.environment)} (now ${s(record.runningVersion)}); recorded only.`,
    );
  if (record.reason) body.push(`Reason: ${s(record.reason)}`);
  const pairs: [string, string | undefined][] = [
    [TRAILERS.service, record.service],
    [TRAILERS.environment, record.environment],
    [TRAILERS.version, record.version],
    [TRAILERS.digest, record.digest],
    [VERIFICATION_TRAILER, record.verification],
    [TRAILERS.runUrl, record.runUrl],
  ];
  const trailers = pairs
    .filter((p): p is [string, string] => p[1] !== undefined && s(p[1]) !== '')
    .map(([key, value]) => `${key}: ${s(value)}`);
  return `${verificationSubject(record)}\n\n${body.join('\n')}\n\n${trailers.join('\n')}\n`;
}

/**
 * Read a verification back from a commit message; undefined when it is not one, or is not well
 * formed by the ledger's rules (`parseLedgerMessage`, the one parser of ledger records). With
 * `environment`, a record naming another environment is not read either.
 */
export function parseVerificationMessage(
  message: string,
  environment?: string,
): VerificationRecord | undefined {
  const event = parseLedgerMessage(message, environment, { verificationWithoutDigest: true });
  if (event?.kind !== 'verification') return undefined;
  const record: VerificationRecord = {
    service: event.service,
    environment: event.environment,
    version: event.version,
    verification: event.result,
  };
  if (event.digest) record.digest = event.digest;
  if (event.runUrl) record.runUrl = event.runUrl;
  if (event.reason) record.reason = event.reason;
  return record;
}

/** True when a recorded verdict already says the same about the same artifact (no new commit). */
export function sameVerification(a: VerificationRecord, b: VerificationRecord): boolean {
  return (
    a.service === b.service &&
    a.environment === b.environment &&
    a.version === b.version &&
    (a.digest ?? '') === (b.digest ?? '') &&
    a.verification === b.verification
  );
}
